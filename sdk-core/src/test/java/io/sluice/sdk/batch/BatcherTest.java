package io.sluice.sdk.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sdk.testkit.Records;
import org.junit.jupiter.api.Test;

class BatcherTest {
  @Test
  void cutsAtMaxRecords() {
    Batcher b = new Batcher(new BatchPolicy(3, 1 << 20, 1_000_000_000L));
    for (int i = 0; i < 2; i++) b.add(Records.numbered(i), 10, 0);
    assertThat(b.ready(0)).isFalse();
    b.add(Records.numbered(2), 10, 0);
    assertThat(b.ready(0)).isTrue();
    assertThat(b.drain()).hasSize(3);
    assertThat(b.isEmpty()).isTrue();
  }

  @Test
  void cutsAtMaxBytesAndNeverGrowsPastIt() {
    Batcher b = new Batcher(new BatchPolicy(1000, 100, 1_000_000_000L));
    b.add(Records.numbered(0), 60, 0);
    assertThat(b.fits(60)).isFalse();
    assertThat(b.fits(40)).isTrue();
    b.add(Records.numbered(1), 40, 0);
    assertThat(b.ready(0)).isTrue();
    assertThat(b.bytes()).isEqualTo(100);
  }

  @Test
  void anOversizedRecordStillFitsAnEmptyBatch() {
    Batcher b = new Batcher(new BatchPolicy(1000, 100, 1_000_000_000L));
    assertThat(b.fits(500)).isTrue();
  }

  @Test
  void cutsAfterLingerFromTheFirstRecord() {
    Batcher b = new Batcher(new BatchPolicy(1000, 1 << 20, 200));
    assertThat(b.nanosUntilDue(0)).isEqualTo(Long.MAX_VALUE);
    b.add(Records.numbered(0), 10, 1000);
    b.add(Records.numbered(1), 10, 1150);
    assertThat(b.ready(1199)).isFalse();
    assertThat(b.nanosUntilDue(1150)).isEqualTo(50);
    assertThat(b.ready(1200)).isTrue();
  }
}
