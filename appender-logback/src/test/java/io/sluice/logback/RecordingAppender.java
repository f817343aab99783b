package io.sluice.logback;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.RecordWriter;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * A test appender that splits the work exactly as {@link SluiceAppender} does: it captures each event on the
 * logging thread and builds its record on another thread (as the pipeline's batcher does), then keeps both the event
 * and the record. Every record is made both ways the batcher may make it, built ({@code build()}) and written
 * ({@code writeTo}), and the two must be the same bytes: so every mapping test also checks the hand-written encoder.
 */
public final class RecordingAppender extends UnsynchronizedAppenderBase<ILoggingEvent> {
  final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
  final List<LogRecord> records = new CopyOnWriteArrayList<>();
  volatile LogbackEventMapper mapper;

  /** Stands in for the batcher thread: a daemon thread that is not the logging one. */
  private static final Executor BUILDER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "test-builder");
    t.setDaemon(true);
    return t;
  });

  @Override
  protected void append(ILoggingEvent event) {
    events.add(event);
    LogbackEventMapper.Captured captured = mapper.capture(event);
    records.add(CompletableFuture.supplyAsync(() -> builtAndWritten(captured), BUILDER).join());
  }

  private static LogRecord builtAndWritten(LogbackEventMapper.Captured captured) {
    LogRecord built = captured.build();
    RecordWriter written = new RecordWriter(64);
    if (!captured.writeTo(written)) throw new AssertionError("Captured.writeTo wrote nothing");
    byte[] expected = built.toByteArray();
    if (!Arrays.equals(expected, written.toByteArray())) {
      throw new AssertionError("writeTo differs from build(): " + HexFormat.of().formatHex(written.toByteArray())
          + " vs " + HexFormat.of().formatHex(expected) + " (" + built + ")");
    }
    return built;
  }
}
