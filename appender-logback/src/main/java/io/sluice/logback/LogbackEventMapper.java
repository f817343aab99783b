package io.sluice.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.classic.spi.ThrowableProxy;
import io.opentelemetry.api.trace.SpanContext;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.KeyGlobs;
import io.sluice.sdk.record.Severities;
import io.sluice.sdk.record.TraceContext;
import io.sluice.sdk.record.Values;
import io.sluice.wire.RecordWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.slf4j.Marker;
import org.slf4j.event.KeyValuePair;

/**
 * Turns a Logback {@link ILoggingEvent} into a {@code sluice.v1.LogRecord}. Immutable and thread-safe. The appender
 * splits the work: {@link #capture} on the application's thread (freeze the event, take its thread id and span,
 * estimate its size: no I/O, no lock, one small object), {@link Captured#build()} on the pipeline's batcher thread
 * (the record itself).
 *
 * <p>Mapping (also in the module README):
 *
 * <ul>
 *   <li>{@code time_unix_nano} ← {@code getTimeStamp()} + {@code getNanoseconds()} (nanosecond precision when the
 *       event has it, also for deserialized events); {@code observed_time_unix_nano} ← the clock, now.
 *   <li>{@code severity_number}, {@code severity_text} ← the level (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17).
 *   <li>{@code body} ← the formatted message; when the event has arguments, {@code message_template} ←
 *       {@code getMessage()} and {@code message_arguments} ← {@code getArgumentArray()} through
 *       {@link Values#of(Object)} (without arguments the template would only repeat the body).
 *   <li>{@code logger}, {@code thread_name} ← the event; {@code thread_id} ← the current thread's id, only when the
 *       event is mapped on the thread that logged it (Logback does not record thread ids; see {@link #map}).
 *   <li>{@code attributes} ← MDC entries whose key passes the include/exclude globs (keys as-is), then SLF4J 2
 *       key-value pairs, then {@code code.*} caller data when enabled.
 *   <li>{@code markers} ← marker names, with the names of their references, depth-first, each name once.
 *   <li>{@code exception} ← {@link Exceptions#toProto} on the original throwable, or the same shape rebuilt from
 *       the {@link IThrowableProxy} of a deserialized event (flat {@code causes}); root cause on top when
 *       {@code rootCauseFirst}.
 *   <li>{@code trace_id}, {@code span_id}, {@code flags} ← the current OpenTelemetry span when valid, else the MDC
 *       keys {@code trace_id}, {@code span_id}, {@code trace_flags} (lower-case hex) when well-formed.
 * </ul>
 */
final class LogbackEventMapper {
  static final String MDC_TRACE_ID = "trace_id";
  static final String MDC_SPAN_ID = "span_id";
  static final String MDC_TRACE_FLAGS = "trace_flags";

  /** Marker references are followed this deep; Logback forbids cycles, this also bounds a hostile Marker. */
  private static final int MAX_MARKER_DEPTH = 8;

  private final Clock clock;
  private final boolean includeCallerData;
  private final KeyGlobs mdcInclude;
  private final KeyGlobs mdcExclude;
  private final int maxExceptionDepth;
  private final int maxFrames;
  private final boolean rootCauseFirst;

  /**
   * @param mdcInclude MDC keys to keep; empty keeps all
   * @param mdcExclude MDC keys to drop, applied after {@code mdcInclude}
   * @param maxExceptionDepth nested throwables (the top one, causes and suppressed) kept, at least 1
   * @param maxFrames stack frames kept per throwable, at least 0; the rest is counted in {@code frames_omitted}
   * @param rootCauseFirst the root cause on top, each {@code cause} the throwable that wrapped it
   */
  LogbackEventMapper(Clock clock, boolean includeCallerData, KeyGlobs mdcInclude, KeyGlobs mdcExclude,
      int maxExceptionDepth, int maxFrames, boolean rootCauseFirst) {
    this.rootCauseFirst = rootCauseFirst;
    this.clock = clock;
    this.includeCallerData = includeCallerData;
    this.mdcInclude = mdcInclude;
    this.mdcExclude = mdcExclude;
    this.maxExceptionDepth = maxExceptionDepth;
    this.maxFrames = maxFrames;
  }

