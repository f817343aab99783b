package io.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SourceInfo;
import org.junit.jupiter.api.Test;

class RecordWriterTest {
  @Test
  void stableStringsWriteWhatStringWritesFromTheFirstUseOnAndStayGarbageFree() {
    RecordWriter stable = new RecordWriter(16);
    RecordWriter plain = new RecordWriter(16);
    java.util.List<String> values = new java.util.ArrayList<>(java.util.List.of("", "INFO", "app.Orders",
        "order {} placed by {}", "é😀\uD800x", "x".repeat(300), "main"));
    for (int i = 0; i < 200; i++) values.add("logger-" + i); // more strings than slots: evictions
    for (int round = 0; round < 3; round++) {
      for (String v : values) {
        stable.reset();
        plain.reset();
        stable.stableString(5, v);
        plain.string(5, v);
        assertThat(stable.toByteArray()).as("%s, round %d", v, round).isEqualTo(plain.toByteArray());
      }
    }
    // a string kept by the writer is copied, not allocated again
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    String name = "io.sluice.examples.Checkout";
    stable.reset();
    stable.stableString(5, name);
    long id = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 10_000; i++) {
      stable.reset();
      stable.stableString(5, name);
    }
    assertThat(threads.getThreadAllocatedBytes(id) - before).isLessThan(10_000);
  }

  @Test
  void writesFieldsAndNestedMessagesAsProtobufDoes() throws Exception {
    RecordWriter w = new RecordWriter(16);
    String body = "é😀\uD800x".repeat(50); // a long nested message (a 2-byte length), an unpaired surrogate
    w.fixed64(LogRecord.TIME_UNIX_NANO_FIELD_NUMBER, 42);
    int mark = w.begin(LogRecord.BODY_FIELD_NUMBER);
    w.string(1, body);
    w.end(mark);
    w.message(LogRecord.SOURCE_FIELD_NUMBER, SourceInfo.newBuilder().setFile("f").setOffset(7).build());
    w.bool(LogRecord.TRUNCATED_FIELD_NUMBER, true);
    LogRecord parsed = LogRecord.parseFrom(w.toByteArray());
    assertThat(parsed.getTimeUnixNano()).isEqualTo(42);
    assertThat(parsed.getBody().getStringValue()).isEqualTo(body.replace('\uD800', '?'));
    assertThat(parsed.getSource().getOffset()).isEqualTo(7);
    assertThat(parsed.getTruncated()).isTrue();

    BatchWriter batch = new BatchWriter(java.util.List.of(), 4096);
    batch.addEncoded(w.array(), 0, w.size());
    assertThat(batch.toByteArray()).isEqualTo(io.sluice.proto.v1.LogBatch.newBuilder().addRecords(parsed).build()
        .toByteArray());
    w.reset(64, 16);
    assertThat(w.size()).isZero();
    assertThat(w.array().length).isEqualTo(16);
    w.message(LogRecord.BODY_FIELD_NUMBER, AnyValue.newBuilder().setStringValue("x").build());
    assertThat(LogRecord.parseFrom(w.toByteArray()).getBody().getStringValue()).isEqualTo("x");
  }
}
