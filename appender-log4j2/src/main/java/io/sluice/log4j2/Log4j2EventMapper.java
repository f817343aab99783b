package io.sluice.log4j2;

import io.opentelemetry.api.trace.SpanContext;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.KeyGlobs;
import io.sluice.sdk.record.TraceContext;
import io.sluice.sdk.record.Values;
import io.sluice.wire.RecordWriter;
import java.time.Clock;
import java.time.Instant;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.ParameterConsumer;
import org.apache.logging.log4j.message.ParameterVisitable;
import org.apache.logging.log4j.message.ReusableMessage;
import org.apache.logging.log4j.message.StructuredDataId;
import org.apache.logging.log4j.message.StructuredDataMessage;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.StringBuilderFormattable;
import org.apache.logging.log4j.util.TriConsumer;

/**
 * Writes a Log4j2 {@link LogEvent} as an encoded {@code sluice.v1.LogRecord} ({@link EncodedRecord}). Immutable and
 * thread-safe. The appender runs it on the pipeline's batcher thread, over the copy of the event that the logging
 * thread made ({@link CapturedEvent}); it also works on the logging thread itself, where, for the usual event, it
 * allocates nothing (see {@link #encode}): no intermediate message objects, no lambdas per call (map, context
 * entries and parameters are visited with Log4j2's garbage-free {@code forEach(..., state)}).
 *
 * <p>Log4j2 reuses event and message objects ({@code MutableLogEvent}, {@code ReusableParameterizedMessage}): the
 * encoded bytes are a copy, never a reference to the event, its message or its context map.
 *
 * <p>Mapping (also in the module README):
 *
 * <ul>
 *   <li>{@code time_unix_nano} ← {@code getInstant()} epoch second + nano-of-second (nanoseconds when the clock has
 *       them); {@code observed_time_unix_nano} ← the clock, now.
 *   <li>{@code severity_number} ← {@link Level#intLevel()}, custom levels included (see {@link #severity(int)});
 *       {@code severity_text} ← the level name.
 *   <li>{@code body} ← the formatted message; when the message has parameters (and is not a map message,
 *       whose values are attributes), {@code message_template} ← {@code Message.getFormat()} when not empty and
 *       {@code message_arguments} ← {@code getParameters()} through {@link Values#of(Object)}; without parameters
 *       the template would only repeat the body.
 *   <li>{@code logger}, {@code thread_name}, {@code thread_id} ← the event.
 *   <li>{@code attributes} ← ThreadContext entries whose key passes the include/exclude globs (keys as-is), then
 *       {@link MapMessage} / {@link StructuredDataMessage} fields (keys as-is, values typed) with
 *       {@code structured_data.id} and {@code structured_data.type}, then {@code code.*} caller data when enabled.
 *   <li>{@code markers} ← the marker's name, then its parents' names, depth-first, each name once.
 *   <li>{@code exception} ← {@link Exceptions#toProto} of {@code getThrown()}.
 *   <li>{@code trace_id}, {@code span_id}, {@code flags} ← the current OpenTelemetry span when the event is mapped on
 *       the thread that logged it and the span is valid, else the ThreadContext keys {@code trace_id},
 *       {@code span_id}, {@code trace_flags} (lower-case hex) when well-formed.
 * </ul>
 */
final class Log4j2EventMapper {
  static final String CONTEXT_TRACE_ID = "trace_id";
  static final String CONTEXT_SPAN_ID = "span_id";
  static final String CONTEXT_TRACE_FLAGS = "trace_flags";
  static final String SD_ID = "structured_data.id";
  static final String SD_TYPE = "structured_data.type";

  /** Marker parents are followed this deep; Log4j2 refuses cycles, this also bounds a hostile Marker. */
  private static final int MAX_MARKER_DEPTH = 8;

  /** Severity numbers of the bands FATAL, ERROR, WARN, INFO, DEBUG, TRACE (OpenTelemetry log data model). */
  private static final int[] BAND_BASE = {21, 17, 13, 9, 5, 1};

