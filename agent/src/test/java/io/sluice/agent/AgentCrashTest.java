package io.sluice.agent;

import static io.sluice.agent.Harness.bodies;
import static io.sluice.agent.Harness.bodyDuplicates;
import static io.sluice.agent.Harness.expected;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent as a separate JVM, killed with SIGKILL at random points while a writer appends and rotates, then
 * restarted: every line arrives, and every duplicate is a resend of a spooled batch (same identity), never a line
 * read twice.
 */
class AgentCrashTest {
  @TempDir
  Path tmp;

  static Process startAgent(Path config, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), AgentMain.class.getName(), "--config", config.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    return pb.start();
  }

  static String yaml(TestCollector c, Path spool, String include) {
    return yaml(c.endpoint(), spool, include);
  }

  static String yaml(String endpoint, Path spool, String include) {
    return String.join("\n",
        "serviceName: crash-test",
        "collector: {endpoints: [\"" + endpoint + "\"], reconnectMinMs: 20, reconnectMaxMs: 200}",
        "spool: {dir: \"" + spool + "\"}",
        "batch: {maxRecords: 200, lingerMs: 20}",
        "tail: {pollIntervalMs: 10, rescanIntervalMs: 50, releaseAfterMs: 300}",
        "http: {port: -1}",
        "drainTimeoutMs: 3s",
        "inputs:",
        "  - name: app",
        "    include: [\"" + include + "\"]",
        "    exclude: [\"*.gz\"]",
        "");
  }

  @Test
  void losesNothingWhenKilledAtRandomPointsWhileFilesRotate() throws Exception {
    Path logs = Files.createDirectories(tmp.resolve("logs"));
    Path app = logs.resolve("app.log");
    Path config = tmp.resolve("agent.yaml");
    Path out = tmp.resolve("agent-out.txt");
    Random random = new Random(Long.getLong("seed", System.nanoTime()));
    try (TestCollector collector = new TestCollector()) {
      // Rotated files keep matching the glob (app.log.N): a file rotated while the agent was down is found too.
      Files.writeString(config, yaml(collector, tmp.resolve("spool"), logs + "/app.log*"));
      int rotations = 0;
      try (LineWriter writer = new LineWriter(app, "k-", 2000).start()) {
        for (int kill = 0; kill < 4; kill++) {
          Process agent = startAgent(config, out);
          try {
            long target = collector.received().size() + 500 + random.nextInt(1500);
            await().atMost(Duration.ofSeconds(30)).until(() -> collector.received().size() >= target);
            if (random.nextBoolean()) {
              Files.move(app, logs.resolve("app.log." + (++rotations)));
              writer.reopen();
            }
            long more = writer.written() + random.nextInt(800);
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() >= more);
          } finally {
            agent.destroyForcibly(); // SIGKILL
            agent.waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
      // Writer stopped: one last clean run must bring every line.
      long total;
      Process agent = startAgent(config, out);
      try {
        total = countLines(logs);
        await().atMost(Duration.ofSeconds(60)).until(() -> distinctBodies(collector) >= total);
      } finally {
        agent.destroy(); // SIGTERM: drain
        agent.waitFor(20, TimeUnit.SECONDS);
        if (agent.isAlive()) agent.destroyForcibly();
      }
      assertThat(new HashSet<>(bodies(collector))).containsExactlyInAnyOrderElementsOf(
          expected("k-", 0, (int) total));
      // Every duplicate is a batch resent after a kill (same client/epoch/sequence/index), never a re-read line.
      assertThat(bodyDuplicates(collector)).isEqualTo(collector.duplicates());
      System.out.println("crash test: " + total + " lines, " + rotations + " rotations, 4 kills, "
          + collector.duplicates() + " duplicates (resent batches)");
    }
  }

  static long distinctBodies(TestCollector c) {
    return new HashSet<>(bodies(c)).size();
  }

  static long countLines(Path dir) throws Exception {
    long n = 0;
    try (var files = Files.list(dir)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        try (var lines = Files.lines(p)) {
          n += lines.count();
        }
      }
    }
    return n;
  }

  /** Event n in CRI format: a plain line, a line split into P + F parts, or a 3-line Java stack trace. */
  static String criEvent(long n) {
    String t = "2024-05-01T12:00:00.000000000Z stdout ";
    return switch ((int) (n % 3)) {
      case 0 -> t + "F event-" + n + " plain\n";
      case 1 -> t + "P event-" + n + " split " + "\n" + t + "F across partials\n";
      default -> t + "F event-" + n + " ERROR failed\n" + t + "F java.lang.IllegalStateException: boom " + n + "\n"
          + t + "F \tat a.B.c(B.java:" + n + ")\n";
    };
  }

  static String criBody(long n) {
    return switch ((int) (n % 3)) {
      case 0 -> "event-" + n + " plain";
      case 1 -> "event-" + n + " split across partials";
      default ->
        "event-" + n + " ERROR failed\njava.lang.IllegalStateException: boom " + n + "\n\tat a.B.c(B.java:" + n + ")";
    };
  }

  @Test
  void losesNothingWhenKilledWhileCriPartialsAndStackTracesAreHeld() throws Exception {
    Path logs = Files.createDirectories(tmp.resolve("pods/ns_pod_0a1b/app"));
    Path log = logs.resolve("0.log");
    Path config = tmp.resolve("agent.yaml");
    Path out = tmp.resolve("agent-out.txt");
    Random random = new Random(Long.getLong("seed", System.nanoTime()));
    try (TestCollector collector = new TestCollector()) {
      Files.writeString(config, yaml(collector, tmp.resolve("spool"), logs + "/*.log")
          + "    container: cri\n    multiline: {mode: java, flushTimeoutMs: 200}\n");
      try (LineWriter writer = new LineWriter(log, AgentCrashTest::criEvent, 1500).start()) {
        for (int kill = 0; kill < 3; kill++) {
          Process agent = startAgent(config, out);
          try {
            long target = collector.received().size() + 300 + random.nextInt(900);
            await().atMost(Duration.ofSeconds(30)).until(() -> collector.received().size() >= target);
          } finally {
            agent.destroyForcibly(); // SIGKILL
            agent.waitFor(10, TimeUnit.SECONDS);
          }
        }
      }
      long total;
      Process agent = startAgent(config, out);
      try {
        total = countEvents(log);
        await().atMost(Duration.ofSeconds(60)).until(() -> distinctBodies(collector) >= total);
      } finally {
        agent.destroy();
        agent.waitFor(20, TimeUnit.SECONDS);
        if (agent.isAlive()) agent.destroyForcibly();
      }
      Set<String> want = new HashSet<>();
      for (long n = 0; n < total; n++) want.add(criBody(n));
      assertThat(new HashSet<>(bodies(collector))).containsExactlyInAnyOrderElementsOf(want);
      assertThat(bodyDuplicates(collector)).isEqualTo(collector.duplicates());
      System.out.println("cri crash test: " + total + " events, 3 kills, " + collector.duplicates() + " duplicates");
    }
  }

  /** Events in a CRI file written by {@link #criEvent}: one per line that holds "event-". */
  static long countEvents(Path file) throws Exception {
    try (var lines = Files.lines(file)) {
      return lines.filter(l -> l.contains(" event-")).count();
    }
  }
}
