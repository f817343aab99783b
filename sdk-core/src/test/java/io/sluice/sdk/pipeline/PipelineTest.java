package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.spool.WhenFull;
import io.sluice.sdk.testkit.Records;
import io.sluice.sdk.testkit.TestCollector;
import io.sluice.sdk.testkit.TestCollector.Answer;
import io.sluice.sdk.thread.SluiceThreads;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole client pipeline against a real gRPC collector on 127.0.0.1 and a real RocksDB spool. */
class PipelineTest {
  @TempDir
  Path dir;
  TestCollector collector;

  @BeforeEach
  void startCollector() {
    collector = new TestCollector();
  }

  @AfterEach
  void stopCollector() {
    collector.close();
  }

  private PipelineConfig.Builder config() {
    return PipelineConfig.builder()
        .endpoint(collector.endpoint())
        .serviceName("pipeline-test")
        .spoolDir(dir.resolve("spool"))
        .lingerMs(20)
        .reconnectMinMs(20)
        .reconnectMaxMs(200)
        .diagnostics(Diagnostics.NONE);
  }

  private static Set<Long> numbers(TestCollector c) {
    Set<Long> out = new HashSet<>();
    for (TestCollector.Received r : c.received()) out.add(Records.numberOf(r.record()));
    return out;
  }

  private static Set<Long> range(long n) {
    Set<Long> s = new HashSet<>();
    for (long i = 0; i < n; i++) s.add(i);
    return s;
  }

