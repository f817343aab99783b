package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.sluice.agent.parse.PlainParser;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SourceInfo;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.batch.Batcher;
import io.sluice.sdk.record.Values;
import io.sluice.wire.BatchWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The agent's plain-text lines, written into sdk-core's batcher from their parts, are the records protobuf writes. */
class PlainRecordEncodingTest {
  private static final List<KeyValue> RESOURCE = List.of(Values.kv("service.name", "node-agent"),
      Values.kv("host.name", "h1"));
  private static final List<KeyValue> ATTRS = List.of(Values.kv("log.file.path", "/var/log/app/é.log"),
      Values.kv("log.input", "app"), Values.kv("k8s.pod.name", "web-1"));

  /** What the agent built before: a LogRecord from the plain parser, then protobuf's encoding of the batch. */
  private static LogRecord viaBuilder(byte[] line, long time, String file, long offset, long length,
      boolean truncated) {
    LogRecord.Builder r = LogRecord.newBuilder().setObservedTimeUnixNano(time);
    new PlainParser().parse(new String(line, StandardCharsets.UTF_8), r);
    r.setTimeUnixNano(time);
    if (truncated) r.setTruncated(true);
    r.addAllAttributes(ATTRS);
    r.setSource(SourceInfo.newBuilder().setFile(file).setOffset(offset).setLength(length));
    return r.build();
  }

  private static void addPlain(Batcher b, byte[] line, long time, String file, long offset, long length,
      boolean truncated) {
    int k = PlainParser.level(line);
    b.addPlain(time, k < 0 ? 0 : PlainParser.severityNumber(k).getNumber(),
        k < 0 ? new byte[0] : PlainParser.severityText(k), PlainParser.body(line), BatchWriter.attributeFields(ATTRS),
        file.getBytes(StandardCharsets.UTF_8), offset, length, truncated, 1);
  }

  @Test
  void plainRecordsAreTheBytesProtobufWritesForTheSameRecords() throws Exception {
    byte[][] lines = {
        "127.0.0.1 - - [01/May/2024:12:00:00 +0000] \"GET / HTTP/1.1\" 200 512 INFO".getBytes(StandardCharsets.UTF_8),
        "ERROR boom".getBytes(StandardCharsets.UTF_8),
        "Grüße, no level".getBytes(StandardCharsets.UTF_8),
        new byte[0], // an empty line: the body is still set (an empty string_value)
        {'W', 'A', 'R', 'N', ' ', (byte) 0xFF, (byte) 0xC3}, // invalid UTF-8 becomes U+FFFD
        "x".repeat(300).getBytes(StandardCharsets.UTF_8), // multi-byte lengths
    };
    Batcher b = new Batcher(new BatchPolicy(100, 1 << 20, 1_000_000_000L), RESOURCE);
    List<LogRecord> expected = new ArrayList<>();
    long offset = 0;
    for (int i = 0; i < lines.length; i++) {
      long time = i == 1 ? 1 : 1_714_564_800_123_456_789L + i;
      String file = i == 2 ? "" : "/var/log/app/é.log";
      boolean truncated = i == 5;
      long length = i == 3 ? 0 : lines[i].length + 1; // 0 and offset 0 are left out of the encoding
      addPlain(b, lines[i], time, file, offset, length, truncated);
      expected.add(viaBuilder(lines[i], time, file, offset, length, truncated));
      offset += 200_000; // multi-byte varints
    }
    LogRecord structured = LogRecord.newBuilder().setBody(Values.of("from json")).addAttributes(
        Values.kv("code", "503")).setTraceId(ByteString.copyFrom(new byte[16])).build();
    b.add(structured, 1);
    expected.add(structured);

    byte[] ours = b.batch().toByteArray();
    byte[] theirs = LogBatch.newBuilder().addAllResource(RESOURCE).addAllRecords(expected).build().toByteArray();
    assertThat(ours).isEqualTo(theirs);
    assertThat(LogBatch.parseFrom(ours).getRecords(4).getBody().getStringValue()).isEqualTo("WARN \uFFFD\uFFFD");
    assertThat(LogBatch.parseFrom(ours).getRecords(4).getSeverityText()).isEqualTo("WARN");
    assertThat(b.recordCount()).isEqualTo(lines.length + 1);

    b.clear(); // the next batch starts with the resource again
    assertThat(b.isEmpty()).isTrue();
    addPlain(b, lines[1], 7, "/f", 3, 11, false);
    assertThat(b.batch().toByteArray()).isEqualTo(LogBatch.newBuilder().addAllResource(RESOURCE)
        .addRecords(viaBuilder(lines[1], 7, "/f", 3, 11, false)).build().toByteArray());
  }

  @Test
  void cutByRecordsBytesAndLingerAsTheSdkBatcher() {
    Batcher b = new Batcher(new BatchPolicy(3, 1000, 50), RESOURCE);
    assertThat(b.ready(0)).isFalse();
    assertThat(b.nanosUntilDue(0)).isEqualTo(Long.MAX_VALUE);
    b.add(LogRecord.newBuilder().setBody(Values.of("a")).build(), 100);
    assertThat(b.ready(149)).isFalse();
    assertThat(b.nanosUntilDue(120)).isEqualTo(30);
    assertThat(b.ready(150)).isTrue(); // linger from the first record
    b.add(LogRecord.newBuilder().setBody(Values.of("b")).build(), 140);
    b.add(LogRecord.newBuilder().setBody(Values.of("c")).build(), 140);
    assertThat(b.ready(101)).isTrue(); // three records
    b.clear();
    b.add(LogRecord.newBuilder().setBody(Values.of("x".repeat(1000))).build(), 200);
    assertThat(b.recordCount()).isEqualTo(1);
    assertThat(b.ready(201)).isTrue(); // past maxBytes (records' bytes, the resource not counted)
  }
}