  /**
   * Maps one event. Call it from {@code append}: for an {@code UnsynchronizedAppenderBase} attached directly to a
   * logger that is the thread that logged, so the current thread's id and OpenTelemetry span belong to the event.
   * When the event was handed over to another thread (an {@code AsyncAppender}, a socket receiver), its thread name
   * differs from the current one and both are left out: {@code thread_id} stays 0 and only the MDC fallback
   * supplies trace ids. Two threads that share a name defeat this check; Logback offers nothing better.
   */
  LogRecord map(ILoggingEvent event) {
    String threadName = event.getThreadName();
    boolean onLoggingThread = threadName != null && threadName.equals(Thread.currentThread().getName());
    return map(event, onLoggingThread ? Thread.currentThread().getId() : 0,
        onLoggingThread ? TraceContext.currentSpan() : null);
  }

  /**
   * Takes from the logging thread what only it knows and freezes the event, then hands the rest to the batcher
   * thread: {@link Captured#build()} maps there. On the caller: the thread name and the MDC snapshot (both read
   * lazily from the current thread, as {@code prepareForDeferredProcessing()} does for Logback's
   * {@code AsyncAppender}), the formatted message unless it {@linkplain #formatsTheSameLater cannot change}, caller
   * data when enabled, the thread id and current span (as {@link #map(ILoggingEvent)} decides them), and a cheap size
   * estimate. The event's arguments are converted to {@code message_arguments} on the batcher thread, as with any
   * asynchronous appender: an argument mutated after the call may show its later state there (the body is formatted
   * before, or from arguments that cannot change).
   */
  Captured capture(ILoggingEvent event) {
    String threadName = event.getThreadName();
    Map<String, String> mdc = event.getMDCPropertyMap();
    Object[] args = event.getArgumentArray();
    boolean formatLater = formatsTheSameLater(args);
    if (!formatLater) event.getFormattedMessage();
    if (includeCallerData) event.getCallerData();
    Thread current = Thread.currentThread();
    boolean onLoggingThread = threadName != null && threadName.equals(current.getName());
    return new Captured(this, event, onLoggingThread ? current.getId() : 0,
        onLoggingThread ? TraceContext.currentSpan() : null, estimate(event, threadName, mdc, args, formatLater));
  }

  /**
   * Whether formatting the message on the batcher thread gives the same body as on the caller's: true when every
   * argument is null or of a final JDK value type whose text cannot change (strings, boxed primitives, UUID,
   * BigInteger/BigDecimal, java.time values). Formatting is most of what freezing an event costs the caller; for
   * other arguments (arrays, collections, application objects) it stays on the caller, as in {@code AsyncAppender}.
   * Logback formats lazily and caches the result in the event; two threads formatting it compute the same string.
   */
  static boolean formatsTheSameLater(Object[] args) {
    if (args == null) return true;
    for (Object arg : args) {
      if (arg == null) continue;
      Class<?> c = arg.getClass();
      if (c != String.class && c != Integer.class && c != Long.class && c != Double.class && c != Boolean.class
          && c != Float.class && c != Short.class && c != Byte.class && c != Character.class
          && c != java.util.UUID.class && c != java.math.BigDecimal.class && c != java.math.BigInteger.class
          && c != java.time.Instant.class && c != java.time.Duration.class && c != java.time.LocalDate.class
          && c != java.time.LocalDateTime.class && c != java.time.OffsetDateTime.class
          && c != java.time.ZonedDateTime.class) {
        return false;
      }
    }
    return true;
  }

