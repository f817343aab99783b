package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd.App;
import io.sluice.examples.EndToEnd.Arrivals;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * At-least-once across an application crash: an app JVM logs, its batches reach the spool, and it is killed with
 * SIGKILL (no shutdown hook, no close) while shipping. A second start on the same spool ships the rest: every
 * record reaches Kafka, and duplicates come only from batches that were in flight at the kill (same identity).
 */
class AppCrashIT {
  @TempDir
  Path dir;

  private static Process startApp(String endpoint, Path spool, int from, int to) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        CrashingApp.class.getName(), endpoint, spool.toString(), String.valueOf(from), String.valueOf(to));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  private static String awaitLine(Process p, String prefix, Duration timeout) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + timeout.toNanos();
    String line;
    while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
      if (line.startsWith(prefix)) return line;
    }
    throw new AssertionError("child never printed " + prefix);
  }

  @Test
  void killedAppLosesNothingThatReachedTheSpool() throws Exception {
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    CollectorConfig config = EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).build();
    Path spool = dir.resolve("spool");
    try (Collector collector = EndToEnd.startCollector(config)) {
      String endpoint = "127.0.0.1:" + collector.port();
      Process child = startApp(endpoint, spool, 0, 50_000);
      try {
        String spooled = awaitLine(child, "SPOOLED", Duration.ofSeconds(60));
        assertThat(spooled).contains("appended=50000");
      } finally {
        child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, shipping cut mid-flight
        child.waitFor(10, TimeUnit.SECONDS);
      }
      assertThat(new File(spool.toFile(), "CURRENT")).exists();

      try (App second = EndToEnd.app(endpoint, spool, Map.of())) {
        await().atMost(Duration.ofSeconds(60)).until(() -> second.appender().stats().spooled() == 0);
        Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, 50_000, Duration.ofSeconds(60));
        assertThat(arrivals.containsExactly(0, 50_000)).as("every record logged before the kill").isTrue();
        // A duplicate is a resent batch: it carries the same identity as its first copy.
        assertThat(arrivals.identities).hasSize(50_000);
      }
    }
  }
}
