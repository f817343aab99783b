package io.sluice.log4j2;

import io.sluice.sdk.record.KeyGlobs;
import io.sluice.sdk.record.TraceContext;

import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.Values;
import java.time.Clock;
import java.time.Instant;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.StructuredDataId;
import org.apache.logging.log4j.message.StructuredDataMessage;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.TriConsumer;

/**
 * Turns a Log4j2 {@link LogEvent} into a {@code sluice.v1.LogRecord}. Immutable and thread-safe; it runs on the
 * application's thread, so it does no I/O, takes no lock, never blocks and allocates little beyond the record itself
 * (no formatting, no streams, no lambdas per call: map and context entries are visited with Log4j2's garbage-free
 * {@code forEach(TriConsumer, state)}).
 *
 * <p>Log4j2 reuses event and message objects ({@code MutableLogEvent}, {@code ReusableParameterizedMessage}): the
 * returned record holds copies only, never a reference to the event, its message or its context map, so it may
 * outlive the {@code append} call that produced it.
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

  /** Adds one map-message field as a typed attribute; the state is the record builder. */
  private static final TriConsumer<String, Object, LogRecord.Builder> MAP_FIELD =
      (key, value, b) -> b.addAttributes(Values.kv(key, value));

  private final Clock clock;
  private final boolean includeCallerData;
  private final KeyGlobs contextInclude;
  private final KeyGlobs contextExclude;
  private final int maxExceptionDepth;
  private final int maxFrames;
  private final boolean rootCauseFirst;
  // Created once: visiting the context map per event then allocates nothing but the attributes themselves.
  private final TriConsumer<String, Object, LogRecord.Builder> contextEntry = this::addContextEntry;

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
   * Maps one event. Call it from {@code append}, before returning: a reusable event is cleared and refilled by
   * Log4j2 as soon as the appender returns. When {@code append} runs on another thread than the one that logged
   * (an {@code AsyncAppender} or async loggers), the current span belongs to that other thread and is ignored; only
   * the ThreadContext fallback supplies trace ids then.
   */
  LogRecord map(LogEvent event) {
    LogRecord.Builder b = LogRecord.newBuilder();
    org.apache.logging.log4j.core.time.Instant instant = event.getInstant();
    b.setTimeUnixNano(instant.getEpochSecond() * 1_000_000_000L + instant.getNanoOfSecond());
    Instant now = clock.instant();
    b.setObservedTimeUnixNano(now.getEpochSecond() * 1_000_000_000L + now.getNano());

    Level level = event.getLevel();
    if (level != null) {
      b.setSeverityNumber(severity(level.intLevel()));
      b.setSeverityText(level.name());
    }

    Message message = event.getMessage();
    if (message != null) addMessage(b, message);

    String loggerName = event.getLoggerName();
    if (loggerName != null) b.setLogger(loggerName);
    String threadName = event.getThreadName();
    if (threadName != null) b.setThreadName(threadName);
    long threadId = event.getThreadId();
    b.setThreadId(threadId);

    ReadOnlyStringMap context = event.getContextData();
    boolean hasContext = context != null && !context.isEmpty();
    if (hasContext) context.forEach(contextEntry, b);
    if (message instanceof MapMessage<?, ?> map) addMapMessage(b, map);
    if (includeCallerData) addCallerData(b, event.getSource());

    Marker marker = event.getMarker();
    if (marker != null) addMarker(b, marker, 0);

    Throwable thrown = event.getThrown();
    if (thrown != null) b.setException(Exceptions.toProto(thrown, maxExceptionDepth, maxFrames, rootCauseFirst));

    boolean onLoggingThread = threadId == Thread.currentThread().getId();
    if (!(onLoggingThread && TraceContext.fromCurrentSpan(b)) && hasContext) TraceContext.fromHex(b, context.getValue(CONTEXT_TRACE_ID), context.getValue(CONTEXT_SPAN_ID),
        context.getValue(CONTEXT_TRACE_FLAGS));
    return b.build();
  }

  private static void addMessage(LogRecord.Builder b, Message message) {
    String formatted = message.getFormattedMessage();
    if (formatted != null) b.setBody(Values.of(formatted));
    if (message instanceof MapMessage) return; // its parameters are its values, mapped as attributes
    Object[] params = message.getParameters();
    if (params == null || params.length == 0) return; // without arguments the template would only repeat the body
    String template = message.getFormat();
    if (template != null && !template.isEmpty()) b.setMessageTemplate(template);
    for (Object param : params) b.addMessageArguments(Values.of(param));
  }

  private static void addMapMessage(LogRecord.Builder b, MapMessage<?, ?> map) {
    map.forEach(MAP_FIELD, b);
    if (map instanceof StructuredDataMessage sd) {
      StructuredDataId id = sd.getId();
      if (id != null) b.addAttributes(Values.kv(SD_ID, id.toString()));
      String type = sd.getType();
      if (type != null) b.addAttributes(Values.kv(SD_TYPE, type));
    }
  }

  private void addContextEntry(String key, Object value, LogRecord.Builder b) {
    if (key == null) return;
    if ((contextInclude.isEmpty() || contextInclude.matchesAny(key))
        && (contextExclude.isEmpty() || !contextExclude.matchesAny(key))) {
      b.addAttributes(Values.kv(key, value));
    }
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

  private static void addCallerData(LogRecord.Builder b, StackTraceElement caller) {
    if (caller == null) return;
    if (caller.getFileName() != null) b.addAttributes(Values.kv("code.filepath", caller.getFileName()));
    if (caller.getLineNumber() > 0) b.addAttributes(Values.kv("code.lineno", (Object) (long) caller.getLineNumber()));
    b.addAttributes(Values.kv("code.namespace", caller.getClassName()));
    b.addAttributes(Values.kv("code.function", caller.getMethodName()));
  }

  private static void addMarker(LogRecord.Builder b, Marker marker, int depth) {
    String name = marker.getName();
    if (name != null && !b.getMarkersList().contains(name)) b.addMarkers(name);
    if (depth >= MAX_MARKER_DEPTH || !marker.hasParents()) return;
    Marker[] parents = marker.getParents();
    if (parents == null) return;
    for (Marker parent : parents) {
      if (parent != null) addMarker(b, parent, depth + 1);
    }
  }

  @Override
  public String toString() {
    return "Log4j2EventMapper{includeCallerData=" + includeCallerData + ", mdcInclude=" + contextInclude
        + ", mdcExclude=" + contextExclude + ", maxExceptionDepth=" + maxExceptionDepth + ", maxFrames=" + maxFrames
        + ", rootCauseFirst=" + rootCauseFirst + '}';
  }
}