  /**
   * A lower bound of the encoded record (UTF-8 takes at least a byte per char): body, template, logger, thread and
   * MDC text. Ignores frames and argument values, so records with large exceptions count low against the queue.
   * When the body is formatted later, it counts as the template without its {@code {}} anchors.
   */
  private static int estimate(ILoggingEvent event, String thread, Map<String, String> mdc, Object[] args,
      boolean formatLater) {
    long n = 16; // the two timestamps alone take 18 bytes
    String template = event.getMessage();
    int argCount = args == null ? 0 : args.length;
    if (!formatLater) {
      String body = event.getFormattedMessage();
      if (body != null) n += body.length();
    } else if (template != null) {
      n += Math.max(0, template.length() - 2 * argCount);
    }
    if (argCount > 0 && template != null) n += template.length() + argCount;
    String logger = event.getLoggerName();
    if (logger != null) n += logger.length();
    if (thread != null) n += thread.length();
    if (mdc != null && !mdc.isEmpty()) {
      for (Map.Entry<String, String> e : mdc.entrySet()) {
        n += 4 + lengthOf(e.getKey()) + lengthOf(e.getValue());
      }
    }
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  private static int lengthOf(String s) {
    return s == null ? 0 : s.length();
  }

  /** An event frozen on the logging thread, mapped when the batcher thread builds it. Immutable. */
  static final class Captured implements DeferredRecord {
    private final LogbackEventMapper mapper;
    private final ILoggingEvent event;
    private final long threadId;
    private final SpanContext span;
    private final int estimatedBytes;

    Captured(LogbackEventMapper mapper, ILoggingEvent event, long threadId, SpanContext span, int estimatedBytes) {
      this.mapper = mapper;
      this.event = event;
      this.threadId = threadId;
      this.span = span;
      this.estimatedBytes = estimatedBytes;
    }

    @Override
    public int estimatedBytes() {
      return estimatedBytes;
    }

    @Override
    public LogRecord build() {
      return mapper.map(event, threadId, span);
    }

    /** The record written straight as bytes ({@link LogbackEventMapper#encode}): the same bytes {@link #build()} encodes to. */
    @Override
    public boolean writeTo(RecordWriter out) {
      mapper.encode(event, threadId, span, out);
      return true;
    }

    @Override
    public int severityNumber() {
      return severity(event.getLevel()).getNumber();
    }

    ILoggingEvent event() {
      return event;
    }
  }

  /**
   * Maps an event with what was taken on the logging thread: {@code threadId} (0 when unknown) and the span that was
   * current there (null when none or not on the logging thread; the MDC fallback then applies).
   */
  LogRecord map(ILoggingEvent event, long threadId, SpanContext span) {
    LogRecord.Builder b = LogRecord.newBuilder();
    b.setTimeUnixNano(eventTimeNanos(event.getTimeStamp(), event.getNanoseconds()));
    Instant now = clock.instant();
    b.setObservedTimeUnixNano(now.getEpochSecond() * 1_000_000_000L + now.getNano());

    Level level = event.getLevel();
    if (level != null) {
      b.setSeverityNumber(severity(level));
      b.setSeverityText(level.levelStr);
    }

    String formatted = event.getFormattedMessage();
    if (formatted != null) b.setBody(Values.of(formatted));
    Object[] args = event.getArgumentArray();
    if (args != null && args.length > 0) {
      // Without arguments the template equals the body: sending it would carry the message twice.
      String template = event.getMessage();
      if (template != null) b.setMessageTemplate(template);
      for (Object arg : args) b.addMessageArguments(Values.of(arg));
    }

    String loggerName = event.getLoggerName();
    if (loggerName != null) b.setLogger(loggerName);
    String threadName = event.getThreadName();
    if (threadName != null) b.setThreadName(threadName);
    if (threadId != 0) b.setThreadId(threadId);

    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) addMdc(b, mdc);
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (int i = 0, n = pairs.size(); i < n; i++) {
        KeyValuePair kv = pairs.get(i);
        b.addAttributes(Values.kv(String.valueOf(kv.key), kv.value));
      }
    }
    if (includeCallerData) addCallerData(b, event.getCallerData());

