package io.sluice.sdk.spool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbSpoolTest {
  @TempDir Path dir;

  private static byte[] payload(int size, int fill) {
    byte[] b = new byte[size];
    java.util.Arrays.fill(b, (byte) fill);
    return b;
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
}
