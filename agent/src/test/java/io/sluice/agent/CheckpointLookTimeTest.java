package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: a checkpoint says when the agent last found its file at the watched path ({@code seenAtMillis}); after a
 * restart the path's rotated siblings last written since then (minus a 2 s slack) are read. It used to say when the
 * checkpoint was written instead, which can be much later: here the agent keeps reading the rotated {@code app.log}
 * (the file that replaced it waits at the open-files bound), writes its checkpoint seconds after the replacement was
 * written, and the replacement is rotated away while the agent is down. After the restart it was never read: lost
 * whole. The same happens when the tailing thread stalls between its look at a file and the batch write.
 *
 * <p>Step by step: the only wait is for the wall clock to pass the replacement's write time by more than the slack.
 */
class CheckpointLookTimeTest {
  @TempDir
  Path tmp;

  @Test
  void aFileThatReplacedARotatedFileAndWasRotatedAwayWhileTheAgentWasDownIsReadAfterTheRestart() throws Exception {
    try (TestCollector collector = new TestCollector()) {
      Path logs = Files.createDirectories(tmp.resolve("logs"));
      Path file = logs.resolve("app.log");
      Path spoolDir = tmp.resolve("spool");
      InputConfig input = InputConfig.plain("app", logs + "/*.log");
      // One open file, and a rotated file stays open long after it stopped growing: y waits behind x.
      AgentConfig bounded = Harness.config(collector, spoolDir, input).maxOpenFiles(1).releaseAfterMs(600_000).build();

      Harness.append(file, Harness.lines("x-", 0, 10));
      try (Agent first = Agent.start(bounded)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() == 10);
        Files.move(file, logs.resolve("app.log.1")); // rotation (create): x is app.log.1, y is the new app.log
        Harness.append(file, Harness.lines("y-", 0, 10));
        Instant yWritten = Files.getLastModifiedTime(file).toInstant();
        // More than the 2 s slack after y was written, x (still open, rotated) gets lines and its checkpoint.
        Instant past = yWritten.plusMillis(2_500);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
            .until(() -> Instant.now().isAfter(past));
        Harness.append(logs.resolve("app.log.1"), Harness.lines("x-", 10, 20));
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() == 20);
      }
      assertThat(Harness.bodies(collector)).doesNotContain("y-0"); // it never got past the open-files bound

      // While the agent is down: logrotate again (x -> app.log.2, y -> app.log.1) and z is written.
      Files.move(logs.resolve("app.log.1"), logs.resolve("app.log.2"));
      Files.move(file, logs.resolve("app.log.1"));
      Harness.append(file, Harness.lines("z-", 0, 10));

      try (Agent second = Agent.start(Harness.config(collector, spoolDir, input).build())) {
        await().atMost(Duration.ofSeconds(30)).until(() -> Harness.bodies(collector).contains("z-9"));
      }
      List<String> want = new ArrayList<>(Harness.expected("x-", 0, 20));
      want.addAll(Harness.expected("y-", 0, 10));
      want.addAll(Harness.expected("z-", 0, 10));
      assertThat(new ArrayList<>(new LinkedHashSet<>(Harness.bodies(collector)))).containsExactlyElementsOf(want);
    }
  }
}