    List<Marker> markers = event.getMarkerList();
    if (markers != null) {
      for (int i = 0, n = markers.size(); i < n; i++) addMarker(b, markers.get(i), 0);
    }

    IThrowableProxy proxy = event.getThrowableProxy();
    if (proxy != null) b.setException(exception(proxy));

    if (!TraceContext.fromSpan(b, span) && mdc != null && !mdc.isEmpty()) {
      TraceContext.fromHex(b, mdc.get(MDC_TRACE_ID), mdc.get(MDC_SPAN_ID), mdc.get(MDC_TRACE_FLAGS));
    }
    return b.build();
  }

  /**
   * Writes what {@link #map(ILoggingEvent, long, SpanContext)} builds, as protobuf would encode it (fields in number
   * order, defaults left out: the very same bytes), straight into {@code out}: no builder, no {@code AnyValue} or
   * {@code KeyValue} objects, no second pass to compute sizes. This is the hot path of every record (on the batcher
   * thread, or on a caller that helps it), justified by {@code LogbackAppenderBench}/{@code BatcherBench}. Exceptions,
   * markers and argument values of unusual types go through the builders ({@link Exceptions}, {@link Values}).
   */
  void encode(ILoggingEvent event, long threadId, SpanContext span, RecordWriter out) {
    long time = eventTimeNanos(event.getTimeStamp(), event.getNanoseconds());
    if (time != 0) out.fixed64(LogRecord.TIME_UNIX_NANO_FIELD_NUMBER, time);
    Instant now = clock.instant();
    long observed = now.getEpochSecond() * 1_000_000_000L + now.getNano();
    if (observed != 0) out.fixed64(LogRecord.OBSERVED_TIME_UNIX_NANO_FIELD_NUMBER, observed);

    Level level = event.getLevel();
    if (level != null) {
      int number = severity(level).getNumber();
      if (number != 0) out.int64(LogRecord.SEVERITY_NUMBER_FIELD_NUMBER, number);
      if (!level.levelStr.isEmpty()) out.stableString(LogRecord.SEVERITY_TEXT_FIELD_NUMBER, level.levelStr);
    }

    CharSequence body = formatBody(event);
    if (body == null) body = event.getFormattedMessage();
    if (body != null) {
      int m = out.begin(LogRecord.BODY_FIELD_NUMBER);
      out.string(AnyValue.STRING_VALUE_FIELD_NUMBER, body);
      out.end(m);
    }

    Map<String, String> mdc = event.getMDCPropertyMap();
    boolean hasMdc = mdc != null && !mdc.isEmpty();
    if (hasMdc) encodeMdc(out, mdc);
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (int i = 0, n = pairs.size(); i < n; i++) {
        KeyValuePair kv = pairs.get(i);
        keyValue(out, String.valueOf(kv.key), kv.value);
      }
    }
    if (includeCallerData) encodeCallerData(out, event.getCallerData());

    if (span != null && span.isValid()) {
      out.hexBytes(LogRecord.TRACE_ID_FIELD_NUMBER, span.getTraceId(), 16);
      out.hexBytes(LogRecord.SPAN_ID_FIELD_NUMBER, span.getSpanId(), 8);
      int flags = span.getTraceFlags().asByte() & 0xff;
      if (flags != 0) out.fixed32(LogRecord.FLAGS_FIELD_NUMBER, flags);
    } else if (hasMdc) {
      encodeHexContext(out, mdc.get(MDC_TRACE_ID), mdc.get(MDC_SPAN_ID), mdc.get(MDC_TRACE_FLAGS));
    }

    String loggerName = event.getLoggerName();
    if (loggerName != null && !loggerName.isEmpty()) out.stableString(LogRecord.LOGGER_FIELD_NUMBER, loggerName);
    String threadName = event.getThreadName();
    if (threadName != null && !threadName.isEmpty()) out.stableString(LogRecord.THREAD_NAME_FIELD_NUMBER, threadName);
    if (threadId != 0) out.int64(LogRecord.THREAD_ID_FIELD_NUMBER, threadId);

    IThrowableProxy proxy = event.getThrowableProxy();
    if (proxy != null) out.message(LogRecord.EXCEPTION_FIELD_NUMBER, exception(proxy));

    Object[] args = event.getArgumentArray();
    if (args != null && args.length > 0) {
      String template = event.getMessage();
      if (template != null && !template.isEmpty()) out.stableString(LogRecord.MESSAGE_TEMPLATE_FIELD_NUMBER, template);
      for (Object arg : args) Values.write(out, LogRecord.MESSAGE_ARGUMENTS_FIELD_NUMBER, arg);
    }

    List<Marker> markers = event.getMarkerList();
    if (markers != null && !markers.isEmpty()) {
      List<String> names = new java.util.ArrayList<>(4);
      for (int i = 0, n = markers.size(); i < n; i++) collectMarker(names, markers.get(i), 0);
      for (int i = 0; i < names.size(); i++) out.string(LogRecord.MARKERS_FIELD_NUMBER, names.get(i));
    }
  }

  /** Per thread: the body {@link #formatBody} formats, replaced after one longer than {@link #KEPT_BODY_CHARS}. */
  private static final ThreadLocal<StringBuilder> BODY = ThreadLocal.withInitial(() -> new StringBuilder(256));
  private static final int KEPT_BODY_CHARS = 4096;

  /**
   * The usual event's body formatted as SLF4J's {@code MessageFormatter} (what {@code getFormattedMessage()} calls)
   * formats it, into this thread's reused builder: no {@code String} per argument, none for the body. The usual event
   * is a plain {@link LoggingEvent} whose arguments' text cannot change ({@link #formatsTheSameLater}: none of them a
   * {@code Throwable}) and whose template has no backslash (no escaped placeholder); each {@code {}} then takes the next
   * argument's {@code String.valueOf}, placeholders beyond the arguments stay as they are. Null for any other event
   * (Logback formats it). Valid until this thread's next call.
   */
  static CharSequence formatBody(ILoggingEvent event) {
    if (event.getClass() != LoggingEvent.class) return null;
    Object[] args = event.getArgumentArray();
    String template = event.getMessage();
    if (args == null || args.length == 0 || template == null || template.indexOf('\\') >= 0
        || !formatsTheSameLater(args)) {
      return null;
    }
    StringBuilder sb = BODY.get();
    if (sb.capacity() > KEPT_BODY_CHARS) BODY.set(sb = new StringBuilder(256));
    sb.setLength(0);
    int i = 0;
    for (Object arg : args) {
      int j = template.indexOf("{}", i);
      if (j < 0) break;
      sb.append(template, i, j);
      appendValue(sb, arg);
      i = j + 2;
    }
    return sb.append(template, i, template.length());
  }

  /** {@code String.valueOf(arg)}, appended without a String for the common boxed types. */
  private static void appendValue(StringBuilder sb, Object arg) {
    if (arg instanceof String s) {
      sb.append(s);
    } else if (arg instanceof Long || arg instanceof Integer || arg instanceof Short || arg instanceof Byte) {
      sb.append(((Number) arg).longValue());
    } else if (arg instanceof Boolean b) {
      sb.append(b.booleanValue());
    } else if (arg instanceof Character c) {
      sb.append(c.charValue());
    } else {
      sb.append(arg); // String.valueOf: null, Double, Float, UUID, BigDecimal, java.time values
    }
  }

  /** A {@code KeyValue} attribute as {@link Values#kv(String, Object)} encodes (an empty key is left out). */
  private static void keyValue(RecordWriter out, String key, Object value) {
    int m = out.begin(LogRecord.ATTRIBUTES_FIELD_NUMBER);
    if (!key.isEmpty()) out.stableString(KeyValue.KEY_FIELD_NUMBER, key);
    Values.write(out, KeyValue.VALUE_FIELD_NUMBER, value);
    out.end(m);
  }

  /** A string attribute as {@link Values#kv(String, String)} encodes: a null value is the empty string. */
  private static void stringKeyValue(RecordWriter out, String key, String value) {
    int m = out.begin(LogRecord.ATTRIBUTES_FIELD_NUMBER);
    if (!key.isEmpty()) out.stableString(KeyValue.KEY_FIELD_NUMBER, key);
    int v = out.begin(KeyValue.VALUE_FIELD_NUMBER);
    out.string(AnyValue.STRING_VALUE_FIELD_NUMBER, value == null ? "" : value);
    out.end(v);
    out.end(m);
  }

  private void encodeMdc(RecordWriter out, Map<String, String> mdc) {
    boolean all = mdcInclude.isEmpty();
    boolean none = mdcExclude.isEmpty();
    for (Map.Entry<String, String> e : mdc.entrySet()) {
      String key = e.getKey();
      if (key == null) continue;
      if ((all || mdcInclude.matchesAny(key)) && (none || !mdcExclude.matchesAny(key))) {
        stringKeyValue(out, key, e.getValue());
      }
    }
  }

  private static void encodeCallerData(RecordWriter out, StackTraceElement[] callerData) {
    if (callerData == null || callerData.length == 0) return;
    StackTraceElement caller = callerData[0];
    if (caller.getFileName() != null) stringKeyValue(out, "code.filepath", caller.getFileName());
    if (caller.getLineNumber() > 0) keyValue(out, "code.lineno", (long) caller.getLineNumber());
    stringKeyValue(out, "code.namespace", caller.getClassName());
    stringKeyValue(out, "code.function", caller.getMethodName());
  }

  /** As {@link TraceContext#fromHex}: both ids valid or nothing; flags only when valid (and, as protobuf, not 0). */
  private static void encodeHexContext(RecordWriter out, String traceId, String spanId, String flags) {
    if (TraceContext.hexToBytes(traceId, 16) == null || TraceContext.hexToBytes(spanId, 8) == null) return;
    out.hexBytes(LogRecord.TRACE_ID_FIELD_NUMBER, traceId, 16);
    out.hexBytes(LogRecord.SPAN_ID_FIELD_NUMBER, spanId, 8);
    byte[] f = TraceContext.hexToBytes(flags, 1);
    if (f != null && f[0] != 0) out.fixed32(LogRecord.FLAGS_FIELD_NUMBER, f[0] & 0xff);
  }

  /** The marker's name, then its references' names, depth-first, each name once (as {@link #addMarker}). */
  private static void collectMarker(List<String> names, Marker marker, int depth) {
    if (marker == null) return;
    String name = marker.getName();
    if (name != null && !names.contains(name)) names.add(name);
    if (depth >= MAX_MARKER_DEPTH || !marker.hasReferences()) return;
    for (Iterator<Marker> it = marker.iterator(); it.hasNext();) collectMarker(names, it.next(), depth + 1);
  }

  /**
   * Epoch nanoseconds from Logback's millisecond timestamp and nano-of-second. The nano-of-second is trusted only
   * when it agrees with the milliseconds (events built by hand or by old versions may carry 0 or -1 there).
   */
  static long eventTimeNanos(long timeStampMs, int nanoOfSecond) {
    long seconds = Math.floorDiv(timeStampMs, 1000L);
    long millis = Math.floorMod(timeStampMs, 1000L);
    long nanos = (nanoOfSecond >= 0 && nanoOfSecond / 1_000_000 == millis) ? nanoOfSecond : millis * 1_000_000L;
    return seconds * 1_000_000_000L + nanos;
  }

  static SeverityNumber severity(Level level) {
    switch (level.levelInt) {
      case Level.TRACE_INT:
        return Severities.trace();
      case Level.DEBUG_INT:
        return Severities.debug();
      case Level.INFO_INT:
        return Severities.info();
      case Level.WARN_INT:
        return Severities.warn();
      case Level.ERROR_INT:
        return Severities.error();
      default:
        return SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    }
  }

  private void addMdc(LogRecord.Builder b, Map<String, String> mdc) {
    boolean all = mdcInclude.isEmpty();
    boolean none = mdcExclude.isEmpty();
    for (Map.Entry<String, String> e : mdc.entrySet()) {
      String key = e.getKey();
      if (key == null) continue;
      if ((all || mdcInclude.matchesAny(key)) && (none || !mdcExclude.matchesAny(key))) {
        b.addAttributes(Values.kv(key, e.getValue()));
      }
    }
  }

  private static void addCallerData(LogRecord.Builder b, StackTraceElement[] callerData) {
    if (callerData == null || callerData.length == 0) return;
    StackTraceElement caller = callerData[0];
    if (caller.getFileName() != null) b.addAttributes(Values.kv("code.filepath", caller.getFileName()));
    if (caller.getLineNumber() > 0) b.addAttributes(Values.kv("code.lineno", (Object) (long) caller.getLineNumber()));
    b.addAttributes(Values.kv("code.namespace", caller.getClassName()));
    b.addAttributes(Values.kv("code.function", caller.getMethodName()));
  }

  private static void addMarker(LogRecord.Builder b, Marker marker, int depth) {
    if (marker == null) return;
    String name = marker.getName();
    if (name != null && !b.getMarkersList().contains(name)) b.addMarkers(name);
    if (depth >= MAX_MARKER_DEPTH || !marker.hasReferences()) return;
    for (Iterator<Marker> it = marker.iterator(); it.hasNext();) addMarker(b, it.next(), depth + 1);
  }

  private ExceptionInfo exception(IThrowableProxy proxy) {
    if (proxy instanceof ThrowableProxy tp && tp.getThrowable() != null) {
      return Exceptions.toProto(tp.getThrowable(), maxExceptionDepth, maxFrames, rootCauseFirst);
    }
    return Exceptions.toProto(proxy, PROXY, maxExceptionDepth, maxFrames, rootCauseFirst);
  }

  /**
   * A proxy (a deserialized event) read the way {@link Exceptions} reads a throwable, so both give the same shape:
   * every frame up to {@code maxFrames} (Logback's common-frames count only affects its own printing).
   */
  private static final Exceptions.Shape<IThrowableProxy> PROXY = new Exceptions.Shape<>() {
    @Override
    public String type(IThrowableProxy t) {
      return t.getClassName();
    }

    @Override
    public String message(IThrowableProxy t) {
      return t.getMessage();
    }

    @Override
    public StackTraceElement[] frames(IThrowableProxy t) {
      StackTraceElementProxy[] proxies = t.getStackTraceElementProxyArray();
      if (proxies == null) return null;
      StackTraceElement[] frames = new StackTraceElement[proxies.length];
      for (int i = 0; i < proxies.length; i++) frames[i] = proxies[i].getStackTraceElement();
      return frames;
    }

    @Override
    public IThrowableProxy cause(IThrowableProxy t) {
      return t.getCause();
    }

    @Override
    public IThrowableProxy[] suppressed(IThrowableProxy t) {
      return t.getSuppressed();
    }
  };

  @Override
  public String toString() {
    return "LogbackEventMapper{includeCallerData=" + includeCallerData + ", mdcInclude=" + mdcInclude
        + ", mdcExclude=" + mdcExclude + ", maxExceptionDepth=" + maxExceptionDepth + ", maxFrames=" + maxFrames
        + ", rootCauseFirst=" + rootCauseFirst + '}';
  }
}