  @Test
  void deliversEveryRecordExactlyOnceWhenNothingFails() {
    try (Pipeline p = Pipeline.start(config().build())) {
      for (int i = 0; i < 20_000; i++) assertThat(p.offer(Records.numbered(i))).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 20_000);
      PipelineStats s = p.stats();
      assertThat(s.balanced()).isTrue();
      assertThat(s.dropped()).isZero();
      assertThat(s.pending()).isZero();
      assertThat(s.spoolBytes()).isZero();
    }
    assertThat(numbers(collector)).isEqualTo(range(20_000));
    assertThat(collector.duplicates()).isZero();
  }

  @Test
  void shipsToAnEndpointWrittenAsAnHttpUrl() {
    try (Pipeline p = Pipeline.start(config().endpoint("http://127.0.0.1:" + collector.port()).build())) {
      p.offer(Records.numbered(7));
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 1);
    }
    assertThat(numbers(collector)).containsExactly(7L);
  }

  @Test
  void aRefusedHelloIsCountedReportedOnceAsAnErrorAndNotAskedAgainAtOnce() {
    collector.refuseHellos(io.grpc.Status.INVALID_ARGUMENT.withDescription("resource is 70000 bytes, over 65536"));
    java.util.List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    Diagnostics d = new Diagnostics() {
      @Override
      public void warn(String message, Throwable error) {}
      @Override
      public void error(String message, Throwable error) { errors.add(message); }
    };
    try (Pipeline p = Pipeline.start(config().diagnostics(d).closeTimeoutMs(0).build())) {
      p.offer(Records.numbered(1));
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().refusedStreams() == 1);
      // reconnectMinMs 20 / reconnectMaxMs 200: a client that treats the refusal as a failure asks again and again.
      await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10)).until(() -> collector.streams() == 1);
      assertThat(p.stats().refusedStreams()).isEqualTo(1);
      assertThat(p.stats().spooled()).isEqualTo(1);
      assertThat(errors).hasSize(1);
      assertThat(errors.get(0)).contains("INVALID_ARGUMENT", "resource is 70000 bytes");
    }
  }

  @Test
  void helloCarriesTheSpoolIdentityAndResource() {
    try (Pipeline p = Pipeline.start(config().resourceAttribute("team", "payments").build())) {
      p.offer(Records.numbered(1));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().acknowledged() == 1);
      assertThat(collector.hellos()).isNotEmpty();
      var hello = collector.hellos().get(0);
      assertThat(hello.getClientId()).isEqualTo(p.hello().getClientId()).isNotBlank();
      assertThat(hello.getEpoch()).isEqualTo(p.hello().getEpoch());
      assertThat(hello.getResourceList()).anySatisfy(kv -> {
        assertThat(kv.getKey()).isEqualTo("team");
        assertThat(kv.getValue().getStringValue()).isEqualTo("payments");
      });
    }
  }

  @Test
  void spoolsWhileTheCollectorIsDownAndShipsEverythingWhenItReturns() {
    collector.stop();
    try (Pipeline p = Pipeline.start(config().build())) {
      for (int i = 0; i < 5_000; i++) p.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().spooled() == 5_000);
      assertThat(p.stats().acknowledged()).isZero();
      assertThat(p.stats().spoolBytes()).isPositive();
      collector.restart();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 5_000);
      assertThat(p.stats().balanced()).isTrue();
      assertThat(p.stats().reconnects()).isPositive();
    }
    assertThat(numbers(collector)).isEqualTo(range(5_000));
  }

  @Test
  void collectorDyingMidStreamLosesNothing() {
    AtomicInteger seen = new AtomicInteger();
    collector.respond(b -> seen.incrementAndGet() == 5 ? Answer.KILL_STREAM : Answer.ACK);
    try (Pipeline p = Pipeline.start(config().batchMaxRecords(100).build())) {
      for (int i = 0; i < 10_000; i++) p.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 10_000);
      assertThat(p.stats().balanced()).isTrue();
    }
    assertThat(numbers(collector)).isEqualTo(range(10_000));
  }

  @Test
  void closeLeavesUnsentBatchesInTheSpoolAndTheNextStartShipsThem() {
    collector.stop();
    Pipeline first = Pipeline.start(config().closeTimeoutMs(300).build());
    for (int i = 0; i < 3_000; i++) first.offer(Records.numbered(i));
    long started = System.nanoTime();
    first.close();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    PipelineStats afterClose = first.stats();
    assertThat(afterClose.spooled()).isEqualTo(3_000);
    assertThat(afterClose.balanced()).isTrue();

    collector.restart();
    try (Pipeline second = Pipeline.start(config().build())) {
      assertThat(second.hello().getClientId()).isEqualTo(first.hello().getClientId());
      assertThat(second.hello().getEpoch()).isEqualTo(first.hello().getEpoch());
      await().atMost(Duration.ofSeconds(30)).until(() -> second.stats().acknowledged() == 3_000);
    }
    assertThat(numbers(collector)).isEqualTo(range(3_000));
  }

  @Test
  void closeIsBoundedByTheTimeoutWhenTheCollectorNeverAnswers() {
    collector.respond(b -> Answer.SILENT);
    Pipeline p = Pipeline.start(config().closeTimeoutMs(500).build());
    for (int i = 0; i < 1_000; i++) p.offer(Records.numbered(i));
    long started = System.nanoTime();
    p.close();
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(4));
    assertThat(p.stats().spooled()).isEqualTo(1_000);
    assertThat(p.offer(Records.numbered(1))).isFalse();
    assertThat(p.stats().dropped(DropReason.SHUTDOWN)).isEqualTo(1);
    assertThat(p.stats().balanced()).isTrue();
  }

  @Test
  void retryableNackIsResentAndPermanentNackIsCountedAsRejected() {
    AtomicInteger calls = new AtomicInteger();
    collector.respond(b -> {
      int n = calls.incrementAndGet();
      if (b.getSequence() == 1 && n < 3) return Answer.NACK_RETRYABLE;
      if (b.getSequence() == 2) return Answer.NACK_PERMANENT;
      return Answer.ACK;
    });
    try (Pipeline p = Pipeline.start(config().batchMaxRecords(10).lingerMs(5000).build())) {
      for (int i = 0; i < 10; i++) p.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().acknowledged() == 10);
      for (int i = 10; i < 20; i++) p.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().dropped(DropReason.REJECTED) == 10);
      assertThat(p.stats().balanced()).isTrue();
    }
    assertThat(numbers(collector)).isEqualTo(range(10));
  }

  @Test
  void fullQueueRefusesAndCountsWithoutBlockingTheCaller() {
    collector.stop();
    // A spool of 1 MiB with drop-newest and a 16-record queue: most of 50k records must be refused, each counted.
    try (Pipeline p = Pipeline.start(config().queueMaxRecords(16).batchMaxBytes(64 << 10).spoolMaxBytes(1 << 20)
        .whenFull(WhenFull.DROP_NEWEST).queueWaitMs(0).closeTimeoutMs(200).build())) {
      int accepted = 0;
      for (int i = 0; i < 50_000; i++) {
        if (p.offer(Records.numbered(i, 200))) accepted++;
      }
      int acceptedFinal = accepted;
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().queued() == 0 && p.stats().batching() == 0);
      PipelineStats s = p.stats();
      assertThat(s.appended()).isEqualTo(50_000);
      assertThat(s.dropped(DropReason.QUEUE_FULL)).isEqualTo(50_000 - acceptedFinal);
      assertThat(s.balanced()).isTrue();
    }
  }

  @Test
  void dropOldestKeepsTheSpoolUnderItsCapAndCountsEvictions() {
    collector.stop();
    try (Pipeline p = Pipeline.start(config().batchMaxBytes(64 << 10).spoolMaxBytes(1 << 20).zstdLevel(-7)
        .whenFull(WhenFull.DROP_OLDEST).closeTimeoutMs(100).build())) {
      java.util.Random random = new java.util.Random(1);
      for (int i = 0; i < 20_000; i++) {
        // incompressible bodies so the cap is reached quickly
        byte[] noise = new byte[300];
        random.nextBytes(noise);
        LogRecord r = Records.numbered(i).toBuilder().setBody(io.sluice.sdk.record.Values.of(noise)).build();
        while (!p.offer(r)) Thread.onSpinWait();
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> p.stats().queued() == 0 && p.stats().batching() == 0);
      PipelineStats s = p.stats();
      assertThat(s.spoolBytes()).isLessThanOrEqualTo(1 << 20);
      assertThat(s.dropped(DropReason.SPOOL_FULL)).isPositive();
      assertThat(s.balanced()).isTrue();
    }
  }

  @Test
  void tooLargeRecordIsRefusedAndCounted() {
    try (Pipeline p = Pipeline.start(config().maxRecordBytes(2048).build())) {
      assertThat(p.offer(Records.numbered(1, 4096))).isFalse();
      assertThat(p.stats().dropped(DropReason.TOO_LARGE)).isEqualTo(1);
    }
  }

  /** A deferred record built from a plain one, noting the thread that built it. */
  private static DeferredRecord deferred(LogRecord record, int estimate, Set<String> builtOn) {
    return new DeferredRecord() {
      @Override
      public int estimatedBytes() {
        return estimate;
      }

      @Override
      public LogRecord build() {
        builtOn.add(Thread.currentThread().getName());
        return record;
      }
    };
  }

  @Test
  void deferredRecordsAreBuiltOnTheBatcherThreadAndDeliveredInOrderWithPlainOnes() {
    Set<String> builtOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (Pipeline p = Pipeline.start(config().build())) {
      for (int i = 0; i < 2_000; i++) {
        boolean ok = i % 2 == 0 ? p.offer(deferred(Records.numbered(i), 16, builtOn)) : p.offer(Records.numbered(i));
        assertThat(ok).isTrue();
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 2_000);
      assertThat(p.stats().balanced()).isTrue();
      assertThat(p.stats().dropped()).isZero();
    }
    assertThat(builtOn).containsExactly("sluice-batcher");
    assertThat(collector.received()).extracting(r -> Records.numberOf(r.record()))
        .isSortedAccordingTo(Long::compare).hasSize(2_000);
  }

  @Test
  void withABacklogCallersEncodeTheirOwnRecordsAndEveryRecordArrivesInOrder() {
    Set<String> writtenOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // A queue of 16 records: over half full (the caller-assisted threshold) almost at once. The wait is long so that
    // the test is about who encodes, not about how long a loaded machine takes to free room.
    try (Pipeline p = Pipeline.start(config().queueMaxRecords(16).queueWaitMs(60_000).build())) {
      for (int i = 0; i < 5_000; i++) {
        LogRecord r = Records.numbered(i);
        assertThat(p.offer(new DeferredRecord() {
          @Override
          public int estimatedBytes() {
            return 16;
          }

          @Override
          public LogRecord build() {
            throw new AssertionError("a record that writes itself is never built");
          }

          @Override
          public boolean writeTo(io.sluice.wire.RecordWriter out) {
            writtenOn.add(Thread.currentThread().getName());
            out.fieldsOf(r);
            return true;
          }
        })).isTrue();
      }
      await().atMost(Duration.ofSeconds(60)).until(() -> p.stats().acknowledged() == 5_000);
      assertThat(p.stats().balanced()).isTrue();
      assertThat(p.stats().dropped()).isZero();
    }
    assertThat(writtenOn).as("the caller encoded some records itself").contains(Thread.currentThread().getName());
    assertThat(collector.received()).extracting(r -> Records.numberOf(r.record()))
        .isSortedAccordingTo(Long::compare).hasSize(5_000);
  }

  @Test
  void deferredRecordsThatFailToBuildOrAreTooLargeAreCountedNotDelivered() {
    Set<String> builtOn = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (Pipeline p = Pipeline.start(config().maxRecordBytes(2048).build())) {
      assertThat(p.offer(deferred(Records.numbered(0), 4096, builtOn))).as("estimate over the limit").isFalse();
      assertThat(p.offer(deferred(Records.numbered(1, 4096), 100, builtOn))).as("estimate under, real over").isTrue();
      assertThat(p.offer(new DeferredRecord() {
        @Override
        public int estimatedBytes() {
          return 10;
        }

        @Override
        public LogRecord build() {
          throw new IllegalStateException("mapping bug");
        }
      })).isTrue();
      assertThat(p.offer(deferred(Records.numbered(3), 16, builtOn))).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 1);
      PipelineStats s = p.stats();
      assertThat(s.dropped(DropReason.TOO_LARGE)).isEqualTo(2);
      assertThat(s.dropped(DropReason.BUILD_FAILED)).isEqualTo(1);
      assertThat(s.balanced()).isTrue();
    }
    assertThat(collector.received()).extracting(r -> Records.numberOf(r.record())).containsExactly(3L);
  }

  @Test
  void aLinkageErrorWhileBuildingIsCountedAndTheBatcherKeepsGoing() {
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    Diagnostics recording = new Diagnostics() {
      @Override
      public void warn(String message, Throwable error) {}

      @Override
      public void error(String message, Throwable error) {
        errors.add(message);
      }
    };
    try (Pipeline p = Pipeline.start(config().diagnostics(recording).build())) {
      DeferredRecord broken = new DeferredRecord() {
        @Override
        public int estimatedBytes() {
          return 10;
        }

        @Override
        public LogRecord build() {
          throw new NoClassDefFoundError("io/opentelemetry/common/ComponentLoader");
        }
      };
      for (int i = 0; i < 3; i++) assertThat(p.offer(broken)).isTrue();
      assertThat(p.offer(Records.numbered(7))).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 1);
      assertThat(p.stats().dropped(DropReason.BUILD_FAILED)).isEqualTo(3);
      assertThat(p.stats().balanced()).isTrue();
    }
    assertThat(errors).singleElement().satisfies(m -> assertThat(m).contains("BUILD_FAILED")
        .contains("NoClassDefFoundError"));
  }

  @Test
  void captureFailuresAreCountedOnEveryEventAndReportedOnce() {
    List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Pipeline p = Pipeline.start(config().diagnostics((m, e) -> errors.add(m)).build())) {
      for (int i = 0; i < 5; i++) p.captureFailed(new NoClassDefFoundError("io/opentelemetry/common/ComponentLoader"));
      PipelineStats s = p.stats();
      assertThat(s.appended()).isEqualTo(5);
      assertThat(s.dropped(DropReason.CAPTURE_FAILED)).isEqualTo(5);
      assertThat(s.balanced()).isTrue();
    }
    assertThat(errors).singleElement().satisfies(m -> assertThat(m).contains("CAPTURE_FAILED"));
  }

  @Test
  void pipelineThreadsAreMarkedInternal() throws Exception {
    assertThat(Pipeline.isInternalThread()).isFalse();
    java.util.concurrent.atomic.AtomicBoolean internal = new java.util.concurrent.atomic.AtomicBoolean();
    Thread t = SluiceThreads.newThread(() -> internal.set(Pipeline.isInternalThread()), "sluice-test");
    t.start();
    t.join();
    assertThat(internal).isTrue();
  }

  @Test
  void internalLoggersAreSluicesAndItsLibrariesButNotApplicationsUnderIoSluice() {
    assertThat(Pipeline.isInternalLogger("io.sluice.sdk.ship.GrpcShipper")).isTrue();
    assertThat(Pipeline.isInternalLogger("io.grpc.netty.NettyClientHandler")).isTrue();
    assertThat(Pipeline.isInternalLogger("org.rocksdb.RocksDB")).isTrue();
    assertThat(Pipeline.isInternalLogger("io.sluice.examples.demo.Shop")).isFalse();
    assertThat(Pipeline.isInternalLogger("com.example.App")).isFalse();
    assertThat(Pipeline.isInternalLogger("com.github.luben.zstd.Zstd")).isTrue();
    assertThat(Pipeline.isInternalLogger("io.netty.buffer.PooledByteBufAllocator")).isTrue();
    assertThat(Pipeline.isInternalLogger("com.github.example.App")).isFalse();
    assertThat(Pipeline.isInternalLogger("org.example.App")).isFalse();
    assertThat(Pipeline.isInternalLogger("\u00e9t\u00e9.App")).isFalse();
    assertThat(Pipeline.isInternalLogger("")).isFalse();
    assertThat(Pipeline.isInternalLogger(null)).isFalse();
  }

  /**
   * Four threads offer 200,000 records as fast as they can into a 16-record queue that does not wait
   * ({@code queueWaitMs=0}): what the queue cannot take goes to the overflow on disk, and every record is delivered
   * exactly once, each thread's in the order it offered them.
   */
  @Test
  void burstsBeyondTheQueueGoToTheOverflowAndArriveWholeOncePerThreadInOrder() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    try (Pipeline p = Pipeline.start(config().queueMaxRecords(16).queueWaitMs(0).build())) {
      CountDownLatch start = new CountDownLatch(1);
      AtomicInteger refused = new AtomicInteger();
      List<Thread> loggers = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long base = t * 1_000_000L;
        Thread logger = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < perThread; i++) {
            if (!p.offer(Records.numbered(base + i, 120))) refused.incrementAndGet();
          }
        });
        logger.start();
        loggers.add(logger);
      }
      start.countDown();
      for (Thread logger : loggers) logger.join();
      assertThat(refused.get()).isZero();
      assertThat(p.overflowForTests().appendedTotal()).as("records that went through the overflow").isPositive();
      await().atMost(Duration.ofSeconds(60)).until(() -> p.stats().acknowledged() == (long) threads * perThread);
      PipelineStats s = p.stats();
      assertThat(s.balanced()).isTrue();
      assertThat(s.dropped()).isZero();
      assertThat(s.overflowed()).isZero();
      assertThat(s.overflowBytes()).isZero();
    }
    assertThat(collector.duplicates()).isZero();
    java.util.Map<Long, Long> next = new java.util.HashMap<>();
    for (TestCollector.Received r : collector.received()) {
      long n = Records.numberOf(r.record());
      long thread = n / 1_000_000L;
      assertThat(n % 1_000_000L).as("thread %d in order", thread).isEqualTo(next.getOrDefault(thread, 0L));
      next.put(thread, n % 1_000_000L + 1);
    }
    assertThat(next).hasSize(threads).allSatisfy((thread, count) -> assertThat(count).isEqualTo(perThread));
  }

  @Test
  void refuseWhenFullCountsARefusalOnlyWhileTheQueueIsFull() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    // without the overflow on disk, which would take what the queue cannot (see burstsBeyondTheQueue...)
    try (Pipeline p = Pipeline.start(config().queueMaxRecords(16).whenFull(WhenFull.DROP_NEWEST).queueWaitMs(0)
        .overflowMaxBytes(0).build())) {
      assertThat(p.refuseWhenFull()).isFalse();
      // The batcher takes this one and waits inside build(), so nothing else leaves the queue meanwhile.
      assertThat(p.offer(blockingRecord(release, 0))).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().queued() == 0);
      int accepted = 0;
      while (p.offer(Records.numbered(++accepted))) {
        assertThat(accepted).isLessThanOrEqualTo(16);
      }
      accepted--; // the last offer was refused
      assertThat(accepted).as("below WARN fills 7/8 of the queue").isEqualTo(14);
      long refusedByOffer = p.stats().dropped(DropReason.QUEUE_FULL);
      assertThat(refusedByOffer).isEqualTo(1);

      for (int i = 0; i < 5; i++) assertThat(p.refuseWhenFull()).isTrue();
      assertThat(p.stats().dropped(DropReason.QUEUE_FULL)).isEqualTo(6);
      assertThat(p.stats().appended()).isEqualTo(1 + 15 + 5);

      // WARN and above still find the reserved eighth.
      int warn = io.sluice.proto.v1.SeverityNumber.SEVERITY_NUMBER_WARN_VALUE;
      assertThat(p.refuseWhenFull(warn)).isFalse();
      LogRecord warning = Records.numbered(100).toBuilder().setSeverityNumberValue(warn).build();
      assertThat(p.offer(warning)).isTrue();
      assertThat(p.offer(warning.toBuilder().setSeverityNumberValue(warn + 4).build())).isTrue();
      assertThat(p.refuseWhenFull(warn)).isTrue();
      assertThat(p.stats().dropped(DropReason.QUEUE_FULL)).isEqualTo(7);

      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 17);
      assertThat(p.refuseWhenFull()).isFalse();
      assertThat(p.stats().dropped(DropReason.QUEUE_FULL)).isEqualTo(7);
      assertThat(p.stats().balanced()).isTrue();
    }
  }

  @Test
  void refuseWhenFullNeverRefusesUnderBlock() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (Pipeline p = Pipeline.start(config().queueMaxRecords(16).whenFull(WhenFull.BLOCK).blockTimeoutMs(1)
        .build())) {
      assertThat(p.offer(blockingRecord(release, 0))).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().queued() == 0);
      // Below WARN fills 7/8 of the queue (14 of 16); the rest is WARN's.
      for (int i = 1; i <= 14; i++) assertThat(p.offer(Records.numbered(i))).isTrue();
      assertThat(p.refuseWhenFull()).isFalse();
      assertThat(p.stats().dropped(DropReason.QUEUE_FULL)).isZero();
      release.countDown();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 15);
    }
  }

  @Test
  void anIdlePipelineWithoutAStreamParksItsShipper() {
    collector.stop();
    try (Pipeline p = Pipeline.start(config().build())) {
      java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
      Thread shipper = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("sluice-shipper") && t.isAlive())
          .reduce((a, b) -> a.getId() > b.getId() ? a : b).orElseThrow();
      long before = threads.getThreadCpuTime(shipper.getId());
      long wallBefore = System.nanoTime();
      await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5)).until(() -> true);
      long cpu = threads.getThreadCpuTime(shipper.getId()) - before;
      long wall = System.nanoTime() - wallBefore;
      // Nothing to send and no stream: the shipper wakes every 50 ms. A spin (it parked 1 ns once the next connection
      // attempt was due) took most of a core.
      assertThat(cpu).as("shipper CPU ns over %d ms", wall / 1_000_000).isLessThan(wall / 10);
      assertThat(p.stats().appended()).isZero();
    }
  }

  /** A record whose build() waits for {@code release} on the batcher thread: the queue stops draining meanwhile. */
  private static DeferredRecord blockingRecord(CountDownLatch release, long number) {
    return new DeferredRecord() {
      @Override
      public int estimatedBytes() {
        return 16;
      }

      @Override
      public LogRecord build() {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return Records.numbered(number);
      }
    };
  }
}
