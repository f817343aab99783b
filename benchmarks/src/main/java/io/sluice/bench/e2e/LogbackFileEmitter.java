package io.sluice.bench.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.sluice.bench.data.LogLines;
import io.sluice.bench.logback.LogbackAppenderBench;
import io.sluice.bench.logback.LogbackContexts;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The no-network floor: Logback's AsyncAppender (queue 8,192, blocking, no discarding) over a buffered FileAppender,
 * as in {@link LogbackAppenderBench}. Delivered = lines in the file after close, less the warm-up's; no latency (nothing to time at the
 * far end).
 */
final class LogbackFileEmitter implements Emitter {
  private final LoggerContext context = LogbackContexts.create("logback-file");
  private final Logger logger;
  private final Path file;

  private final int warmupLines;

  LogbackFileEmitter(Path file, int warmupLines) {
    this.file = file;
    this.warmupLines = warmupLines;
    logger = context.getLogger("com.example.checkout.OrderService");
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    logger.addAppender(LogbackAppenderBench.asyncFile(context, file));
  }

  @Override
  public void log(LogLines.Event e, long id, long intendedNanos) {
    logger.atInfo().addKeyValue(AttributeDecoder.ID, id).addKeyValue(AttributeDecoder.T0, intendedNanos)
        .addKeyValue("request.id", e.requestId()).log(e.message());
  }

  @Override
  public boolean decode(byte[] value, long[] out) {
    return false;
  }

  @Override
  public Sink sink() {
    return Sink.FILE;
  }

  @Override
  public long deliveredToFile() {
    long lines = 0;
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) if (buf[i] == '\n') lines++;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return lines - warmupLines; // the warm-up's lines are in the file too
  }

  @Override
  public void close() {
    context.stop();
  }
}