  /** Writes one map-message field as a typed attribute. */
  private static final TriConsumer<String, Object, RecordWriter> MAP_FIELD =
      (key, value, out) -> keyValue(out, key, value);

  /** Writes one message argument. */
  private static final ParameterConsumer<RecordWriter> ARGUMENT =
      (value, index, out) -> Values.write(out, LogRecord.MESSAGE_ARGUMENTS_FIELD_NUMBER, value);

  private final Clock clock;
  private final boolean includeCallerData;
  private final KeyGlobs contextInclude;
  private final KeyGlobs contextExclude;
  private final int maxExceptionDepth;
  private final int maxFrames;
  private final boolean rootCauseFirst;
  // Created once: visiting the context map per event then allocates nothing but the attributes themselves.
  private final TriConsumer<String, Object, RecordWriter> contextEntry = this::addContextEntry;

  /**
   * @param contextInclude ThreadContext keys to keep; empty keeps all
   * @param contextExclude ThreadContext keys to drop, applied after {@code contextInclude}
   * @param maxExceptionDepth nested throwables (the top one, causes and suppressed) kept, at least 1
   * @param maxFrames stack frames kept per throwable, at least 0; the rest is counted in {@code frames_omitted}
   * @param rootCauseFirst the root cause on top, each {@code cause} the throwable that wrapped it
   */
  Log4j2EventMapper(Clock clock, boolean includeCallerData, KeyGlobs contextInclude, KeyGlobs contextExclude,
      int maxExceptionDepth, int maxFrames, boolean rootCauseFirst) {
    this.rootCauseFirst = rootCauseFirst;
    this.clock = clock;
    this.includeCallerData = includeCallerData;
    this.contextInclude = contextInclude;
    this.contextExclude = contextExclude;
    this.maxExceptionDepth = maxExceptionDepth;
    this.maxFrames = maxFrames;
  }

  boolean includeCallerData() {
    return includeCallerData;
  }

  /**
   * Writes one event as an encoded {@code LogRecord} into {@code out} (taken from the pool, empty). Call it from
   * {@code append}, before returning: a reusable event is cleared and refilled by Log4j2 as soon as the appender
   * returns; the bytes are the copy that outlives it. When {@code append} runs on another thread than the one that
   * logged (an {@code AsyncAppender} or async loggers), the current span belongs to that other thread and is
   * ignored; only the ThreadContext fallback supplies trace ids then.
   *
   * <p>Garbage-free for the usual event (a reusable parameterized message with strings, numbers and booleans as
   * arguments, string ThreadContext values, a span or none): fields are written straight from the event, the body
   * formatted into {@code out}'s reusable builder. Exceptions, map messages, markers and argument values of other
   * types go through the protobuf builders ({@link Exceptions}, {@link Values}) and allocate.
   */
  void encode(LogEvent event, RecordWriter out) {
    encode(event, event.getThreadId() == Thread.currentThread().getId() ? TraceContext.currentSpan() : null, out);
  }

