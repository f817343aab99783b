package io.sluice.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.sluice.proto.v1.LogRecord;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A test appender that maps each event on the logging thread, exactly where {@link SluiceAppender} does, and keeps
 * both the event and the record.
 */
public final class RecordingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  final List<LogRecord> records = new CopyOnWriteArrayList<>();
  volatile LogbackEventMapper mapper;

  @Override
  protected void append(ILoggingEvent event) {
    events.add(event);
    records.add(mapper.map(event));
  }
}
