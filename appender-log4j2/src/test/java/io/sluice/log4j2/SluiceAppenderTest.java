package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.sdk.testkit.TestCollector;
import io.sluice.sdk.thread.SluiceThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The appender over a real pipeline shipping to a real gRPC collector on 127.0.0.1. */
class SluiceAppenderTest {
  @TempDir
  Path spool;
  private TestCollector collector;
  private LoggerContext context;

  @BeforeEach
  void startCollector() {
    collector = new TestCollector();
    System.setProperty("sluice.test.spool", spool.toString());
    System.setProperty("sluice.test.endpoint", collector.endpoint());
  }

  @AfterEach
  void stopEverything() {
    if (context != null) context.stop();
    collector.close();
    System.clearProperty("sluice.test.spool");
    System.clearProperty("sluice.test.endpoint");
  }

  @Test
  void shipsEveryEventToTheCollectorAndBalancesItsAccounts() {
    context = Log4j2Testing.start("sluice-pipeline.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    Logger log = context.getLogger("app.Orders");
    int n = 10_000;
    Set<String> sent = new HashSet<>();

    for (int i = 0; i < n; i++) {
      log.info("order {} placed — ✓", i);
      sent.add("order " + i + " placed — ✓");
    }

    await().atMost(Duration.ofSeconds(60)).until(() -> appender.stats().acknowledged() == n);
    Set<String> received = new HashSet<>();
    for (TestCollector.Received r : collector.received()) received.add(r.record().getBody().getStringValue());
    assertThat(received).isEqualTo(sent);
    assertThat(collector.duplicates()).isZero();
    PipelineStats stats = appender.stats();
    assertThat(stats.appended()).isEqualTo(n);
    assertThat(stats.dropped()).isZero();
    assertThat(stats.balanced()).isTrue();
    assertThat(collector.hellos()).allSatisfy(h -> assertThat(h.getResourceList())
        .anySatisfy(kv -> assertThat(kv.getValue().getStringValue()).isEqualTo("e2e")));
  }

  /**
   * Two threads log as fast as they can into a 16-record queue that never waits: under that backlog each record is
   * encoded on its logging thread from the live event (Log4j2 reuses it after the call) and written to the overflow
   * on disk. Every record arrives once, whole (body, arguments, ThreadContext), each thread's in order.
   */
  @Test
  void aBacklogEncodesFromTheLiveEventIntoTheOverflowAndLosesNothing() throws Exception {
    context = Log4j2Testing.start("sluice-overflow.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    Logger log = context.getLogger("app.Orders");
    int perThread = 30_000;
    Thread[] threads = new Thread[2];
    for (int t = 0; t < threads.length; t++) {
      int thread = t;
      threads[t] = new Thread(() -> {
        org.apache.logging.log4j.ThreadContext.put("worker", "w" + thread);
        for (int i = 0; i < perThread; i++) log.info("order {} of worker {}", i, thread);
        org.apache.logging.log4j.ThreadContext.clearMap();
      });
    }
    for (Thread t : threads) t.start();
    for (Thread t : threads) t.join();
    int n = perThread * threads.length;
    await().atMost(Duration.ofSeconds(60)).until(() -> appender.stats().acknowledged() == n);
    assertThat(appender.stats().dropped()).isZero();
    assertThat(appender.stats().balanced()).isTrue();
    assertThat(collector.duplicates()).isZero();
    int[] next = new int[threads.length];
    for (TestCollector.Received r : collector.received()) {
      String body = r.record().getBody().getStringValue();
      int thread = Integer.parseInt(body.substring(body.lastIndexOf(' ') + 1));
      assertThat(body).isEqualTo("order " + next[thread] + " of worker " + thread);
      assertThat(r.record().getAttributesList())
          .anySatisfy(kv -> assertThat(kv.getKey() + "=" + kv.getValue().getStringValue())
              .isEqualTo("worker=w" + thread));
      next[thread]++;
    }
    assertThat(next).containsOnly(perThread);
  }

  @Test
  void stopClosesThePipelineAndReleasesTheSpoolForTheNextStart() {
    context = Log4j2Testing.start("sluice-pipeline.xml");
    context.getLogger("app.Orders").info("before restart");
    SluiceAppender first = Log4j2Testing.sluice(context);
    await().atMost(Duration.ofSeconds(30)).until(() -> first.stats().acknowledged() == 1);

    context.stop();
    assertThat(first.stats()).isNull();
    context = Log4j2Testing.start("sluice-pipeline.xml"); // would fail on RocksDB's lock if the spool were still open
    SluiceAppender second = Log4j2Testing.sluice(context);
    context.getLogger("app.Orders").info("after restart");

    await().atMost(Duration.ofSeconds(30)).until(() -> second.stats().acknowledged() == 1);
    assertThat(collector.received()).extracting(r -> r.record().getBody().getStringValue())
        .containsExactlyInAnyOrder("before restart", "after restart");
  }

  @Test
  void ignoresEventsFromSluiceAndItsDependenciesAtDebugAndFromSluiceThreads() throws InterruptedException {
    context = Log4j2Testing.start("sluice-guard.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    for (String name : new String[] {"io.grpc.netty.NettyClientHandler", "io.netty.channel.Epoll",
        "org.rocksdb.RocksDB", "io.sluice.sdk.pipeline.Pipeline", "com.github.luben.zstd.Zstd"}) {
      context.getLogger(name).debug("internal chatter from {}", name);
      context.getLogger(name).error("internal error from {}", name);
    }
    Thread internal = SluiceThreads.newThread(() -> context.getLogger("app.Orders").info("from a sluice thread"),
        "sluice-test");
    internal.start();
    internal.join();

    context.getLogger("app.Orders").debug("the only one");

    await().atMost(Duration.ofSeconds(30)).until(() -> appender.stats().acknowledged() == 1);
    assertThat(appender.stats().appended()).isEqualTo(1);
    assertThat(collector.received()).extracting(r -> r.record().getBody().getStringValue())
        .containsExactly("the only one");
    assertThat(SluiceAppender.isInternalLogger("io.sluicewater.App")).isFalse();
  }

  @Test
  void capturesNothingWhenThePipelineWouldRefuseTheRecord() {
    context = Log4j2Testing.start("sluice-pipeline.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    AtomicInteger offered = new AtomicInteger();
    AtomicBoolean full = new AtomicBoolean(true);
    appender.redirect(new SluiceAppender.RecordSink() {
      @Override
      public boolean offer(CapturedEvent record) {
        offered.incrementAndGet();
        return false;
      }

      @Override
      public boolean refuseWhenFull(int severityNumber) {
        return full.get();
      }
    });
    Logger log = context.getLogger("app.Orders");

    log.info("refused {}", 1);
    assertThat(offered).hasValue(0);
    full.set(false);
    log.info("taken {}", 2);
    assertThat(offered).hasValue(1);
  }

  @Test
  void neverThrowsIntoTheApplicationAndCountsAndReportsAFailedCaptureOnce() {
    context = Log4j2Testing.start("sluice-pipeline.xml");
    SluiceAppender appender = Log4j2Testing.sluice(context);
    SluiceManager manager = appender.manager();
    appender.redirect(new SluiceAppender.RecordSink() {
      @Override
      public boolean offer(CapturedEvent record) {
        throw new NoClassDefFoundError("io/opentelemetry/common/ComponentLoader");
      }

      @Override
      public void captureFailed(Throwable error) {
        manager.captureFailed(error);
      }
    });
    try (Log4j2Testing.StatusMessages status = new Log4j2Testing.StatusMessages()) {
      Logger log = context.getLogger("app.Orders");
      log.info("one");
      log.info("two");

      assertThat(manager.stats().dropped(io.sluice.sdk.pipeline.DropReason.CAPTURE_FAILED)).isEqualTo(2);
      assertThat(status.errors()).filteredOn(m -> m.contains("could not capture a log event")).singleElement()
          .satisfies(m -> assertThat(m).contains("Sluice appender [SLUICE]").contains("CAPTURE_FAILED")
              .contains("NoClassDefFoundError"));
    }
    appender.redirect(appender.manager()::offer);
  }
}