  /**
   * Writes one event as {@link #encode(LogEvent, RecordWriter)} does, with {@code span} (the span that was current
   * on the logging thread, taken there; null when none) instead of the current thread's: for events copied on the
   * logging thread ({@link CapturedEvent}) and encoded on the pipeline's batcher thread.
   */
  void encode(LogEvent event, SpanContext span, RecordWriter out) {
    org.apache.logging.log4j.core.time.Instant instant = event.getInstant();
    out.fixed64(LogRecord.TIME_UNIX_NANO_FIELD_NUMBER,
        instant.getEpochSecond() * 1_000_000_000L + instant.getNanoOfSecond());
    Instant now = clock.instant();
    out.fixed64(LogRecord.OBSERVED_TIME_UNIX_NANO_FIELD_NUMBER, now.getEpochSecond() * 1_000_000_000L + now.getNano());

    Level level = event.getLevel();
    if (level != null) {
      out.int64(LogRecord.SEVERITY_NUMBER_FIELD_NUMBER, severity(level.intLevel()).getNumber());
      out.stableString(LogRecord.SEVERITY_TEXT_FIELD_NUMBER, level.name());
    }

    Message message = event.getMessage();
    if (message != null) encodeMessage(out, message);

    String loggerName = event.getLoggerName();
    if (loggerName != null) out.stableString(LogRecord.LOGGER_FIELD_NUMBER, loggerName);
    String threadName = event.getThreadName();
    if (threadName != null) out.stableString(LogRecord.THREAD_NAME_FIELD_NUMBER, threadName);
    long threadId = event.getThreadId();
    out.int64(LogRecord.THREAD_ID_FIELD_NUMBER, threadId);

    ReadOnlyStringMap context = event.getContextData();
    boolean hasContext = context != null && !context.isEmpty();
    if (hasContext) context.forEach(contextEntry, out);
    if (message instanceof MapMessage<?, ?> map) encodeMapMessage(out, map);
    if (includeCallerData) encodeCallerData(out, event.getSource());

    Marker marker = event.getMarker();
    if (marker != null) encodeMarkers(out, marker);

    Throwable thrown = event.getThrown();
    if (thrown != null) {
      out.message(LogRecord.EXCEPTION_FIELD_NUMBER,
          Exceptions.toProto(thrown, maxExceptionDepth, maxFrames, rootCauseFirst));
    }

    if (!encodeSpan(out, span) && hasContext) {
      encodeHexContext(out, context.getValue(CONTEXT_TRACE_ID), context.getValue(CONTEXT_SPAN_ID),
          context.getValue(CONTEXT_TRACE_FLAGS));
    }
  }

  /** The record {@link #encode} writes, parsed (tests, and callers that want the message). */
  LogRecord map(LogEvent event) {
    EncodedRecord built = EncodedRecord.take();
    encode(event, built);
    return built.build();
  }

  private void encodeMessage(RecordWriter out, Message message) {
    if (message instanceof StringBuilderFormattable formattable) {
      StringBuilder text = EncodedRecord.scratch().text();
      formattable.formatTo(text);
      encodeBody(out, text);
    } else {
      String formatted = message.getFormattedMessage();
      if (formatted != null) encodeBody(out, formatted);
    }
    if (message instanceof MapMessage) return; // its parameters are its values, mapped as attributes
    // Without arguments the template would only repeat the body.
    if (message instanceof ReusableMessage reusable && message instanceof ParameterVisitable visitable) {
      if (reusable.getParameterCount() == 0) return;
      encodeTemplate(out, message.getFormat());
      visitable.forEachParameter(ARGUMENT, out);
      return;
    }
    Object[] params = message.getParameters();
    if (params == null || params.length == 0) return;
    encodeTemplate(out, message.getFormat());
    for (Object param : params) Values.write(out, LogRecord.MESSAGE_ARGUMENTS_FIELD_NUMBER, param);
  }

  private static void encodeBody(RecordWriter out, CharSequence body) {
    int m = out.begin(LogRecord.BODY_FIELD_NUMBER);
    out.string(AnyValue.STRING_VALUE_FIELD_NUMBER, body);
    out.end(m);
  }

  private static void encodeTemplate(RecordWriter out, String template) {
    if (template != null && !template.isEmpty()) out.stableString(LogRecord.MESSAGE_TEMPLATE_FIELD_NUMBER, template);
  }

  private static void keyValue(RecordWriter out, String key, Object value) {
    int m = out.begin(LogRecord.ATTRIBUTES_FIELD_NUMBER);
    out.string(KeyValue.KEY_FIELD_NUMBER, key);
    Values.write(out, KeyValue.VALUE_FIELD_NUMBER, value);
    out.end(m);
  }

  private static void encodeMapMessage(RecordWriter out, MapMessage<?, ?> map) {
    map.forEach(MAP_FIELD, out);
    if (map instanceof StructuredDataMessage sd) {
      StructuredDataId id = sd.getId();
      if (id != null) keyValue(out, SD_ID, id.toString());
      String type = sd.getType();
      if (type != null) keyValue(out, SD_TYPE, type);
    }
  }

  private void addContextEntry(String key, Object value, RecordWriter out) {
    if (key == null) return;
    if ((contextInclude.isEmpty() || contextInclude.matchesAny(key))
        && (contextExclude.isEmpty() || !contextExclude.matchesAny(key))) {
      keyValue(out, key, value);
    }
  }

