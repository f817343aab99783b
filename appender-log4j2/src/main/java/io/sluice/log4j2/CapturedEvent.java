package io.sluice.log4j2;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.api.trace.SpanContext;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.sdk.record.TraceContext;
import io.sluice.wire.RecordWriter;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.MutableLogEvent;
import org.apache.logging.log4j.core.time.MutableInstant;
import org.apache.logging.log4j.util.ReadOnlyStringMap;
import org.apache.logging.log4j.util.StringMap;
import org.apache.logging.log4j.util.TriConsumer;
import org.jctools.queues.MpmcArrayQueue;

/**
 * A preallocated, mutable copy of one Log4j2 event, the way Log4j2's own async loggers hand events over
 * ({@code RingBufferLogEvent}): the logging thread copies the event's fields into a slot ({@link #capture}) and
 * offers it; the pipeline's batcher thread writes the record from the slot straight into its batch ({@link #writeTo})
 * and gives the slot back to the pool.
 *
 * <p>The copy is what Log4j2's {@link MutableLogEvent#initFrom} does (see {@link #copy}): the formatted message into the slot's reused
 * {@code StringBuilder}, the parameters swapped into its reused array, the ThreadContext into its reused map, and
 * level, logger, thread name and id, timestamps (nanoseconds when the clock has them), marker, throwable and caller
 * data by reference. Besides the event, the slot keeps what only the logging thread knows: its current
 * OpenTelemetry span. Messages that are not reusable (map and structured-data messages, for instance) are kept by
 * reference, frozen first as Log4j2 does for its async loggers; as with any asynchronous appender, an argument or
 * throwable mutated after the call may show its later state in the record (the body was formatted before).
 *
 * <p>Garbage-free in the steady state: slots come from a bounded pool ({@link #take()}), {@link #build()} gives its
 * slot back (on the batcher, or on a caller while it waits for room; a refused slot is
 * left to the garbage collector). The pool keeps at most
 * {@link #POOL_SIZE} idle slots, each with its message text cut back to Log4j2's reusable size (518 chars) and its
 * context map cleared, so its idle memory is bounded (about 0.7 KiB a slot for the usual event, about 3 MiB in all);
 * slots in flight are bounded by the pipeline's queue, and a slot taken while the pool is empty is allocated (and
 * pooled or dropped when released): a burst of more than {@link #POOL_SIZE} events ahead of the batcher, or a
 * standing backlog, allocates a slot per accepted event. One slot is
 * written by one thread at a time and not touched by it after it was offered.
 */
final class CapturedEvent implements DeferredRecord {
  static final int POOL_SIZE = 4096;
  private static final int MAX_PARAMETERS = 10; // Log4j2's own bound for garbage-free parameter swaps
  private static final MpmcArrayQueue<CapturedEvent> POOL = new MpmcArrayQueue<>(POOL_SIZE);

  /** Adds a context entry's key and value lengths to the slot's estimate (no lambda per call). */
  private static final TriConsumer<String, Object, CapturedEvent> CONTEXT_LENGTH = (key, value, slot) -> {
    slot.estimate += 4 + (key == null ? 0 : key.length())
        + (value instanceof CharSequence cs ? cs.length() : 8);
  };

  // The event's message text: MutableLogEvent formats reusable messages into this very builder and keeps it.
  private final StringBuilder text = new StringBuilder(256);
  private final MutableLogEvent event = new MutableLogEvent(text, new Object[MAX_PARAMETERS]);
  private Log4j2EventMapper mapper;
  private SpanContext span;
  private int estimate;

  /** A cleared slot from the pool, or a new one when the pool is empty. */
  static CapturedEvent take() {
    CapturedEvent slot = POOL.relaxedPoll();
    return slot != null ? slot : new CapturedEvent();
  }

