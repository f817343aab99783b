package io.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.proto.v1.SourceInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchWriterTest {
  private static final List<KeyValue> RESOURCE = List.of(kv("service.name", "node-agent"), kv("host.name", "h1"));
  private static final List<KeyValue> ATTRS =
      List.of(kv("log.file.path", "/var/log/app/é.log"), kv("log.input", "app"));

  static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static LogRecord record(int i, int bodyChars) {
    return LogRecord.newBuilder().setTimeUnixNano(1_714_564_800_000_000_000L + i)
        .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO).setSeverityText("INFO")
        .setBody(AnyValue.newBuilder().setStringValue(i + " " + "x".repeat(bodyChars))).addAllAttributes(ATTRS)
        .setTraceId(ByteString.copyFrom(new byte[16])).setLogger("com.example.Shop").build();
  }

  @Test
  void messagesAndEncodedRecordsAreTheBytesProtobufWritesForTheBatch() throws Exception {
    BatchWriter w = new BatchWriter(RESOURCE, 1024); // small: the array grows several times
    List<LogRecord> expected = new ArrayList<>();
    long sizes = 0;
    for (int i = 0; i < 200; i++) {
      LogRecord r = record(i, i * 7);
      if (i % 3 == 0) {
        byte[] encoded = r.toByteArray();
        sizes += w.addEncoded(encoded, 0, encoded.length);
      } else {
        sizes += w.add(r);
      }
      expected.add(r);
    }
    byte[] theirs = LogBatch.newBuilder().addAllResource(RESOURCE).addAllRecords(expected).build().toByteArray();
    assertThat(w.toByteArray()).isEqualTo(theirs);
    assertThat(w.recordCount()).isEqualTo(200);
    assertThat(w.recordBytes()).isEqualTo(sizes);
    long byProtobuf = 0;
    for (LogRecord r : expected) byProtobuf += BatchWriter.sizeInBatch(r);
    assertThat(sizes).isEqualTo(byProtobuf);

    w.clear(); // the next batch starts with the resource again, in the same array
    assertThat(w.isEmpty()).isTrue();
    assertThat(w.recordBytes()).isZero();
    w.add(expected.get(5));
    assertThat(w.toByteArray()).isEqualTo(
        LogBatch.newBuilder().addAllResource(RESOURCE).addRecords(expected.get(5)).build().toByteArray());
  }

  @Test
  void plainRecordsAreTheBytesProtobufWritesForTheSameRecord() throws Exception {
    BatchWriter w = new BatchWriter(List.of(), 1 << 16);
    byte[] body = "Grüße, WARN ".repeat(30).getBytes(StandardCharsets.UTF_8);
    byte[] file = "/var/log/app/é.log".getBytes(StandardCharsets.UTF_8);
    int size = w.addPlain(1_714_564_800_123_456_789L, 13, "WARN".getBytes(StandardCharsets.UTF_8), body,
        BatchWriter.attributeFields(ATTRS), file, 200_000, body.length + 1, true);
    w.addPlain(0, 0, new byte[0], new byte[0], new byte[0], new byte[0], 0, 0, false); // defaults left out
    LogRecord first = LogRecord.newBuilder().setTimeUnixNano(1_714_564_800_123_456_789L)
        .setObservedTimeUnixNano(1_714_564_800_123_456_789L).setSeverityNumberValue(13).setSeverityText("WARN")
        .setBody(AnyValue.newBuilder().setStringValue(new String(body, StandardCharsets.UTF_8)))
        .addAllAttributes(ATTRS).setSource(SourceInfo.newBuilder().setFile("/var/log/app/é.log").setOffset(200_000)
            .setLength(body.length + 1))
        .setTruncated(true).build();
    LogRecord second = LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue(""))
        .setSource(SourceInfo.getDefaultInstance()).build();
    assertThat(w.toByteArray()).isEqualTo(LogBatch.newBuilder().addRecords(first).addRecords(second).build()
        .toByteArray());
    assertThat(size).isEqualTo(BatchWriter.sizeInBatch(first));
  }

  @Test
  void writesAPlainBodyFromAnArrayRangeAsFromItsCopy() {
    byte[] line = "xx2024-05-01 INFO a line in a read buffer\nnext".getBytes(StandardCharsets.UTF_8);
    int from = 2;
    int length = line.length - from - 5;
    byte[] attrs = BatchWriter.attributeFields(ATTRS);
    byte[] file = "/var/log/app.log".getBytes(StandardCharsets.UTF_8);
    BatchWriter ranged = new BatchWriter(RESOURCE, 4096);
    BatchWriter copied = new BatchWriter(RESOURCE, 4096);
    for (long offset : new long[] {0, 1, 127, 128, 1L << 35}) {
      int a = ranged.addPlain(offset * 7, 9, new byte[0], line, from, length, attrs, file, offset, length + 1, false);
      int b = copied.addPlain(offset * 7, 9, new byte[0], java.util.Arrays.copyOfRange(line, from, from + length),
          attrs, file, offset, length + 1, false);
      assertThat(a).isEqualTo(b);
    }
    assertThat(ranged.toByteArray()).isEqualTo(copied.toByteArray());
  }

  @Test
  void mixesPlainAndMessageRecordsInOneBatch() throws Exception {
    BatchWriter w = new BatchWriter(RESOURCE, 4096);
    for (int i = 0; i < 50; i++) {
      if (i % 2 == 0) {
        w.add(record(i, 100));
      } else {
        w.addPlain(i, 9, new byte[0], ("line " + i).getBytes(StandardCharsets.UTF_8), new byte[0], new byte[0], i, 0,
            false);
      }
    }
    LogBatch parsed = LogBatch.parseFrom(w.toByteArray());
    assertThat(parsed.getRecordsCount()).isEqualTo(50);
    assertThat(parsed.getRecords(48)).isEqualTo(record(48, 100));
    assertThat(parsed.getRecords(49).getBody().getStringValue()).isEqualTo("line 49");
  }

  @Test
  void handsOutTheCompressedBatch() throws Exception {
    BatchWriter w = new BatchWriter(RESOURCE, 4096);
    for (int i = 0; i < 100; i++) w.add(record(i, 50));
    byte[] compressed = w.compress(ZstdCodec.forThisThread(3));
    assertThat(compressed.length).isLessThan(w.length());
    assertThat(ZstdCodec.forThisThread(3).decompress(compressed, 1 << 20)).isEqualTo(w.toByteArray());
  }

  @Test
  void givesBackTheMemoryOfAHugeBatchWhenCleared() {
    BatchWriter w = new BatchWriter(RESOURCE, 4096);
    w.add(record(1, 1 << 20));
    assertThat(w.array().length).isGreaterThan(1 << 20);
    w.clear();
    assertThat(w.array().length).isLessThanOrEqualTo(4096 + 200);
  }
}
