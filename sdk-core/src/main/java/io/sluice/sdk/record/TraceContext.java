package io.sluice.sdk.record;

import com.google.protobuf.UnsafeByteOperations;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.sluice.proto.v1.LogRecord;

/** Fills a record's trace id, span id and flags, from the current OpenTelemetry span or from hex strings. Stateless. */
public final class TraceContext {
  private TraceContext() {}

  /**
   * Sets trace id, span id and flags from {@code Span.current()}; false (and nothing set) when there is no valid
   * span. Call it on the thread that logged the event: the current span is a thread's.
   */
  public static boolean fromCurrentSpan(LogRecord.Builder b) {
    return fromSpan(b, Span.current().getSpanContext());
  }

  /**
   * The current span's context when it is valid, else null: taken on the thread that logged, applied later with
   * {@link #fromSpan} on another thread (a {@code SpanContext} is immutable).
   */
  public static SpanContext currentSpan() {
    SpanContext sc = Span.current().getSpanContext();
    return sc.isValid() ? sc : null;
  }

  /** Sets trace id, span id and flags from {@code sc}; false (and nothing set) when it is null or not valid. */
  public static boolean fromSpan(LogRecord.Builder b, SpanContext sc) {
    if (sc == null || !sc.isValid()) return false;
    // The byte arrays are fresh copies made for us: wrapping them without another copy is safe.
    b.setTraceId(UnsafeByteOperations.unsafeWrap(sc.getTraceIdBytes()));
    b.setSpanId(UnsafeByteOperations.unsafeWrap(sc.getSpanIdBytes()));
    b.setFlags(sc.getTraceFlags().asByte() & 0xff);
    return true;
  }

  /**
   * Sets ids copied as hex into a context map (MDC, ThreadContext): both ids must be valid, flags are optional.
   * Values that are not strings are ignored.
   */
  public static void fromHex(LogRecord.Builder b, Object traceIdHex, Object spanIdHex, Object flagsHex) {
    byte[] traceId = hexToBytes(traceIdHex, 16);
    byte[] spanId = hexToBytes(spanIdHex, 8);
    if (traceId == null || spanId == null) return;
    b.setTraceId(UnsafeByteOperations.unsafeWrap(traceId));
    b.setSpanId(UnsafeByteOperations.unsafeWrap(spanId));
    byte[] flags = hexToBytes(flagsHex, 1);
    if (flags != null) b.setFlags(flags[0] & 0xff);
  }

  /** Exactly {@code 2 * length} hex digits, not all zero for ids (W3C: an all-zero id is invalid); null otherwise. */
  public static byte[] hexToBytes(Object value, int length) {
    if (!(value instanceof String hex) || hex.length() != 2 * length) return null;
    byte[] out = new byte[length];
    int any = 0;
    for (int i = 0; i < length; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) return null;
      out[i] = (byte) ((hi << 4) | lo);
      any |= out[i];
    }
    // Flags may legitimately be 00; ids may not.
    return (any == 0 && length > 1) ? null : out;
  }
}