  /**
   * Copies {@code source} into this slot on the logging thread, with that thread's current span when the event was
   * logged on it (not when {@code append} runs on an async appender's thread: the span then is that thread's).
   */
  CapturedEvent capture(LogEvent source, Log4j2EventMapper by) {
    copy(source, by.includeCallerData());
    mapper = by;
    span = source.getThreadId() == Thread.currentThread().getId() ? TraceContext.currentSpan() : null;
    // A reusable message was formatted into text; another one is kept as it is (its length is not known cheaply).
    int body = event.getMessage() == event ? text.length() : 0;
    long n = 16L + body + lengthOf(event.getFormat()) + lengthOf(event.getLoggerName())
        + lengthOf(event.getThreadName());
    estimate = 0;
    ReadOnlyStringMap context = event.getContextData();
    if (context != null && !context.isEmpty()) context.forEach(CONTEXT_LENGTH, this);
    estimate = (int) Math.min(Integer.MAX_VALUE, n + estimate);
    return this;
  }

  /**
   * {@link MutableLogEvent#initFrom} without what the record does not use: it would also ask for the caller's
   * location whenever the logger config includes location (Log4j2's default for synchronous loggers), a stack walk
   * that costs microseconds and kilobytes per call; here the location is taken only when {@code includeCallerData}
   * (the appender then {@linkplain SluiceAppender#requiresLocation requires it}), and the ThreadContext stack,
   * which is not mapped, is left out.
   */
  private void copy(LogEvent source, boolean includeLocation) {
    event.setLoggerFqcn(source.getLoggerFqcn());
    event.setMarker(source.getMarker());
    event.setLevel(source.getLevel());
    event.setLoggerName(source.getLoggerName());
    event.setThrown(source.getThrown());
    ((MutableInstant) event.getInstant()).initFrom(source.getInstant());
    ((StringMap) event.getContextData()).putAll(source.getContextData());
    event.setIncludeLocation(includeLocation);
    event.setSource(includeLocation ? source.getSource() : null);
    event.setThreadId(source.getThreadId());
    event.setThreadName(source.getThreadName());
    event.setThreadPriority(source.getThreadPriority());
    event.setNanoTime(source.getNanoTime());
    event.setMessage(source.getMessage()); // reusable: formatted into text, parameters swapped in; else kept
  }

  private static int lengthOf(String s) {
    return s == null ? 0 : s.length();
  }

  /**
   * A lower bound of the encoded record (UTF-8 takes at least a byte per char): body, template, logger, thread and
   * context text. Ignores frames and argument values, so records with large exceptions count low against the queue.
   */
  @Override
  public int estimatedBytes() {
    return estimate;
  }

  @Override
  public int severityNumber() {
    org.apache.logging.log4j.Level level = event.getLevel();
    return level == null ? 0 : Log4j2EventMapper.severity(level.intLevel()).getNumber();
  }

  /**
   * Writes the record from the slot straight into the batcher's writer (batcher thread: no message object, no parse)
   * and gives the slot back to the pool.
   */
  @Override
  public boolean writeTo(RecordWriter out) {
    try {
      mapper.encode(event, span, out);
      return true;
    } finally {
      recycle();
    }
  }

  /** Encodes the record from the slot and gives the slot back to the pool (a caller waiting for room, tests). */
  @Override
  public LogRecord build() {
    try {
      EncodedRecord out = EncodedRecord.take();
      mapper.encode(event, span, out);
      return out.build();
    } finally {
      recycle();
    }
  }

  /** The record, without releasing the slot (tests). */
  LogRecord parse() throws InvalidProtocolBufferException {
    EncodedRecord out = new EncodedRecord();
    mapper.encode(event, span, out);
    return out.parse();
  }

  /** Clears this slot and gives it back to the pool (dropped when the pool is full); not to be used afterwards. */
  void recycle() {
    event.clear();
    mapper = null;
    span = null;
    estimate = 0;
    POOL.relaxedOffer(this);
  }

  /** The copied event (tests). */
  LogEvent event() {
    return event;
  }
}
