package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue's overflow on a real directory: order, bounds, a crash's checkpoint, torn tails, failed writes. */
class OverflowTest {
  @TempDir
  Path dir;

  private final AtomicLong lost = new AtomicLong();

  private Overflow open(long maxBytes, long segmentBytes, byte[] checkpoint) throws IOException {
    return new Overflow(dir.resolve("overflow"), maxBytes, segmentBytes, checkpoint, lost::addAndGet);
  }

  private static byte[] record(int thread, int i) {
    return ("t" + thread + "-" + i + " " + "x".repeat(i % 97)).getBytes(StandardCharsets.UTF_8);
  }

  /** Every record read back, as text, until the overflow says it is empty. */
  private static List<String> readAll(Overflow o) throws IOException {
    List<String> out = new ArrayList<>();
    Overflow.Slice s = new Overflow.Slice();
    while (o.next(s)) out.add(new String(s.array, s.offset, s.length, StandardCharsets.UTF_8));
    return out;
  }

  private long segmentFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir.resolve("overflow"))) {
      return files.filter(p -> p.toString().endsWith(".ovf")).count();
    }
  }

  @org.junit.jupiter.api.RepeatedTest(40) // the reader races the writers: each repetition is a fresh interleaving
  void readsBackEveryRecordOnceAndEachThreadsInOrderAcrossSegments() throws Exception {
    int threads = 4;
    int perThread = 20_000;
    try (Overflow o = open(1L << 30, 256 * 1024, null)) {
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> writers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        Thread w = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < perThread; i++) {
            byte[] r = record(thread, i);
            assertThat(o.append(r, 0, r.length, false)).isTrue();
          }
        });
        w.start();
        writers.add(w);
      }
      start.countDown();
      // read while they write, as the batcher does
      List<String> read = new ArrayList<>();
      Overflow.Slice s = new Overflow.Slice();
      while (writers.stream().anyMatch(Thread::isAlive) || o.active()) {
        while (o.next(s)) read.add(new String(s.array, s.offset, s.length, StandardCharsets.UTF_8));
      }
      for (Thread w : writers) w.join();
      read.addAll(readAll(o));

      assertThat(read).hasSize(threads * perThread);
      Map<Integer, Integer> next = new HashMap<>();
      for (String r : read) {
        int thread = Integer.parseInt(r.substring(1, r.indexOf('-')));
        int i = Integer.parseInt(r.substring(r.indexOf('-') + 1, r.indexOf(' ')));
        assertThat(i).as("thread %d's records in order", thread).isEqualTo(next.getOrDefault(thread, 0));
        next.put(thread, i + 1);
        assertThat(r).isEqualTo(new String(record(thread, i), StandardCharsets.UTF_8));
      }
      assertThat(o.active()).isFalse();
      assertThat(o.bytes()).isZero();
      assertThat(o.records()).isZero();
      assertThat(o.appendedTotal()).isEqualTo((long) threads * perThread);
      assertThat(lost.get()).isZero();
      // committing the position deletes every segment before it
      o.committed(Overflow.checkpoint(o.lastSegment(), o.lastOffset()));
      assertThat(segmentFiles()).isEqualTo(1);
    }
  }

  @Test
  void aRestartReadsOnFromTheCheckpointExactlyOnce() throws Exception {
    Overflow first = open(1L << 30, 64 * 1024, null);
    for (int i = 0; i < 3_000; i++) {
      byte[] r = record(0, i);
      assertThat(first.append(r, 0, r.length, false)).isTrue();
    }
    Overflow.Slice s = new Overflow.Slice();
    for (int i = 0; i < 1_200; i++) assertThat(first.next(s)).isTrue();
    // the batcher stored this position with the batch that held record 1,199 ...
    byte[] checkpoint = Overflow.checkpoint(first.lastSegment(), first.lastOffset());
    // ... and read on (which writes every buffered record to the files) into a batch that was never spooled; then
    // the process died (no close)
    assertThat(readAll(first)).hasSize(1_800);

    try (Overflow second = open(1L << 30, 64 * 1024, checkpoint)) {
      assertThat(second.active()).isTrue();
      assertThat(second.bytes()).isPositive();
      List<String> rest = readAll(second);
      assertThat(rest).hasSize(1_800);
      for (int i = 0; i < rest.size(); i++) {
        assertThat(rest.get(i)).isEqualTo(new String(record(0, 1_200 + i), StandardCharsets.UTF_8));
      }
      assertThat(second.bytes()).isZero();
      // new records after the recovered ones
      byte[] r = record(1, 0);
      assertThat(second.append(r, 0, r.length, false)).isTrue();
      assertThat(readAll(second)).containsExactly(new String(r, StandardCharsets.UTF_8));
    }
  }

  @Test
  void newSegmentsAreNumberedPastACheckpointWhoseFilesAreGone() throws Exception {
    byte[] checkpoint = Overflow.checkpoint(5, 1_000); // stored by an earlier run; its files were cleaned away since
    try (Overflow o = open(1L << 30, 64 * 1024, checkpoint)) {
      assertThat(o.active()).isFalse();
      for (int i = 0; i < 200; i++) {
        byte[] r = record(0, i);
        assertThat(o.append(r, 0, r.length, false)).isTrue();
      }
    } // closed before the batcher read them: they wait for the next start
    // the next start still has the old checkpoint (no batch of the new records was spooled): nothing may be deleted
    try (Overflow o = open(1L << 30, 64 * 1024, checkpoint)) {
      assertThat(readAll(o)).hasSize(200);
    }
  }

  @Test
  void aTornTailAfterACrashIsSkippedAndCounted() throws Exception {
    try (Overflow o = open(1L << 30, 1L << 30, null)) {
      for (int i = 0; i < 100; i++) {
        byte[] r = record(0, i);
        o.append(r, 0, r.length, false);
      }
    } // close writes what is buffered
    Path segment;
    try (Stream<Path> files = Files.list(dir.resolve("overflow"))) {
      segment = files.filter(p -> p.toString().endsWith(".ovf")).findFirst().orElseThrow();
    }
    try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 5); // the last record's write was cut short
    }
    try (Overflow o = open(1L << 30, 1L << 30, null)) {
      List<String> read = readAll(o);
      assertThat(read).hasSize(99);
      assertThat(read.get(98)).isEqualTo(new String(record(0, 98), StandardCharsets.UTF_8));
      assertThat(o.corruptSegments()).isEqualTo(1);
      assertThat(o.bytes()).isZero();
    }
  }

  @Test
  void theBoundCountsHeadersAndKeepsTheLastEighthForWarnAndAbove() throws Exception {
    byte[] r = new byte[92]; // 100 bytes with its header
    try (Overflow o = open(8_000, 1L << 30, null)) {
      int info = 0;
      while (o.append(r, 0, r.length, false)) info++;
      assertThat(info).isEqualTo(70); // 7,000 of 8,000 bytes
      assertThat(o.hasRoom(r.length, false)).isFalse();
      assertThat(o.hasRoom(r.length, true)).isTrue();
      int warn = 0;
      while (o.append(r, 0, r.length, true)) warn++;
      assertThat(warn).isEqualTo(10);
      assertThat(o.bytes()).isEqualTo(8_000);
      assertThat(readAll(o)).hasSize(80);
      assertThat(o.append(r, 0, r.length, false)).isTrue();
    }
  }

  @Test
  void aFailedWriteIsCountedRefusesAppendsAndRecoversOnceReadAndWritableAgain() throws Exception {
    Path overflowDir = dir.resolve("overflow");
    try (Overflow o = open(1L << 30, 64 * 1024, null)) {
      byte[] r = new byte[1_000];
      int appended = 0;
      while (appended < 200) { // a few segments' worth
        assertThat(o.append(r, 0, r.length, false)).isTrue();
        appended++;
      }
      // the directory disappears (an operator's cleanup): the next segment cannot be created
      try (Stream<Path> files = Files.list(overflowDir)) {
        for (Path p : (Iterable<Path>) files::iterator) Files.delete(p);
      }
      Files.delete(overflowDir);
      int accepted = 0;
      while (o.append(r, 0, r.length, false)) accepted++;
      assertThat(o.broken()).isTrue();
      assertThat(o.failure()).isNotNull();
      assertThat(lost.get()).as("the records of the failed write are counted").isPositive();
      long before = lost.get();
      assertThat(o.append(r, 0, r.length, true)).as("refused while broken").isFalse();
      assertThat(lost.get()).isEqualTo(before);

      Files.createDirectories(overflowDir);
      readAll(o); // what was deleted is gone; reading to the end clears the failure
      assertThat(o.broken()).isFalse();
      assertThat(o.active()).isFalse();
      assertThat(o.bytes()).isZero();
      assertThat(o.append(r, 0, r.length, false)).isTrue();
      assertThat(readAll(o)).hasSize(1);
      assertThat(appended + accepted).isPositive();
    }
  }
}