  private static boolean encodeSpan(RecordWriter out, SpanContext span) {
    if (span == null) return false;
    out.hexBytes(LogRecord.TRACE_ID_FIELD_NUMBER, span.getTraceId(), 16);
    out.hexBytes(LogRecord.SPAN_ID_FIELD_NUMBER, span.getSpanId(), 8);
    out.fixed32(LogRecord.FLAGS_FIELD_NUMBER, span.getTraceFlags().asByte() & 0xff);
    return true;
  }

  /** As {@link TraceContext#fromHex}: both ids valid or nothing; flags only when valid. */
  private static void encodeHexContext(RecordWriter out, Object traceId, Object spanId, Object flags) {
    if (TraceContext.hexToBytes(traceId, 16) == null || TraceContext.hexToBytes(spanId, 8) == null) return;
    out.hexBytes(LogRecord.TRACE_ID_FIELD_NUMBER, (String) traceId, 16);
    out.hexBytes(LogRecord.SPAN_ID_FIELD_NUMBER, (String) spanId, 8);
    byte[] f = TraceContext.hexToBytes(flags, 1);
    if (f != null) out.fixed32(LogRecord.FLAGS_FIELD_NUMBER, f[0] & 0xff);
  }

  /**
   * OpenTelemetry severity from a Log4j2 int level (lower is more severe). Each standard level owns the band just
   * below it in severity: FATAL (0, 100], ERROR (100, 200], WARN (200, 300], INFO (300, 400], DEBUG (400, 500],
   * TRACE above 500. A standard level maps to its band's base number (FATAL 21, ERROR 17, WARN 13, INFO 9,
   * DEBUG 5, TRACE 1); a custom level between two standard ones gets base + 0..3 by how far it sits towards the
   * more severe neighbour, e.g. NOTICE (350) → INFO3 (11), VERBOSE (550) → TRACE3 (3).
   */
  static SeverityNumber severity(int intLevel) {
    int level = Math.max(intLevel, 0);
    int band = level <= 100 ? 0 : (int) Math.min((level - 1L) / 100, 5);
    int upper = (band + 1) * 100;
    int step = level >= upper ? 0 : Math.min(3, (upper - level) * 4 / 100);
    return SeverityNumber.forNumber(BAND_BASE[band] + step);
  }

  private static void encodeCallerData(RecordWriter out, StackTraceElement caller) {
    if (caller == null) return;
    if (caller.getFileName() != null) keyValue(out, "code.filepath", caller.getFileName());
    if (caller.getLineNumber() > 0) keyValue(out, "code.lineno", (long) caller.getLineNumber());
    keyValue(out, "code.namespace", caller.getClassName());
    keyValue(out, "code.function", caller.getMethodName());
  }

  /** The marker's name, then its parents' names, depth-first, each name once. */
  private static void encodeMarkers(RecordWriter out, Marker marker) {
    java.util.List<String> names = new java.util.ArrayList<>(4);
    collectMarker(names, marker, 0);
    for (int i = 0; i < names.size(); i++) out.string(LogRecord.MARKERS_FIELD_NUMBER, names.get(i));
  }

  private static void collectMarker(java.util.List<String> names, Marker marker, int depth) {
    String name = marker.getName();
    if (name != null && !names.contains(name)) names.add(name);
    if (depth >= MAX_MARKER_DEPTH || !marker.hasParents()) return;
    Marker[] parents = marker.getParents();
    if (parents == null) return;
    for (Marker parent : parents) {
      if (parent != null) collectMarker(names, parent, depth + 1);
    }
  }

  @Override
  public String toString() {
    return "Log4j2EventMapper{includeCallerData=" + includeCallerData + ", mdcInclude=" + contextInclude
        + ", mdcExclude=" + contextExclude + ", maxExceptionDepth=" + maxExceptionDepth + ", maxFrames=" + maxFrames
        + ", rootCauseFirst=" + rootCauseFirst + '}';
  }
}
