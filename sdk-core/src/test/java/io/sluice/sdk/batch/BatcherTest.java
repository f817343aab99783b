package io.sluice.sdk.batch;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import io.sluice.sdk.testkit.Records;
import io.sluice.wire.BatchWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatcherTest {
  @Test
  void cutsAtMaxRecords() {
    Batcher b = new Batcher(new BatchPolicy(3, 1 << 20, 1_000_000_000L));
    for (int i = 0; i < 2; i++) b.add(Records.numbered(i), 0);
    assertThat(b.ready(0)).isFalse();
    b.add(Records.numbered(2), 0);
    assertThat(b.ready(0)).isTrue();
    assertThat(b.recordCount()).isEqualTo(3);
    b.clear();
    assertThat(b.isEmpty()).isTrue();
  }

  @Test
  void cutsAtMaxBytesAndNeverGrowsPastIt() {
    LogRecord first = Records.numbered(0);
    int size = BatchWriter.sizeInBatch(first);
    Batcher b = new Batcher(new BatchPolicy(1000, size + 40, 1_000_000_000L));
    assertThat(b.add(first, 0)).isEqualTo(size);
    assertThat(b.fits(41)).isFalse();
    assertThat(b.fits(40)).isTrue();
    assertThat(b.ready(0)).isFalse();
    byte[] forty = new byte[38]; // an encoded record of 38 bytes: 40 in the batch
    b.addEncoded(forty, 0, forty.length, 0);
    assertThat(b.ready(0)).isTrue();
    assertThat(b.bytes()).isEqualTo(size + 40);
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
    b.add(Records.numbered(0), 1000);
    b.add(Records.numbered(1), 1150);
    assertThat(b.ready(1199)).isFalse();
    assertThat(b.nanosUntilDue(1150)).isEqualTo(50);
    assertThat(b.ready(1200)).isTrue();
  }

  @Test
  void theBatchIsTheLogBatchOfItsRecordsWithTheResource() throws Exception {
    List<KeyValue> resource = List.of(Values.kv("service.name", "svc"), Values.kv("host.name", "h1"));
    List<LogRecord> records = List.of(Records.numbered(1), Records.numbered(2, 500), Records.numbered(3));
    Batcher b = new Batcher(new BatchPolicy(1000, 1 << 20, 200), resource);
    for (int round = 0; round < 2; round++) { // the second batch in the same, cleared, array
      for (LogRecord r : records) b.add(r, 0);
      byte[] ours = b.batch().toByteArray();
      assertThat(ours).isEqualTo(LogBatch.newBuilder().addAllResource(resource).addAllRecords(records).build()
          .toByteArray());
      b.clear();
    }
  }
}
