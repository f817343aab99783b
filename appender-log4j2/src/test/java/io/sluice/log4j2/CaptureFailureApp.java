package io.sluice.log4j2;

import io.sluice.sdk.pipeline.PipelineStats;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;

/**
 * A tiny application for {@link CaptureFailureTest}, run in a child JVM whose classpath may lack a dependency: the
 * Sluice plugin with defaults ({@code sluice-capture-failure.xml}; spool args[0], collector args[1], never reached),
 * args[2] INFO events, then its StatusLogger ERRORs and the pipeline's counters as {@code status-error: ...} and
 * {@code stats: appended=... captureFailed=... dropped=...} lines on stdout.
 */
public final class CaptureFailureApp {
  private CaptureFailureApp() {}

  public static void main(String[] args) {
    System.setProperty("sluice.test.spool", args[0]);
    System.setProperty("sluice.test.endpoint", args[1]);
    List<String> errors = new CopyOnWriteArrayList<>();
    StatusLogger.getLogger().registerListener(new StatusListener() {
      @Override
      public void log(StatusData data) {
        if (data.getLevel().isMoreSpecificThan(Level.ERROR)) errors.add(data.getMessage().getFormattedMessage());
      }

      @Override
      public Level getStatusLevel() {
        return Level.ERROR;
      }

      @Override
      public void close() {}
    });
    LoggerContext context = Log4j2Testing.start("sluice-capture-failure.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    Logger logger = context.getLogger("com.example.App");
    int events = Integer.parseInt(args[2]);
    for (int i = 0; i < events; i++) logger.info("event {}", i);
    PipelineStats s = appender.manager().stats();
    System.out.println("started: " + appender.isStarted());
    for (String e : errors) System.out.println("status-error: " + e.replace('\n', ' '));
    System.out.println("stats: appended=" + (s == null ? -1 : s.appended()) + " captureFailed="
        + (s == null ? -1 : droppedAs(s, "CAPTURE_FAILED")) + " dropped=" + (s == null ? -1 : s.dropped()));
    context.stop();
  }

  /** By name, so that this app also runs against a build without that reason (to see the test fail there). */
  private static long droppedAs(PipelineStats s, String reason) {
    return s.droppedByReason().entrySet().stream().filter(e -> e.getKey().name().equals(reason))
        .mapToLong(java.util.Map.Entry::getValue).sum();
  }
}
