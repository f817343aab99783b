package io.sluice.examples;

import io.sluice.examples.EndToEnd.App;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A child JVM for {@link AppCrashIT}: logs records {@code [from, to)} through the Logback appender, prints
 * {@code SPOOLED} once every one of them is in the spool (or already acknowledged), then waits to be killed.
 * Arguments: endpoint, spoolDir, from, to.
 */
public final class CrashingApp {
  public static void main(String[] args) {
    String endpoint = args[0];
    Path spool = Path.of(args[1]);
    int from = Integer.parseInt(args[2]);
    int to = Integer.parseInt(args[3]);
    App app = EndToEnd.app(endpoint, spool, Map.of());
    EndToEnd.log(app, from, to);
    long n = to - from;
    while (true) {
      PipelineStats s = app.appender().stats();
      if (s.spooled() + s.acknowledged() + s.dropped() >= n && s.queued() == 0 && s.overflowed() == 0
          && s.batching() == 0)
        break;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    System.out.println("SPOOLED " + app.appender().stats());
    System.out.flush();
    LockSupport.park(); // until SIGKILL
  }
}
