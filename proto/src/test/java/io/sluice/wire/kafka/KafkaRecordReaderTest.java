package io.sluice.wire.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both formats written the way the collector writes them and read back line by line, identity included. */
class KafkaRecordReaderTest {
  private final KafkaRecordReader reader = new KafkaRecordReader();

  @Test
  void batchValueIsTheLogBatchEncodingOfItsRecordsWithoutReEncoding() throws Exception {
    List<LogRecord> records = records(5);
    byte[] plain = BatchValueWriter.encode(RecordSlices.ofRecords(records), new int[] {0, 1, 2, 3, 4});
    assertThat(plain).isEqualTo(LogBatch.newBuilder().addAllRecords(records).build().toByteArray());
    try (BatchValueWriter w = new BatchValueWriter()) {
      byte[] value = w.write(RecordSlices.ofRecords(records), new int[] {3, 1});
      assertThat(LogBatch.parseFrom(Zstd.decompress(value, (int) Zstd.getFrameContentSize(value))).getRecordsList())
          .containsExactly(records.get(3), records.get(1));
    }
  }

  @Test
  void readsTheWholeBatchWithIndexesFromPositions() throws Exception {
    List<LogRecord> records = records(4);
    Map<String, byte[]> h = batchHeaders(4);
    byte[] value;
    try (BatchValueWriter w = new BatchValueWriter()) {
      value = w.write(RecordSlices.ofRecords(records), new int[] {0, 1, 2, 3});
    }
    List<KafkaLine> lines = reader.read(h::get, value);
    assertThat(lines).extracting(KafkaLine::record).containsExactlyElementsOf(records);
    assertThat(lines).extracting(KafkaLine::index).containsExactly(0, 1, 2, 3);
    assertThat(lines.get(2)).satisfies(l -> {
      assertThat(l.source()).isEqualTo("app-1");
      assertThat(l.epoch()).isEqualTo(7);
      assertThat(l.sequence()).isEqualTo(42);
      assertThat(l.tenant()).isEqualTo("acme");
      assertThat(l.sizeBytes()).isEqualTo(records.get(2).getSerializedSize());
    });
  }

  @Test
  void aSplitBatchKeepsEachLinesIndexInTheClientBatch() throws Exception {
    List<LogRecord> records = records(6);
    Map<String, byte[]> h = batchHeaders(3);
    h.put(KafkaHeaders.INDEXES, KafkaHeaders.int32s(new int[] {1, 4, 5}));
    byte[] value;
    try (BatchValueWriter w = new BatchValueWriter()) {
      value = w.write(RecordSlices.ofRecords(records), new int[] {1, 4, 5});
    }
    List<KafkaLine> lines = reader.read(h::get, value);
    assertThat(lines).extracting(KafkaLine::index).containsExactly(1, 4, 5);
    assertThat(lines).extracting(KafkaLine::record).containsExactly(records.get(1), records.get(4), records.get(5));
  }

  @Test
  void linesGetTheHeadersResourceOverlaidByTheValuesOwnWhereTheyLackIt() throws Exception {
    // the value as a client sent it: its batch resource and records without resource.* attributes (but line 1's own)
    LogRecord plain = records(1).get(0);
    LogRecord own = plain.toBuilder().addAttributes(kv("resource.zone", "own")).build();
    byte[] value = Zstd.compress(LogBatch.newBuilder().addResource(kv("service.name", "from-batch"))
        .addResource(kv("zone", "z1")).addRecords(plain).addRecords(own).build().toByteArray(), 3);
    Map<String, byte[]> h = batchHeaders(2);
    h.put(KafkaHeaders.RESOURCE, LogBatch.newBuilder().addResource(kv("service.name", "from-hello"))
        .addResource(kv("host.name", "h1")).build().toByteArray());

    List<KafkaLine> lines = reader.read(h::get, value);

    // Hello's keys first, the batch's values win, the line's own resource.* attribute stays and is not added again
    assertThat(lines.get(0).record()).isEqualTo(plain.toBuilder().addAttributes(kv("resource.service.name",
        "from-batch")).addAttributes(kv("resource.host.name", "h1")).addAttributes(kv("resource.zone", "z1")).build());
    assertThat(lines.get(1).record()).isEqualTo(own.toBuilder().addAttributes(kv("resource.service.name",
        "from-batch")).addAttributes(kv("resource.host.name", "h1")).build());
    assertThat(lines.get(0).sizeBytes()).isEqualTo(lines.get(0).record().getSerializedSize());

    // the counting consumer's walk: each line's bytes as sent, in place, with its index
    List<LogRecord> walked = new ArrayList<>();
    List<Integer> indexes = new ArrayList<>();
    int n = reader.forEachLine(h::get, value, (index, bytes, offset, length) -> {
      indexes.add(index);
      try {
        walked.add(LogRecord.parser().parseFrom(bytes, offset, length));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    });
    assertThat(n).isEqualTo(2);
    assertThat(walked).containsExactly(plain, own);
    assertThat(indexes).containsExactly(0, 1);

    Map<String, byte[]> badResource = batchHeaders(2);
    badResource.put(KafkaHeaders.RESOURCE, new byte[] {(byte) 0x0A, 50});
    assertThat(reason(badResource, value)).isEqualTo("bad_header");
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  @Test
  void readsTheRecordFormatAndRecordsWithoutASchemaHeader() throws Exception {
    LogRecord r = records(1).get(0);
    Map<String, byte[]> h = identity();
    h.put(KafkaHeaders.IDX, KafkaHeaders.int32(9));
    assertThat(reader.read(h::get, r.toByteArray())).singleElement()
        .satisfies(l -> assertThat(l.index()).isEqualTo(9))
        .satisfies(l -> assertThat(l.record()).isEqualTo(r));
    h.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_RECORD));
    h.put(KafkaHeaders.REASON, KafkaHeaders.utf8("TOPIC_MISSING: x"));
    assertThat(reader.read(h::get, r.toByteArray()).get(0).reason()).isEqualTo("TOPIC_MISSING: x");
  }

