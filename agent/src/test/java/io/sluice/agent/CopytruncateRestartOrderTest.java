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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, per path order across copytruncate and a restart: the agent is kept down across two copytruncates,
 * restarted over its real spool, and, while it is still reading the copies made while it was down (the checkpointed
 * generation's tail, then the next generation whole, with {@code app.log} waiting behind them), logrotate
 * copytruncates {@code app.log} once more. Every line must reach the collector in the order it was written. Before
 * the fix, that last copy was read at once as the rest of {@code app.log}, ahead of the older copy's unread part
 * (the bench's "app.log@4,322,200 batched before app.log.1@1,048,400's tail").
 *
 * <p>Step by step, no timing: the restarted agent's tailing thread is held in its first spool write (a batch of 16
 * records, cut while it reads g0's tail in its first poll) until the test has made the copytruncate.
 */
class CopytruncateRestartOrderTest {
  @TempDir
  Path tmp;

  @Test
  void aCopytruncateWhileTheRestartedAgentCatchesUpIsShippedAfterTheOlderCopies() throws Exception {
    try (TestCollector collector = new TestCollector()) {
      Path logs = Files.createDirectories(tmp.resolve("logs"));
      Path file = logs.resolve("app.log");
      Path spoolDir = tmp.resolve("spool");
      AgentConfig.Builder b = Harness.config(collector, spoolDir, InputConfig.plain("app", logs + "/*.log"));
      b.readChunkBytes(512).maxBytesPerPoll(4096); // g1's copy (~15 KB) takes several polls
      b.pipeline().batchMaxRecords(16); // the first batch is cut within the first poll, whatever the machine's speed
      AgentConfig config = b.build();

      Harness.append(file, Harness.lines("g0-", 0, 50));
      try (Agent first = Agent.start(config)) {
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() == 50);
      }

      // While the agent is down: g0's tail, copytruncate (g0 -> app.log.1), g1, copytruncate (g1 -> app.log.1), g2.
      Harness.append(file, Harness.lines("g0-", 50, 100));
      copytruncate(file);
      Harness.append(file, Harness.lines("g1-", 0, 2000));
      copytruncate(file);
      Harness.append(file, Harness.lines("g2-", 0, 100));

      PipelineConfig p = config.pipeline();
      AtomicBoolean held = new AtomicBoolean();
      CountDownLatch resume = new CountDownLatch(1);
      Spool spool = holdsTheTailingThreadsFirstWrite(new RocksDbSpool(spoolDir, p.spoolMaxBytes(), p.fsync(),
          p.clientId()), held, resume);
      try (Agent second = Agent.start(config, spool, hello -> new GrpcShipper(p.endpoints(), hello, p.tls()))) {
        try {
          await().atMost(Duration.ofSeconds(30)).untilTrue(held);
          // The restarted agent is catching up on the copies; logrotate copytruncates g2 meanwhile.
          Harness.append(file, Harness.lines("g2-", 100, 110));
          copytruncate(file);
          Harness.append(file, Harness.lines("g3-", 0, 100));
        } finally {
          resume.countDown();
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> Harness.bodies(collector).contains("g3-99"));
      }

      List<String> want = new ArrayList<>(Harness.expected("g0-", 0, 100));
      want.addAll(Harness.expected("g1-", 0, 2000));
      want.addAll(Harness.expected("g2-", 0, 110));
      want.addAll(Harness.expected("g3-", 0, 100));
      // First deliveries in arrival order (a resent batch only repeats lines already delivered).
      assertThat(new ArrayList<>(new LinkedHashSet<>(Harness.bodies(collector)))).containsExactlyElementsOf(want);
    }
  }

  /** logrotate's numbered copytruncate: app.log.N -> N+1, copy app.log to app.log.1, truncate app.log. */
  private static void copytruncate(Path log) throws Exception {
    Path dir = log.getParent();
    String name = log.getFileName().toString();
    for (int n = 20; n >= 1; n--) {
      Path p = dir.resolve(name + "." + n);
      if (Files.exists(p)) Files.move(p, dir.resolve(name + "." + (n + 1)));
    }
    Files.copy(log, dir.resolve(name + ".1"));
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
  }

  /** The spool, except that the tailing thread's first write waits for {@code resume} ({@code held} says it does). */
  private static Spool holdsTheTailingThreadsFirstWrite(Spool real, AtomicBoolean held, CountDownLatch resume) {
    return (Spool) Proxy.newProxyInstance(Spool.class.getClassLoader(), new Class<?>[] {Spool.class},
        (proxy, method, args) -> {
          boolean write = method.getName().equals("append") || method.getName().equals("putCheckpoints");
          if (write && Thread.currentThread().getName().startsWith("sluice-agent-tail")
              && held.compareAndSet(false, true)) {
            resume.await();
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
