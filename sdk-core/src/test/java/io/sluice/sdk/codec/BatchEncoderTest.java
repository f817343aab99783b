package io.sluice.sdk.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import io.sluice.sdk.testkit.Records;
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
  }
}