  @Test
  void refusesWhatIsNotASluiceRecordWithAReason() throws Exception {
    List<LogRecord> records = records(3);
    byte[] value;
    try (BatchValueWriter w = new BatchValueWriter()) {
      value = w.write(RecordSlices.ofRecords(records), new int[] {0, 1, 2});
    }
    assertThat(reason(batchHeaders(2), value)).isEqualTo("bad_value"); // count says 2, value holds 3
    assertThat(reason(batchHeaders(4), value)).isEqualTo("bad_value");
    Map<String, byte[]> badIndexes = batchHeaders(3);
    badIndexes.put(KafkaHeaders.INDEXES, new byte[5]);
    assertThat(reason(badIndexes, value)).isEqualTo("bad_header");
    Map<String, byte[]> hugeCount = batchHeaders(Integer.MAX_VALUE);
    assertThat(reason(hugeCount, value)).isEqualTo("bad_header");
    Map<String, byte[]> noSeq = batchHeaders(3);
    noSeq.remove(KafkaHeaders.SEQ);
    assertThat(reason(noSeq, value)).isEqualTo("missing_header");
    Map<String, byte[]> v9 = batchHeaders(3);
    v9.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8("9"));
    assertThat(reason(v9, value)).isEqualTo("unknown_schema");
    assertThat(reason(batchHeaders(3), new byte[] {1, 2, 3})).isEqualTo("bad_value");
    assertThat(reason(batchHeaders(1), Zstd.compress(new byte[] {(byte) 0x12, 10, 1}))).isEqualTo("bad_value");
  }

  @Test
  void refusesABatchThatWouldDecodePastTheCapBeforeAllocatingIt() throws Exception {
    byte[] bomb = Zstd.compress(new byte[1 << 20]); // 1 MiB of zeros in a few dozen bytes
    KafkaRecordReader small = new KafkaRecordReader(64 << 10);
    assertThatThrownBy(() -> small.read(batchHeaders(1)::get, bomb))
        .isInstanceOf(KafkaFormatException.class)
        .hasMessageContaining("1048576")
        .extracting(e -> ((KafkaFormatException) e).reason()).isEqualTo("too_large");
  }

  private String reason(Map<String, byte[]> h, byte[] value) {
    try {
      reader.read(h::get, value);
      return "read";
    } catch (KafkaFormatException e) {
      return e.reason();
    }
  }

  static Map<String, byte[]> identity() {
    Map<String, byte[]> h = new HashMap<>();
    h.put(KafkaHeaders.SOURCE, KafkaHeaders.utf8("app-1"));
    h.put(KafkaHeaders.EPOCH, KafkaHeaders.int64(7));
    h.put(KafkaHeaders.SEQ, KafkaHeaders.int64(42));
    h.put(KafkaHeaders.TENANT, KafkaHeaders.utf8("acme"));
    return h;
  }

  static Map<String, byte[]> batchHeaders(int count) {
    Map<String, byte[]> h = identity();
    h.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_BATCH));
    h.put(KafkaHeaders.COUNT, KafkaHeaders.int32(count));
    return h;
  }

  static List<LogRecord> records(int n) {
    List<LogRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(LogRecord.newBuilder().setTimeUnixNano(1_000_000_000L * i + 1).setSeverityNumberValue(9)
          .setBody(AnyValue.newBuilder().setStringValue("line " + i + " " + "x".repeat(i * 50)))
          .addAttributes(KeyValue.newBuilder().setKey("k").setValue(AnyValue.newBuilder().setIntValue(i)))
          .build());
    }
    return out;
  }
}
