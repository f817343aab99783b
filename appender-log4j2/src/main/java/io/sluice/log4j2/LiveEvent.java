package io.sluice.log4j2;

import io.opentelemetry.api.trace.SpanContext;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.sdk.record.TraceContext;
import io.sluice.wire.RecordWriter;
import org.apache.logging.log4j.core.LogEvent;

/**
 * The event Log4j2 passes to {@code append}, as a record that is valid only during that call
 * ({@link io.sluice.sdk.pipeline.Pipeline#offerNow}): under a backlog the pipeline encodes the record on the logging
 * thread anyway, so it is encoded from the live event, without the copy into a {@link CapturedEvent} slot. One per
 * thread, reused; never offered through {@code offer} (it would be read after the event changed).
 */
final class LiveEvent implements DeferredRecord {
  private static final ThreadLocal<LiveEvent> PER_THREAD = ThreadLocal.withInitial(LiveEvent::new);

  private LogEvent event;
  private Log4j2EventMapper mapper;
  private SpanContext span;

  /** This thread's view of {@code event}; {@link #clear()} it after the offer. */
  static LiveEvent of(LogEvent event, Log4j2EventMapper mapper) {
    LiveEvent live = PER_THREAD.get();
    live.event = event;
    live.mapper = mapper;
    // as CapturedEvent: the thread's span only when the event was logged on this thread
    live.span = event.getThreadId() == Thread.currentThread().getId() ? TraceContext.currentSpan() : null;
    return live;
  }

  /** Lets go of the event (it belongs to Log4j2, which may reuse it). */
  void clear() {
    event = null;
    mapper = null;
    span = null;
  }

  @Override
  public int estimatedBytes() {
    return 0; // encoded at once: never counted against the queue as a deferred record
  }

  @Override
  public int severityNumber() {
    org.apache.logging.log4j.Level level = event.getLevel();
    return level == null ? 0 : Log4j2EventMapper.severity(level.intLevel()).getNumber();
  }

  @Override
  public boolean writeTo(RecordWriter out) {
    mapper.encode(event, span, out);
    return true;
  }

  @Override
  public LogRecord build() {
    EncodedRecord out = EncodedRecord.take();
    mapper.encode(event, span, out);
    return out.build();
  }
}
