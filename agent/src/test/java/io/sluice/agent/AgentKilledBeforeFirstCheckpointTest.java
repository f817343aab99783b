package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.ship.GrpcShipper;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.testkit.TestCollector;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 on a busy machine: an agent run that opened its spool, looked at {@code app.log} and was killed before
 * it stored any checkpoint (under load a JVM is easily killed between opening its spool and its first write) leaves
 * the next run no checkpoint naming the path. The file it looked at, rotated away while the agent was down, must
 * still be read after the restart: the agent stores since when it has been watching before its first look at any
 * file. Before, the next run took itself for the first start and never searched the path's rotated siblings: the
 * rotated file was lost whole (the bench's "oldest files lost" once a run was killed in that window).
 *
 * <p>The kill is made deterministic: the first run's spool refuses every write from the tailing thread (the thread
 * ends there, as a SIGKILL would end the process: nothing it read is stored), while the write made by the agent's
 * start goes through.
 */
class AgentKilledBeforeFirstCheckpointTest {
  @TempDir
  Path tmp;

  @Test
  void aFileLookedAtByARunKilledBeforeItsFirstCheckpointIsReadAfterItWasRotated() throws Exception {
    try (TestCollector collector = new TestCollector()) {
      Path logs = Files.createDirectories(tmp.resolve("logs"));
      Path file = logs.resolve("app.log");
      Path spoolDir = tmp.resolve("spool");
      AgentConfig config = Harness.config(collector, spoolDir, InputConfig.plain("app", logs + "/*.log")).build();
      Harness.append(file, Harness.lines("g0-", 0, 50));

      PipelineConfig p = config.pipeline();
      RocksDbSpool real = new RocksDbSpool(spoolDir, p.spoolMaxBytes(), p.fsync(), p.clientId());
      Agent first = Agent.start(config, diesOnTheTailingThreadsFirstWrite(real),
          hello -> new GrpcShipper(p.endpoints(), hello, p.tls()));
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> first.liveness().startsWith("tailing failed"));
      } finally {
        first.close(); // closes the spool: nothing of the first run's reading was stored
      }
      assertThat(collector.distinct()).isZero();

      // While the agent is down: the application writes on, logrotate renames app.log, a new app.log is written.
      Harness.append(file, Harness.lines("g0-", 50, 100));
      Files.move(file, logs.resolve("app.log.1"));
      Harness.append(file, Harness.lines("g1-", 0, 100));

      List<String> want = new ArrayList<>(Harness.expected("g0-", 0, 100));
      want.addAll(Harness.expected("g1-", 0, 100));
      try (Agent second = Agent.start(config)) {
        // The rotated file is read before the file now at the path: once app.log's last line is in, so is it.
        await().atMost(Duration.ofSeconds(30)).until(() -> Harness.bodies(collector).contains("g1-99"));
        assertThat(second.rotatedSiblingsRead()).as("rotated siblings read").isEqualTo(1);
      }
      Harness.assertExactly(collector, want);
    }
  }

  /** The spool, except that a write from the tailing thread throws (and so ends that thread) without writing. */
  private static Spool diesOnTheTailingThreadsFirstWrite(Spool real) {
    return (Spool) Proxy.newProxyInstance(Spool.class.getClassLoader(), new Class<?>[] {Spool.class},
        (proxy, method, args) -> {
          boolean write = method.getName().equals("append") || method.getName().equals("putCheckpoints");
          if (write && Thread.currentThread().getName().startsWith("sluice-agent-tail")) {
            throw new IllegalStateException("killed before the first checkpoint");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
