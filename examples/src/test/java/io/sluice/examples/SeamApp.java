package io.sluice.examples;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.sluice.examples.EndToEnd.App;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.event.KeyValuePair;

/**
 * A child JVM for {@link BackendSeamIT}: an app logging through the Logback appender (tenant {@value #TENANT},
 * service {@value #SERVICE}) that does what its stdin says, one command a line:
 *
 * <ul>
 *   <li>{@code log FROM TO [RATE]}: logs records {@code [FROM, TO)} on a logging thread (RATE records/s, default as
 *       fast as possible), then prints {@code logged TO}; one {@code log} at a time (a second waits for the first);
 *   <li>{@code stats}: prints {@code stats appended=… acknowledged=… dropped=… queued=… batching=… spooled=…};
 *   <li>{@code exit}: closes the appender and exits 0.
 * </ul>
 *
 * Severity by record number: 9 of every 10th is ERROR with an exception, 6–8 WARN, the rest INFO; 5 is a late INFO
 * record, its event time 1–3 minutes before it is logged (as a buffer flushed late would carry), so the records'
 * own minutes differ from their arrival. Every record carries its number as the key-value {@code seq}. Arguments:
 * endpoint, spoolDir.
 */
public final class SeamApp {
  static final String TENANT = "acme";
  static final String SERVICE = "seam-shop";

  public static void main(String[] args) throws Exception {
    App app = EndToEnd.app(args[0], Path.of(args[1]), Map.of("tenant", TENANT, "serviceName", SERVICE));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Thread logging = null;
    String line;
    while ((line = in.readLine()) != null) {
      String[] w = line.trim().split("\\s+");
      switch (w[0]) {
        case "log" -> {
          if (logging != null) logging.join();
          int from = Integer.parseInt(w[1]);
          int to = Integer.parseInt(w[2]);
          int rate = w.length > 3 ? Integer.parseInt(w[3]) : 0;
          logging = new Thread(() -> {
            log(app.logger(), from, to, rate);
            say("logged " + to);
          }, "seam-logging");
          logging.start();
        }
        case "stats" -> say(stats(app.appender().stats()));
        case "exit" -> {
          if (logging != null) logging.join();
          app.close();
          System.exit(0);
        }
        default -> say("unknown command " + line);
      }
    }
    app.close(); // stdin closed: the test is gone
  }

  static void log(Logger logger, int from, int to, int ratePerSecond) {
    long started = System.nanoTime();
    for (int i = from; i < to; i++) {
      if (ratePerSecond > 0) {
        long wait = started + (long) ((i - from) * 1e9 / ratePerSecond) - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
      }
      switch (i % 10) {
        case 9 -> logger.atError().addKeyValue("seq", i)
            .setCause(new IllegalStateException("payment provider " + i % 3 + " declined"))
            .log("order {} failed", i);
        case 5 -> {
          LoggingEvent late = new LoggingEvent(Logger.class.getName(), logger, Level.INFO, "order {} replayed late",
              null, new Object[] {i});
          late.setInstant(Instant.now().minus(1 + i % 3, ChronoUnit.MINUTES));
          late.addKeyValuePair(new KeyValuePair("seq", i));
          logger.callAppenders(late);
        }
        case 6, 7, 8 -> logger.atWarn().addKeyValue("seq", i).log("order {} slow: {} ms", i, 200 + i % 300);
        default -> logger.atInfo().addKeyValue("seq", i).log("order {} placed, {} items", i, 1 + i % 7);
      }
    }
  }

  static String stats(PipelineStats s) {
    return "stats appended=" + s.appended() + " acknowledged=" + s.acknowledged() + " dropped=" + s.dropped()
        + " queued=" + s.queued() + " batching=" + s.batching() + " spooled=" + s.spooled();
  }

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private SeamApp() {}
}
