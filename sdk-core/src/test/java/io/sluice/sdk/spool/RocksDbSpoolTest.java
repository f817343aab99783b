package io.sluice.sdk.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.SmallFilesystem;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

public class RocksDbSpoolTest {
  @TempDir
  Path dir;

  private static byte[] payload(int size, int fill) {
    byte[] b = new byte[size];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
  }

  /**
   * A power loss can take the last unsynced appends, the next-sequence counter among them, after a collector
   * published them: in a new boot new batches must not reuse those sequences (in the same boot a process kill loses
   * nothing RocksDB wrote, so the sequence goes on where it was), and batches already spooled keep theirs.
   */
  @Test
  void aNewBootMovesTheNextSequencePastAnyThatMayHaveBeenLost() {
    long a;
    long b;
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null, () -> "boot-1")) {
      assertThat(s.openedAfterReboot()).isFalse();
      a = s.append(1, 10, payload(10, 1), WhenFull.DROP_NEWEST).sequence();
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null, () -> "boot-1")) {
      assertThat(s.openedAfterReboot()).isFalse();
      b = s.append(1, 10, payload(10, 2), WhenFull.DROP_NEWEST).sequence();
      assertThat(b).isEqualTo(a + 1);
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null, () -> "boot-2")) {
      assertThat(s.openedAfterReboot()).isTrue();
      assertThat(s.nextAfter(-1)).isEqualTo(a);
      assertThat(s.nextAfter(a)).isEqualTo(b);
      assertThat(s.read(b).payload()).isEqualTo(payload(10, 2));
      long c = s.append(1, 10, payload(10, 3), WhenFull.DROP_NEWEST).sequence();
      assertThat(c).isEqualTo(b + 1 + RocksDbSpool.REBOOT_SEQUENCE_GAP);
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null, () -> "boot-2")) {
      assertThat(s.openedAfterReboot()).isFalse();
      assertThat(s.append(1, 10, payload(10, 4), WhenFull.DROP_NEWEST).sequence())
          .isEqualTo(b + 2 + RocksDbSpool.REBOOT_SEQUENCE_GAP);
    }
  }

  @Test
  void appendsInSequenceAndReadsBack() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null)) {
      long a = s.append(3, 100, payload(10, 1), WhenFull.DROP_NEWEST).sequence();
      long b = s.append(4, 200, payload(20, 2), WhenFull.DROP_NEWEST).sequence();
      assertThat(b).isEqualTo(a + 1);
      assertThat(s.nextAfter(-1)).isEqualTo(a);
      assertThat(s.nextAfter(a)).isEqualTo(b);
      assertThat(s.nextAfter(b)).isEqualTo(-1);
      SpoolEntry e = s.read(b);
      assertThat(e.recordCount()).isEqualTo(4);
      assertThat(e.uncompressedSize()).isEqualTo(200);
      assertThat(e.payload()).isEqualTo(payload(20, 2));
      assertThat(s.bytes()).isEqualTo(30);
      assertThat(s.records()).isEqualTo(7);
      assertThat(s.batches()).isEqualTo(2);
    }
  }

  @Test
  void removeIsIdempotentAndFreesRoom() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null)) {
      long a = s.append(3, 100, payload(10, 1), WhenFull.DROP_NEWEST).sequence();
      assertThat(s.remove(a).recordCount()).isEqualTo(3);
      assertThat(s.remove(a)).isNull();
      assertThat(s.read(a)).isNull();
      assertThat(s.bytes()).isZero();
      assertThat(s.records()).isZero();
    }
  }

  @Test
  void survivesReopenWithIdentityAndNeverReusesASequence() {
    String client;
    long epoch;
    long last;
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.EVERY_BATCH, "client-1")) {
      client = s.clientId();
      epoch = s.epoch();
      s.append(1, 1, payload(5, 1), WhenFull.DROP_NEWEST);
      last = s.append(2, 2, payload(5, 2), WhenFull.DROP_NEWEST).sequence();
      s.remove(last);
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, "other")) {
      assertThat(s.clientId()).isEqualTo("client-1").isEqualTo(client);
      assertThat(s.epoch()).isEqualTo(epoch);
      assertThat(s.batches()).isEqualTo(1);
      assertThat(s.records()).isEqualTo(1);
      assertThat(s.append(1, 1, payload(5, 3), WhenFull.DROP_NEWEST).sequence()).isGreaterThan(last);
    }
  }

  @Test
  void dropOldestEvictsFromTheHeadUntilTheBatchFits() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 100, FsyncPolicy.NEVER, null)) {
      long first = s.append(1, 1, payload(40, 1), WhenFull.DROP_OLDEST).sequence();
      long second = s.append(2, 1, payload(40, 2), WhenFull.DROP_OLDEST).sequence();
      Spool.Append third = s.append(3, 1, payload(40, 3), WhenFull.DROP_OLDEST);
      assertThat(third.accepted()).isTrue();
      assertThat(third.evicted()).extracting(SpoolEntry::sequence).containsExactly(first);
      assertThat(s.nextAfter(-1)).isEqualTo(second);
      assertThat(s.bytes()).isEqualTo(80);
    }
  }

  @Test
  void dropNewestRefusesWhenFull() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 100, FsyncPolicy.NEVER, null)) {
      s.append(1, 1, payload(60, 1), WhenFull.DROP_NEWEST);
      Spool.Append refused = s.append(1, 1, payload(60, 2), WhenFull.DROP_NEWEST);
      assertThat(refused.accepted()).isFalse();
      assertThat(s.batches()).isEqualTo(1);
    }
  }

  @Test
  void aSecondOpenOfTheSameDirectoryFailsWithAClearError() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null)) {
      assertThatThrownBy(() -> new RocksDbSpool(dir, 1 << 20, FsyncPolicy.NEVER, null))
          .isInstanceOf(SpoolException.class)
          .hasMessageContaining("spoolDir");
    }
  }

  @Test
  void checkpointsAreWrittenWithTheBatchAndSurviveReopen() {
    try (RocksDbSpool s = new RocksDbSpool(dir, 100, FsyncPolicy.NEVER, null)) {
      s.append(1, 1, payload(60, 1), WhenFull.DROP_NEWEST, java.util.Map.of("file-a", new byte[] {1}));
      Spool.Append refused = s.append(1, 1, payload(60, 2), WhenFull.DROP_NEWEST,
          java.util.Map.of("file-a", new byte[] {2}));
      assertThat(refused.accepted()).isFalse();
      assertThat(s.checkpoints().get("file-a")).containsExactly(1);
      s.putCheckpoints(java.util.Map.of("file-b", new byte[] {7}));
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 100, FsyncPolicy.NEVER, null)) {
      assertThat(s.checkpoints()).containsOnlyKeys("file-a", "file-b");
      java.util.Map<String, byte[]> delete = new java.util.HashMap<>();
      delete.put("file-a", null);
      s.putCheckpoints(delete);
      assertThat(s.checkpoints()).containsOnlyKeys("file-b");
    }
  }

  // ------------------------------------------------------------------------------------------- disk full (ENOSPC)

  private static byte[] noise(Random random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  /**
   * A real ENOSPC: the spool lives on a 24 MiB tmpfs that a filler file makes nearly full. RocksDB's write-ahead log
   * fails to grow and RocksDB keeps refusing every write after that, even once space is free again, until the database
   * is reopened.
   */
  @Test
  void diskFullRefusesTheWriteKeepsWhatIsSpooledAndResumesWhenSpaceFrees() {
    try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("small-fs"), 24L << 20)) {
      Path spoolDir = fs.root().resolve("spool");
      Map<Long, byte[]> kept = new LinkedHashMap<>();
      Random random = new Random(1);
      try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
        fs.fillLeaving(3L << 20);
        SpoolException full = null;
        for (int i = 0; i < 1000 && full == null; i++) {
          byte[] p = noise(random, 64 << 10);
          try {
            kept.put(s.append(1, p.length, p, WhenFull.DROP_NEWEST).sequence(), p);
          } catch (SpoolException e) {
            full = e;
          }
        }
        assertThat(full).as("the disk filled up").isNotNull();
        assertThat(full.getMessage()).contains(spoolDir.toString()).containsIgnoringCase("no space left");
        assertThat(full.noSpace()).isTrue();
        assertThat(s.writable()).isFalse();
        assertThat(kept).isNotEmpty();
        long lastAccepted = List.copyOf(kept.keySet()).get(kept.size() - 1);

        // The shipper keeps going while the disk is full: every spooled batch reads back, an ack does not throw.
        for (Map.Entry<Long, byte[]> e : kept.entrySet())
          assertThat(s.read(e.getKey()).payload()).isEqualTo(e.getValue());
        long acked = kept.keySet().iterator().next();
        assertThat(s.remove(acked)).isNotNull();
        kept.remove(acked);
        // The spool may take a few more batches (a reopen frees what RocksDB's failed flush left), until the
        // device is full again: every one it accepted is kept, every one it refused was refused with noSpace.
        SpoolException again = null;
        for (int i = 0; i < 1000 && again == null; i++) {
          byte[] p = noise(random, 64 << 10);
          try {
            kept.put(s.append(1, p.length, p, WhenFull.DROP_NEWEST).sequence(), p);
          } catch (SpoolException e) {
            again = e;
          }
        }
        assertThat(again).as("the disk is still full").isNotNull();
        assertThat(again.noSpace()).isTrue();
        lastAccepted = List.copyOf(kept.keySet()).get(kept.size() - 1);

        fs.freeFiller();
        byte[] later = noise(random, 64 << 10);
        long[] resumed = {-1};
        await().atMost(Duration.ofSeconds(20)).until(() -> {
          try {
            resumed[0] = s.append(1, later.length, later, WhenFull.DROP_NEWEST).sequence();
            return true;
          } catch (SpoolException e) {
            return false;
          }
        });
        assertThat(resumed[0]).isGreaterThan(lastAccepted);
        kept.put(resumed[0], later);
        assertThat(s.writable()).isTrue();
        assertThat(s.batches()).isEqualTo(kept.size());
      }
      // Nothing accepted is lost, nothing acknowledged comes back.
      try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
        List<Long> sequences = new ArrayList<>();
        for (long q = s.nextAfter(-1); q >= 0; q = s.nextAfter(q)) sequences.add(q);
        assertThat(sequences).containsExactlyElementsOf(kept.keySet());
        for (Map.Entry<Long, byte[]> e : kept.entrySet())
          assertThat(s.read(e.getKey()).payload()).isEqualTo(e.getValue());
      }
    }
  }

  /**
   * A spool of 3 batches (returned) whose RocksDB holds 8 level-0 files (4 MiB, over its stop trigger of 6) on a
   * device with 1 MiB left: opened, RocksDB stops writes for a compaction that cannot run.
   */
  private static Map<Long, byte[]> spoolBehindAStoppedCompaction(SmallFilesystem fs, Path spoolDir, Random random)
      throws Exception {
    Map<Long, byte[]> kept = new LinkedHashMap<>();
    try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
      for (int i = 0; i < 3; i++) {
        byte[] p = noise(random, 64 << 10);
        kept.put(s.append(1, p.length, p, WhenFull.DROP_NEWEST).sequence(), p);
      }
    }
    // Level-0 files the spool ignores (keys after its own), each written by a flush, none compacted. They overlap, so
    // that a compaction has to rewrite them (files that do not can be moved down a level without new bytes), and their
    // keys differ, so that it writes all 4 MiB again.
    try (org.rocksdb.Options o = new org.rocksdb.Options().setDisableAutoCompactions(true)
        .setLevel0SlowdownWritesTrigger(100).setLevel0StopWritesTrigger(100);
        org.rocksdb.RocksDB raw = org.rocksdb.RocksDB.open(o, spoolDir.toString());
        org.rocksdb.FlushOptions flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
      for (int i = 0; i < 8; i++) {
        raw.put(("x:a" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), noise(random, 256 << 10));
        raw.put(("x:z" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), noise(random, 256 << 10));
        raw.flush(flush);
      }
    }
    fs.fillLeaving(1L << 20);
    return kept;
  }

  /**
   * close() never waits behind a write RocksDB stopped: before, an append parked inside RocksDB held the spool's
   * lifecycle lock, and close() waited for it for good (until space freed).
   */
  @Test
  void closeDoesNotWaitForAWriteStalledOnAFullDisk() throws Exception {
    try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("small-fs"), 24L << 20)) {
      Path spoolDir = fs.root().resolve("spool");
      Random random = new Random(13);
      spoolBehindAStoppedCompaction(fs, spoolDir, random);
      java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(2);
      RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null);
      try {
        byte[] refused = noise(random, 64 << 10);
        java.util.concurrent.Future<?> append =
            threads.submit(() -> s.append(1, refused.length, refused, WhenFull.DROP_NEWEST));
        // close() comes while the append waits for RocksDB
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !append.isDone());
        java.util.concurrent.Future<?> close = threads.submit(s::close);
        try {
          close.get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("close() still waits after 10 s behind a stalled append", e);
        }
        try {
          append.get(10, java.util.concurrent.TimeUnit.SECONDS);
          throw new AssertionError("the append on a stopped RocksDB was accepted");
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(SpoolException.class); // closed meanwhile, or stalled
        }
      } finally {
        fs.freeFiller(); // lets a write stuck inside RocksDB go on, so that close() can return
        s.close();
        threads.shutdownNow();
      }
    }
  }

  /**
   * RocksDB stops writes while level-0 files wait for a compaction, and on a full disk that compaction cannot run: here
   * 8 level-0 files (over its stop trigger of 6) and 1 MiB free. A write that waits inside RocksDB then waits for good,
   * holding the spool (close() and the shipper's acknowledgements behind it); before, an append did exactly that. Now
   * it fails within {@link RocksDbSpool#STALL_PATIENCE_NANOS}, counted as no space, spooled batches still read and
   * acknowledge, and once space frees the compaction RocksDB kept retrying in the background finishes and the spool
   * accepts again by itself.
   */
  @Test
  void aWriteStallOnAFullDiskFailsFastKeepsShippingAndRecoversWhenSpaceFrees() throws Exception {
    try (SmallFilesystem fs = SmallFilesystem.mount(dir.resolve("small-fs"), 24L << 20)) {
      Path spoolDir = fs.root().resolve("spool");
      Random random = new Random(11);
      Map<Long, byte[]> kept = spoolBehindAStoppedCompaction(fs, spoolDir, random);
      java.util.concurrent.ExecutorService appender = java.util.concurrent.Executors.newSingleThreadExecutor();
      RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null);
      try {
        byte[] refused = noise(random, 64 << 10);
        java.util.concurrent.Future<?> append =
            appender.submit(() -> s.append(1, refused.length, refused, WhenFull.DROP_NEWEST));
        Throwable failure;
        try {
          append.get(10, java.util.concurrent.TimeUnit.SECONDS);
          failure = null;
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError("an append on a stalled RocksDB still waits after 10 s", e);
        } catch (java.util.concurrent.ExecutionException e) {
          failure = e.getCause();
        }
        assertThat(failure).as("the stalled append fails").isInstanceOf(SpoolException.class);
        assertThat(((SpoolException) failure).noSpace()).isTrue();
        assertThat(failure.getMessage()).contains(spoolDir.toString()).containsIgnoringCase("no space left");
        assertThat(s.writable()).isFalse();

        // The shipper keeps going: batches read back, an acknowledgement removes one.
        for (Map.Entry<Long, byte[]> e : kept.entrySet())
          assertThat(s.read(e.getKey()).payload()).isEqualTo(e.getValue());
        long acked = kept.keySet().iterator().next();
        assertThat(s.remove(acked)).isNotNull();
        kept.remove(acked);

        fs.freeFiller();
        byte[] later = noise(random, 64 << 10);
        long[] resumed = {-1};
        await().atMost(Duration.ofSeconds(30)).until(() -> {
          try {
            resumed[0] = appender.submit(() -> s.append(1, later.length, later, WhenFull.DROP_NEWEST))
                .get(10, java.util.concurrent.TimeUnit.SECONDS).sequence();
            return true;
          } catch (java.util.concurrent.ExecutionException e) {
            return false;
          }
        });
        kept.put(resumed[0], later);
        assertThat(s.writable()).isTrue();
      } finally {
        fs.freeFiller(); // lets a write stuck inside RocksDB go on, so that close() can return
        s.close();
        appender.shutdownNow();
      }
      try (RocksDbSpool s2 = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
        List<Long> sequences = new ArrayList<>();
        for (long q = s2.nextAfter(-1); q >= 0; q = s2.nextAfter(q)) sequences.add(q);
        assertThat(sequences).as("nothing accepted lost, the acknowledged one gone").containsExactlyElementsOf(
            kept.keySet());
        for (Map.Entry<Long, byte[]> e : kept.entrySet())
          assertThat(s2.read(e.getKey()).payload()).isEqualTo(e.getValue());
      }
    }
  }

  // ------------------------------------------------------------------------------------- corrupt directory at start

  enum Corruption {
    GARBAGE_CURRENT, GARBAGE_MANIFEST, TRUNCATED_SST, MISSING_SST, FILE_IN_PLACE_OF_THE_DIRECTORY;

    void applyTo(Path spool) throws IOException {
      switch (this) {
        case GARBAGE_CURRENT -> Files.writeString(spool.resolve("CURRENT"), "not a manifest name\n");
        case GARBAGE_MANIFEST -> {
          for (Path m : files(spool, "MANIFEST-"))
            Files.write(m, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
        }
        case TRUNCATED_SST -> {
          for (Path sst : files(spool, ".sst")) {
            try (FileChannel ch = FileChannel.open(sst, StandardOpenOption.WRITE)) {
              ch.truncate(ch.size() / 2);
            }
          }
        }
        case MISSING_SST -> {
          for (Path sst : files(spool, ".sst")) Files.delete(sst);
        }
        case FILE_IN_PLACE_OF_THE_DIRECTORY -> {
          try (Stream<Path> all = Files.list(spool)) {
            for (Path f : all.toList()) Files.delete(f);
          }
          Files.delete(spool);
          Files.writeString(spool, "someone wrote a file here");
        }
      }
    }

    private static List<Path> files(Path dir, String nameContains) throws IOException {
      try (Stream<Path> all = Files.list(dir)) {
        List<Path> out = all.filter(p -> p.getFileName().toString().contains(nameContains)).toList();
        assertThat(out).as(nameContains + " files in " + dir).isNotEmpty();
        return out;
      }
    }
  }

  /** A spool with batches in SST files (a reopen flushes the WAL) and a few more in the WAL. */
  private long fillAndClose(Path spoolDir) {
    long epoch;
    try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, "corrupt-me")) {
      epoch = s.epoch();
      for (int i = 0; i < 100; i++) s.append(1, 1, payload(1000, i), WhenFull.DROP_NEWEST);
    }
    try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
      for (int i = 0; i < 10; i++) s.append(1, 1, payload(1000, i), WhenFull.DROP_NEWEST);
    }
    return epoch;
  }

  private List<Path> quarantined() throws IOException {
    try (Stream<Path> all = Files.list(dir)) {
      return all.filter(p -> p.getFileName().toString().startsWith("spool.corrupt-")).toList();
    }
  }

  @ParameterizedTest
  @EnumSource(Corruption.class)
  void aCorruptSpoolIsMovedAsideAndAFreshOneOpens(Corruption corruption) throws IOException {
    Path spoolDir = dir.resolve("spool");
    long oldEpoch = fillAndClose(spoolDir);
    corruption.applyTo(spoolDir);

    try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
      assertThat(s.batches()).isZero();
      assertThat(s.epoch()).isNotEqualTo(oldEpoch);
      assertThat(s.append(1, 1, payload(10, 1), WhenFull.DROP_NEWEST).accepted()).isTrue();
      List<Path> aside = quarantined();
      assertThat(aside).hasSize(1);
      Spool.Quarantine q = s.quarantine().orElseThrow();
      assertThat(q.movedTo()).isEqualTo(aside.get(0));
      assertThat(q.reason()).isNotBlank();
      // The corrupt bytes are kept for inspection, untouched.
      if (corruption == Corruption.GARBAGE_CURRENT) {
        assertThat(Files.readString(aside.get(0).resolve("CURRENT"))).isEqualTo("not a manifest name\n");
      }
    }
    // The fresh spool is healthy: the next start quarantines nothing more.
    try (RocksDbSpool s = new RocksDbSpool(spoolDir, 1L << 30, FsyncPolicy.NEVER, null)) {
      assertThat(s.batches()).isEqualTo(1);
      assertThat(s.quarantine()).isEmpty();
      assertThat(quarantined()).hasSize(1);
    }
  }

  // ------------------------------------------------------------------------------------ at the cap through an outage

  /**
   * What RocksDB may hold on disk beyond the spool's cap, as sdk-core's README states it: the write-ahead log of two
   * 4 MiB memtables (8 MiB), level-0 files up to the stop trigger (6 x 4 MiB), a compaction's output (at most its
   * input plus one file, 28 MiB), one partly live 4 MiB file, and MANIFEST/LOG/OPTIONS (under 2 MiB): about 66 MiB,
   * asserted with a margin.
   */
  public static final long FOOTPRINT_BOUND = 80L << 20;

  static long footprint(Path spoolDir) {
    java.io.File[] files = spoolDir.toFile().listFiles(); // length() is 0 for a file a compaction deleted meanwhile
    long sum = 0;
    if (files != null) for (java.io.File f : files) sum += f.length();
    return sum;
  }

  /**
   * A collector outage in miniature at the spool: 8x a 64 MiB cap written under drop-oldest. The files on disk stay
   * within the cap plus {@link #FOOTPRINT_BOUND}. Before the spool kept a low mark (evicted batches got tombstones),
   * every compaction rewrote the whole spool and the files grew to about 3x the cap (196 MiB here).
   */
  @Test
  void dropOldestAtItsCapKeepsTheFilesOnDiskNearTheCapAndEvictedBatchesStayGone() {
    long cap = 64L << 20;
    Random random = new Random(3);
    long maxFootprint = 0;
    List<Long> live = new ArrayList<>();
    try (RocksDbSpool s = new RocksDbSpool(dir, cap, FsyncPolicy.NEVER, null)) {
      for (int i = 0; i < 2048; i++) { // 2048 x 256 KiB = 512 MiB
        assertThat(s.append(1, 1, noise(random, 256 << 10), WhenFull.DROP_OLDEST).accepted()).isTrue();
        if (i % 16 == 0) maxFootprint = Math.max(maxFootprint, footprint(dir));
        assertThat(s.bytes()).isLessThanOrEqualTo(cap);
      }
      maxFootprint = Math.max(maxFootprint, footprint(dir));
      for (long q = s.nextAfter(-1); q >= 0; q = s.nextAfter(q)) live.add(q);
      // An ack of the oldest advances the low mark too.
      s.remove(live.remove(0));
    }
    System.out.printf("spool at its cap: cap %d MiB, 512 MiB written, largest footprint on disk %.1f MiB%n",
        cap >> 20, maxFootprint / 1048576.0);
    assertThat(maxFootprint).as("bytes on disk").isLessThanOrEqualTo(cap + FOOTPRINT_BOUND);
    try (RocksDbSpool s = new RocksDbSpool(dir, cap, FsyncPolicy.NEVER, null)) {
      List<Long> reopened = new ArrayList<>();
      for (long q = s.nextAfter(-1); q >= 0; q = s.nextAfter(q)) reopened.add(q);
      assertThat(reopened).as("evicted and acknowledged batches stay gone").isEqualTo(live);
      assertThat(s.bytes()).isEqualTo(live.size() * (256L << 10));
    }
  }

  // ----------------------------------------------------------------------------- a damaged block found while running

  /**
   * A block of an SST file is damaged while the spool runs (a bad sector, a stray write): reading a batch in it fails
   * RocksDB's checksum. The batch is dropped and counted ({@link Spool#corruptRecords()}), {@code read} answers null,
   * and every other batch still reads back: before, {@code read} threw and the shipper thread stopped for good.
   */
  @Test
  void aBatchThatCannotBeReadBackIsDroppedCountedAndTheOthersStillRead() throws IOException {
    Random random = new Random(5);
    Map<Long, byte[]> written = new LinkedHashMap<>();
    try (RocksDbSpool s = new RocksDbSpool(dir, 1L << 30, FsyncPolicy.NEVER, null)) {
      for (int i = 0; i < 40; i++) { // 2.5 MiB: one memtable, flushed into one SST file when reopened, no compaction
        byte[] p = noise(random, 64 << 10);
        written.put(s.append(3, p.length, p, WhenFull.DROP_NEWEST).sequence(), p);
      }
    }
    try (RocksDbSpool s = new RocksDbSpool(dir, 1L << 30, FsyncPolicy.NEVER, null)) {
      List<Path> ssts;
      try (Stream<Path> files = Files.list(dir)) {
        ssts = files.filter(f -> f.toString().endsWith(".sst")).toList();
      }
      assertThat(ssts).hasSize(1);
      for (Path sst : ssts) {
        try (FileChannel ch = FileChannel.open(sst, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          java.nio.ByteBuffer damage = java.nio.ByteBuffer.allocate(4096);
          new Random(9).nextBytes(damage.array());
          ch.write(damage, ch.size() / 3);
        }
      }
      int unreadable = 0;
      for (Map.Entry<Long, byte[]> e : written.entrySet()) {
        SpoolEntry entry = s.read(e.getKey());
        if (entry == null) unreadable++;
        else assertThat(entry.payload()).isEqualTo(e.getValue());
      }
      assertThat(unreadable).as("batches in the damaged blocks").isPositive().isLessThan(written.size());
      assertThat(s.corruptRecords()).isEqualTo(3L * unreadable);
      assertThat(s.batches()).isEqualTo(written.size() - unreadable);
      assertThat(s.records()).isEqualTo(3L * (written.size() - unreadable));
    }
  }
}
