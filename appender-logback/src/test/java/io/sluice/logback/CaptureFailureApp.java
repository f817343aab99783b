package io.sluice.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.status.Status;
import io.sluice.sdk.pipeline.PipelineStats;

/**
 * A tiny application for {@link CaptureFailureTest}, run in a child JVM whose classpath may lack a dependency: it
 * attaches the Sluice appender with defaults (collector endpoint from args[1], never reached), logs args[2] INFO
 * events, and prints its status ERRORs and the pipeline's counters as {@code status-error: ...} and
 * {@code stats: appended=... captureFailed=... dropped=...} lines on stdout.
 */
public final class CaptureFailureApp {
  private CaptureFailureApp() {}

  public static void main(String[] args) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(org.slf4j.MDC.getMDCAdapter());
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.setSpoolDir(args[0]);
    appender.setEndpoint(args[1]);
    appender.setCloseTimeoutMs("0");
    appender.start();
    Logger logger = context.getLogger("com.example.App");
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
    int events = Integer.parseInt(args[2]);
    for (int i = 0; i < events; i++) logger.info("event {}", i);
    PipelineStats s = appender.stats();
    System.out.println("started: " + appender.isStarted());
    for (Status st : context.getStatusManager().getCopyOfStatusList()) {
      if (st.getLevel() == Status.ERROR) System.out.println("status-error: " + st.getMessage().replace('\n', ' '));
    }
    System.out.println("stats: appended=" + (s == null ? -1 : s.appended()) + " captureFailed="
        + (s == null ? -1 : droppedAs(s, "CAPTURE_FAILED")) + " dropped=" + (s == null ? -1 : s.dropped()));
    appender.stop();
  }

  /** By name, so that this app also runs against a build without that reason (to see the test fail there). */
  private static long droppedAs(PipelineStats s, String reason) {
    return s.droppedByReason().entrySet().stream().filter(e -> e.getKey().name().equals(reason))
        .mapToLong(java.util.Map.Entry::getValue).sum();
  }
}
