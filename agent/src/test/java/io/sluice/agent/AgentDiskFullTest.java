package io.sluice.agent;

import static io.sluice.agent.Harness.append;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.SmallFilesystem;
import io.sluice.sdk.testkit.TestCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's spool on a real, small filesystem that fills up (ENOSPC) while the collector is away: the agent keeps
 * running, counts the refused writes and waits (the files are the buffer), and once space frees and the collector is
 * back every line arrives. Before, the first refused write ended the tailing thread ("tailing stopped by an
 * unexpected error") and nothing more was read.
 */
class AgentDiskFullTest {
  @TempDir
  Path tmp;

  @Test
  void aFullSpoolDiskPausesReadingAndLosesNothing() throws Exception {
    try (TestCollector collector = new TestCollector();
        SmallFilesystem fs = SmallFilesystem.mount(tmp.resolve("fs"), 24L << 20)) {
      Path logs = Files.createDirectories(tmp.resolve("logs"));
      Path file = logs.resolve("app.log");
      AgentConfig config = Harness.config(collector, fs.root().resolve("spool"),
          InputConfig.plain("app", logs + "/*.log")).build();
      List<String> written = new ArrayList<>();
      Random random = new Random(14);
      try (Agent agent = Agent.start(config)) {
        append(file, lines(written, random, 100));
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() >= 100);
        int port = collector.port();
        collector.stop(); // nothing drains the spool now
        fs.fillLeaving(0);
        // incompressible lines, far more than the space RocksDB had preallocated for its log
        for (int i = 0; i < 8; i++) append(file, lines(written, random, 3_000));
        await().atMost(Duration.ofSeconds(60)).until(() -> agent.stats().diskFullWaits.sum() > 0);
        assertThat(agent.liveness()).as("the tailing thread is alive").isEqualTo("ok");
        fs.freeFiller();
        collector.start(port);
        await().atMost(Duration.ofSeconds(120)).until(() -> collector.distinct() >= written.size());
        assertThat(agent.liveness()).isEqualTo("ok");
      }
      // every line, none invented (a batch in flight when the collector stopped may arrive twice)
      assertThat(new java.util.HashSet<>(Harness.bodies(collector))).isEqualTo(new java.util.HashSet<>(written));
    }
  }

  private static String lines(List<String> written, Random random, int n) {
    StringBuilder sb = new StringBuilder();
    byte[] bytes = new byte[180];
    for (int i = 0; i < n; i++) {
      random.nextBytes(bytes);
      String line = written.size() + " " + Base64.getEncoder().encodeToString(bytes);
      written.add(line);
      sb.append(line).append('\n');
    }
    return sb.toString();
  }
}
