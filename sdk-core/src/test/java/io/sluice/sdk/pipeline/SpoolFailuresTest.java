package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import io.sluice.sdk.spool.WhenFull;
import io.sluice.sdk.testkit.Records;
import io.sluice.sdk.testkit.SmallFilesystem;
import io.sluice.sdk.testkit.TestCollector;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The spool's failure modes seen from the pipeline, each with a real RocksDB and a real gRPC collector on 127.0.0.1:
 * a full disk (a real ENOSPC on a small tmpfs), a corrupt spool directory at start, and a long collector outage with
 * the spool at its byte cap. Each ends with the books balanced: every record offered is acknowledged or counted as
 * dropped under a reason the policy names.
 */
class SpoolFailuresTest {
  @TempDir
  Path dir;
  TestCollector collector;
  final List<String> warnings = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startCollector() {
    collector = new TestCollector();
  }

  @AfterEach
  void stopCollector() {
    collector.close();
  }

  private PipelineConfig.Builder config(Path spoolDir) {
    return PipelineConfig.builder()
        .endpoint(collector.endpoint())
        .serviceName("spool-failures-test")
        .spoolDir(spoolDir)
        .lingerMs(20)
        .reconnectMinMs(20)
        .reconnectMaxMs(200)
        .diagnostics((message, error) -> warnings.add(message + (error == null ? "" : ": " + error)));
  }

  /** Record {@code n} with a 300-byte incompressible body, so that batches fill the spool and the disk quickly. */
  private static LogRecord noisy(long n, Random random) {
    byte[] noise = new byte[300];
    random.nextBytes(noise);
    return Records.numbered(n).toBuilder().setBody(Values.of("line-" + n + " " + java.util.HexFormat.of()
        .formatHex(noise))).build();
  }

  private static List<Long> numbersInArrivalOrder(TestCollector c) {
    List<Long> out = new ArrayList<>();
    for (TestCollector.Received r : c.received()) out.add(Records.numberOf(r.record()));
    return out;
  }

  private static boolean quiet(Pipeline p) {
    PipelineStats s = p.stats();
    return s.queued() == 0 && s.overflowed() == 0 && s.overflowBytes() == 0 && s.batching() == 0;
  }

  // --------------------------------------------------------------------------------------------------- disk full

