package io.sluice.agent;

import static io.sluice.agent.Harness.bodies;
import static io.sluice.agent.Harness.bodyDuplicates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The issue-14 scenario in small: Debian's {@code logrotate} rotates {@code app.log} (numbered suffixes the include
 * glob does not match) while the agent — a separate JVM — is SIGKILLed and kept down across several rotations.
 * After each restart the rotated siblings written while it was down must be read: no line may be lost, and no line
 * read twice (every duplicate in the collector is a spooled batch resent with its original identity).
 */
class RotationRestartTest {
  @TempDir
  Path tmp;

  private static final int LINES_PER_SECOND = 4000;
  private static final int KILLS = 2;

  /** A line of about 200 bytes whose first field is its number. */
  static String line(long n) {
    String head = "rr-" + n + " ";
    return head + "x".repeat(Math.max(1, 199 - head.length())) + "\n";
  }

  static String key(String body) {
    int sp = body.indexOf(' ');
    return sp < 0 ? body : body.substring(0, sp);
  }

  private static void logrotate(Path conf, Path state) throws Exception {
    Process p = new ProcessBuilder("/usr/sbin/logrotate", "-f", "-s", state.toString(), conf.toString())
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("logrotate said: %s", output).isZero();
  }

  /**
   * {@code downLines}: how many lines the writer writes between the rotations made while the agent is down (the
   * restart delay, counted in lines rather than slept: 4,000 lines/s, so 1,000 is ~0.25 s and 4,000 ~1 s).
   */
  @ParameterizedTest(name = "{0}, down for {1} rotations of {2} lines")
  @CsvSource({"create, 2, 1000", "create, 3, 4000", "copytruncate, 2, 1000", "copytruncate, 3, 4000"})
  void rotationsWhileTheAgentIsDownLoseNoFile(String mode, int rotationsWhileDown, int downLines) throws Exception {
    assumeThat(Path.of("/usr/sbin/logrotate")).as("Debian package logrotate").exists();
    Path logs = Files.createDirectories(tmp.resolve("logs"));
    Path app = logs.resolve("app.log");
    Path conf = tmp.resolve("logrotate.conf");
    Path state = tmp.resolve("logrotate.state");
    Files.writeString(conf, app + " {\n  rotate 1000\n  " + mode + "\n  missingok\n  nocompress\n}\n");
    Path config = tmp.resolve("agent.yaml");
    Path out = tmp.resolve("agent-out.txt");
    Random random = new Random(Long.getLong("seed", System.nanoTime()));
    boolean create = mode.equals("create");
    int rotations = 0;
    try (TestCollector collector = new TestCollector()) {
      // Only app.log: the rotated files (app.log.1, .2, ...) are never matched by the glob.
      Files.writeString(config, AgentCrashTest.yaml(collector, tmp.resolve("spool"), app.toString()));
      long written;
      try (LineWriter writer = new LineWriter(app, RotationRestartTest::line, LINES_PER_SECOND)) {
        LineWriter.touch(app);
        writer.start();
        for (int kill = 0; kill < KILLS; kill++) {
          Process agent = AgentCrashTest.startAgent(config, out);
          try {
            // Up: until it delivered something new, plus a random share of a rotation while it runs.
            long target = AgentCrashTest.distinctBodies(collector) + 500;
            await().atMost(Duration.ofSeconds(60)).until(() -> AgentCrashTest.distinctBodies(collector) >= target);
            if (random.nextBoolean()) {
              logrotate(conf, state);
              rotations++;
              if (create) writer.reopen();
            }
            long more = writer.written() + random.nextInt(LINES_PER_SECOND);
            await().atMost(Duration.ofSeconds(10)).until(() -> writer.written() >= more);
          } finally {
            agent.destroyForcibly(); // SIGKILL
            agent.waitFor(10, TimeUnit.SECONDS);
          }
          // Down across several rotations, each file getting downLines lines.
          for (int r = 0; r < rotationsWhileDown; r++) {
            logrotate(conf, state);
            rotations++;
            if (create) writer.reopen();
            long more = writer.written() + downLines;
            await().atMost(Duration.ofSeconds(20)).until(() -> writer.written() >= more);
          }
        }
        writer.close();
        written = writer.written();
      }
      List<String> onDisk = new ArrayList<>();
      try (var files = Files.list(logs)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          for (String l : Files.readAllLines(p)) onDisk.add(key(l));
        }
      }
      Process agent = AgentCrashTest.startAgent(config, out);
      try {
        Set<String> want = new HashSet<>(onDisk);
        try {
          await().atMost(Duration.ofSeconds(90)).until(() -> keys(collector).containsAll(want));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          // reported below as the lines that never arrived
        }
      } finally {
        agent.destroy(); // SIGTERM: drain
        agent.waitFor(20, TimeUnit.SECONDS);
        if (agent.isAlive()) agent.destroyForcibly();
      }
      Set<String> delivered = keys(collector);
      // Every line on disk (app.log and every rotated file: none is deleted, rotate 1000) arrived; nothing else did.
      // copytruncate itself loses, on disk, the lines written between its copy and its truncation: those are on no
      // disk and not the agent's to deliver, so the files' contents are the reference, in create mode too.
      List<String> lost = new ArrayList<>(new HashSet<>(onDisk));
      lost.removeAll(delivered);
      lost.sort(null);
      assertThat(lost.size()).as("lines on disk never delivered (of %d; first: %s)", onDisk.size(),
          lost.subList(0, Math.min(5, lost.size()))).isZero();
      // Nothing invented. (copytruncate: a line written between logrotate's copy and its truncation is on no disk,
      // yet the agent may have read it from the file before the truncation: the bound is what was written.)
      Set<String> everWritten = new HashSet<>();
      for (long n = 0; n < written; n++) everWritten.add("rr-" + n);
      // (a set difference: AssertJ's containsAll on a Set walks the set for each element, quadratic in the lines)
      List<String> invented = new ArrayList<>(delivered);
      invented.removeIf(everWritten::contains);
      assertThat(invented).as("delivered lines never written").isEmpty();
      // No line read twice: every duplicate is a resend of a spooled batch (same client, epoch, sequence, index).
      assertThat(bodyDuplicates(collector)).isEqualTo(collector.duplicates());
      System.out.printf("rotation restart (%s, %d rotations of %d lines while down): %d lines on disk, %d rotations,"
          + " %d kills, %d duplicates (resent batches)%n", mode, rotationsWhileDown, downLines, onDisk.size(),
          rotations, KILLS, collector.duplicates());
      // create mode loses nothing on disk: the files hold every line written, each once.
      if (create) assertThat(new HashSet<>(onDisk)).hasSize(onDisk.size()).hasSize((int) written);
    }
  }

  private static Set<String> keys(TestCollector c) {
    Set<String> s = new HashSet<>();
    for (String b : bodies(c)) s.add(key(b));
    return s;
  }
}
