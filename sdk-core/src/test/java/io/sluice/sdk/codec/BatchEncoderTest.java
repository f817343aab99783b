package io.sluice.sdk.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import io.sluice.sdk.testkit.Records;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchEncoderTest {
  @Test
  void encodesExactlyWhatProtobufWould() throws Exception {
    List<KeyValue> resource = List.of(Values.kv("service.name", "svc"), Values.kv("host.name", "h1"));
    List<LogRecord> records = List.of(Records.numbered(1), Records.numbered(2, 500), Records.numbered(3));
    long size = 0;
    for (LogRecord r : records) size += BatchEncoder.sizeInBatch(r);
    byte[] ours = new BatchEncoder(resource).encode(records, size);
    byte[] theirs = LogBatch.newBuilder().addAllResource(resource).addAllRecords(records).build().toByteArray();
    assertThat(ours).isEqualTo(theirs);
    assertThat(LogBatch.parseFrom(ours).getRecordsList()).isEqualTo(records);

    // into a reused buffer that held a larger batch before: the same bytes at its start, its length returned
    byte[] reused = new byte[ours.length + 100];
    Arrays.fill(reused, (byte) 0x55);
    int n = new BatchEncoder(resource).encode(records, size, reused);
    assertThat(n).isEqualTo(ours.length);
    assertThat(Arrays.copyOf(reused, n)).isEqualTo(ours);
    long recordsSize = size;
    assertThatThrownBy(() -> new BatchEncoder(resource).encode(records, recordsSize, new byte[ours.length - 1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch of " + ours.length);
  }
}