  /**
   * The spool sits on a 24 MiB tmpfs that a filler file makes nearly full while the collector is down. New batches
   * are refused and counted ({@code DISK_FULL}) under every policy, reported once; when the collector returns, what
   * the spool holds ships although the disk is still full; when the filler goes, the spool accepts again.
   */
  @ParameterizedTest
  @EnumSource(WhenFull.class)
  void aFullDiskDropsNewBatchesCountedKeepsShippingAndResumesWhenSpaceFrees(WhenFull policy) {
    collector.stop();
    try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("small-fs"), 24L << 20)) {
      Path spoolDir = fs.root().resolve("spool");
      Random random = new Random(1);
      long n = 0;
      long offers = 0; // calls to offer: under block a timed-out offer of a record is repeated, and each one counts
      try (Pipeline p = Pipeline.start(config(spoolDir).whenFull(policy).blockTimeoutMs(200).build())) {
        fs.fillLeaving(3L << 20);
        // Until the spool refuses writes. It may take a few more batches first: reopening RocksDB frees what its
        // failed flush left behind, and the device fills again.
        boolean sawRefusal = false;
        while (!sawRefusal && n < 200_000) {
          LogRecord r = noisy(n++, random);
          offers++;
          while (!p.offer(r) && p.stats().spoolWritable()) {
            offers++;
            Thread.onSpinWait();
          }
          PipelineStats s = p.stats();
          sawRefusal = !s.spoolWritable() && s.dropped(DropReason.DISK_FULL) > 0;
        }
        assertThat(sawRefusal).as("the spool refused writes for a full disk").isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> quiet(p));
        PipelineStats full = p.stats();
        assertThat(full.spooled()).as("what was spooled before the disk filled").isPositive();
        assertThat(full.balanced()).isTrue();
        // Reported once, naming the directory and the reason it is counted under; not once per batch.
        assertThat(warnings).filteredOn(w -> w.contains("no space left")).hasSize(1)
            .allSatisfy(w -> assertThat(w).contains(spoolDir.toString()).contains("DISK_FULL"));

        // The collector comes back while the disk is still full: everything spooled ships.
        long spooled = full.spooled();
        collector.restart();
        await().atMost(Duration.ofSeconds(60)).until(() -> p.stats().acknowledged() >= spooled);

        // Space frees: the spool accepts again, and what is offered from then on is delivered.
        fs.freeFiller();
        for (int attempt = 0; attempt < 1000 && !p.stats().spoolWritable(); attempt++) {
          p.offer(noisy(n++, random)); // each batch's append retries (the spool reopens at most every 250 ms)
          offers++;
          await().atMost(Duration.ofSeconds(30)).until(() -> quiet(p));
        }
        assertThat(p.stats().spoolWritable()).isTrue();
        long resumedFrom = n;
        for (long i = resumedFrom; i < resumedFrom + 1000; i++) assertThat(p.offer(noisy(i, random))).isTrue();
        long offered = offers + 1000;
        long last = resumedFrom + 1000;
        await().atMost(Duration.ofSeconds(60)).until(() -> quiet(p) && p.stats().pending() == 0);
        PipelineStats end = p.stats();
        assertThat(end.appended()).isEqualTo(offered);
        assertThat(end.balanced()).isTrue();
        assertThat(end.acknowledged() + end.dropped(DropReason.DISK_FULL) + end.dropped(DropReason.QUEUE_FULL))
            .as("acknowledged + dropped for a full disk (+ refused by the queue under " + policy + ")")
            .isEqualTo(offered);
        assertThat(end.dropped(DropReason.SPOOL_ERROR)).isZero();
        assertThat(warnings).filteredOn(w -> w.contains("accepts batches again")).hasSize(1);

        Set<Long> received = new HashSet<>(numbersInArrivalOrder(collector));
        assertThat(received).hasSize((int) end.acknowledged());
        assertThat(received).containsAll(LongStream.range(resumedFrom, last).boxed().toList());
      }
      assertThat(collector.duplicates()).isZero();
    }
  }

  // ---------------------------------------------------------------------------------------- corrupt spool at start

  @Test
  void aCorruptSpoolAtStartIsMovedAsideReportedAndThePipelineStillDelivers() throws IOException {
    Path spoolDir = dir.resolve("spool");
    collector.stop();
    try (Pipeline p = Pipeline.start(config(spoolDir).closeTimeoutMs(100).build())) {
      for (int i = 0; i < 1000; i++) p.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().spooled() == 1000);
    }
    Files.writeString(spoolDir.resolve("CURRENT"), "garbage\n");
    collector.restart();

    try (Pipeline p = Pipeline.start(config(spoolDir).build())) {
      assertThat(p.stats().spoolQuarantined()).isEqualTo(1);
      assertThat(warnings).anySatisfy(w -> assertThat(w).contains(spoolDir.toString())
          .contains(spoolDir.getFileName() + ".corrupt-").contains("were not shipped"));
      for (int i = 0; i < 500; i++) assertThat(p.offer(Records.numbered(i))).isTrue();
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 500);
      assertThat(p.stats().balanced()).isTrue();
    }
    assertThat(new HashSet<>(numbersInArrivalOrder(collector)))
        .isEqualTo(new HashSet<>(LongStream.range(0, 500).boxed().toList()));
    try (Stream<Path> siblings = Files.list(dir)) {
      assertThat(siblings.filter(f -> f.getFileName().toString().startsWith("spool.corrupt-"))).hasSize(1);
    }
  }

  // ---------------------------------------------------------------------------------- at the cap through an outage

  /** Bytes of the files under the spool directory: batches, write-ahead log, SST files, MANIFEST, RocksDB's LOG. */
  static long footprint(Path spoolDir) {
    // File.length() answers 0 for a file a compaction deleted meanwhile; RocksDB keeps no subdirectories here.
    java.io.File[] files = spoolDir.toFile().listFiles();
    long sum = 0;
    if (files != null) for (java.io.File f : files) sum += f.length();
    return sum;
  }

  /**
   * An hour-long outage in miniature: the collector is down while 10x the spool's cap is offered. The cap holds (the
   * spool's accounting and its files on disk), the policy drops, counted, and when the collector returns everything
   * still spooled arrives, in order: the newest records under {@code drop-oldest}, the oldest under
   * {@code drop-newest}.
   */
  @ParameterizedTest
  @EnumSource(value = WhenFull.class, names = {"DROP_OLDEST", "DROP_NEWEST"})
  void aSpoolAtItsCapThroughALongOutageStaysBoundedCountsItsDropsAndShipsTheRestInOrder(WhenFull policy) {
    long cap = 2L << 20;
    int offered = 70_000; // ~330 bytes each after zstd: ~23 MiB, over 10x the cap
    Path spoolDir = dir.resolve("spool");
    collector.stop();
    Random random = new Random(7);
    long maxFootprint = 0;
    long acknowledged;
    try (Pipeline p = Pipeline.start(config(spoolDir).batchMaxBytes(64 << 10).spoolMaxBytes(cap).zstdLevel(-7)
        .whenFull(policy).build())) {
      for (int i = 0; i < offered; i++) {
        LogRecord r = noisy(i, random);
        while (!p.offer(r)) Thread.onSpinWait();
        if (i % 2000 == 0) maxFootprint = Math.max(maxFootprint, footprint(spoolDir));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> quiet(p));
      maxFootprint = Math.max(maxFootprint, footprint(spoolDir));
      PipelineStats down = p.stats();
      assertThat(down.spoolBytes()).isLessThanOrEqualTo(cap);
      assertThat(maxFootprint).as("bytes on disk during the outage").isLessThanOrEqualTo(cap + FOOTPRINT_BOUND);
      assertThat(down.dropped(DropReason.SPOOL_FULL)).isPositive();
      assertThat(down.dropped()).isEqualTo(down.dropped(DropReason.SPOOL_FULL));
      assertThat(down.appended()).isEqualTo(offered);
      assertThat(down.balanced()).isTrue();
      System.out.printf("spool at its cap (%s): cap %d B, largest footprint on disk %d B, spooled %d records, "
          + "dropped %d%n", policy, cap, maxFootprint, down.spooled(), down.dropped());

      long spooled = down.spooled();
      collector.restart();
      await().atMost(Duration.ofSeconds(60)).until(() -> p.stats().pending() == 0);
      PipelineStats up = p.stats();
      assertThat(up.acknowledged()).isEqualTo(spooled);
      assertThat(up.appended()).isEqualTo(up.acknowledged() + up.dropped(DropReason.SPOOL_FULL));
      acknowledged = up.acknowledged();
    }
    List<Long> arrived = numbersInArrivalOrder(collector);
    assertThat(collector.duplicates()).isZero();
    assertThat(arrived).as("in the order offered").hasSize((int) acknowledged).isSorted().doesNotHaveDuplicates();
    if (policy == WhenFull.DROP_OLDEST) {
      assertThat(arrived).as("the newest records, every one of them")
          .isEqualTo(LongStream.range(offered - acknowledged, offered).boxed().toList());
    } else {
      // The oldest records; a later batch smaller than the room left may still have fitted after a refusal.
      assertThat(arrived.subList(0, 1000)).as("the oldest records")
          .isEqualTo(LongStream.range(0, 1000).boxed().toList());
    }
  }

  /** The bound on bytes on disk beyond the cap that sdk-core's README states: see {@code RocksDbSpoolTest}. */
  static final long FOOTPRINT_BOUND = io.sluice.sdk.spool.RocksDbSpoolTest.FOOTPRINT_BOUND;
}
