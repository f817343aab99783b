package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import org.junit.jupiter.api.Test;

/** The hand-written wire encoding parses to exactly what protobuf's builders make. */
class EncodedRecordTest {
  private static final String UNICODE = "Grüße, 世界! Привет — مرحبا — 🚀🧵 — e\u0301";

  @Test
  void writesFieldsThatParseToTheSameRecordAsTheBuilders() throws Exception {
    String big = "x".repeat(70_000); // a length that needs three varint bytes: the nested value is moved twice
    LogRecord expected = LogRecord.newBuilder().setTimeUnixNano(-1L).setObservedTimeUnixNano(1_700_000_000_123_456_789L)
        .setSeverityNumberValue(17).setSeverityText("ERROR").setBody(Values.of(UNICODE)).setLogger(big)
        .setThreadId(-5).addAttributes(Values.kv("n", (Object) Long.MIN_VALUE))
        .addAttributes(Values.kv("d", (Object) 2.5)).addAttributes(Values.kv("b", (Object) false))
        .addAttributes(Values.kv(UNICODE, big)).addMessageArguments(Values.of((Object) 0))
        .addMessageArguments(Values.of(""))
        .setException(ExceptionInfo.newBuilder().setType("T").setMessage(big)).setFlags(0xff).build();

    EncodedRecord out = new EncodedRecord();
    out.fixed64(LogRecord.TIME_UNIX_NANO_FIELD_NUMBER, -1L);
    out.fixed64(LogRecord.OBSERVED_TIME_UNIX_NANO_FIELD_NUMBER, 1_700_000_000_123_456_789L);
    out.int64(LogRecord.SEVERITY_NUMBER_FIELD_NUMBER, 17);
    out.string(LogRecord.SEVERITY_TEXT_FIELD_NUMBER, "ERROR");
    int body = out.begin(LogRecord.BODY_FIELD_NUMBER);
    out.string(AnyValue.STRING_VALUE_FIELD_NUMBER, new StringBuilder(UNICODE));
    out.end(body);
    out.string(LogRecord.LOGGER_FIELD_NUMBER, big);
    out.int64(LogRecord.THREAD_ID_FIELD_NUMBER, -5);
    for (Object[] kv : new Object[][] {{"n", Long.MIN_VALUE}, {"d", 2.5}, {"b", false}, {UNICODE, big}}) {
      int m = out.begin(LogRecord.ATTRIBUTES_FIELD_NUMBER);
      out.string(KeyValue.KEY_FIELD_NUMBER, (String) kv[0]);
      Values.write(out, KeyValue.VALUE_FIELD_NUMBER, kv[1]);
      out.end(m);
    }
    Values.write(out, LogRecord.MESSAGE_ARGUMENTS_FIELD_NUMBER, 0);
    Values.write(out, LogRecord.MESSAGE_ARGUMENTS_FIELD_NUMBER, "");
    out.message(LogRecord.EXCEPTION_FIELD_NUMBER, ExceptionInfo.newBuilder().setType("T").setMessage(big).build());
    out.fixed32(LogRecord.FLAGS_FIELD_NUMBER, 0xff);

    assertThat(out.parse()).isEqualTo(expected);
    assertThat(out.estimatedBytes()).isEqualTo(expected.getSerializedSize());
  }

  @Test
  void writesAnUnpairedSurrogateAsAQuestionMarkAsJavaDoes() throws Exception {
    String broken = "a\uD83Db\uDE00c";
    EncodedRecord out = new EncodedRecord();
    out.string(LogRecord.LOGGER_FIELD_NUMBER, broken);

    assertThat(out.parse().getLogger()).isEqualTo(new String(broken.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void aRecycledRecordStartsEmptyAndDropsAnOversizedBuffer() throws Exception {
    EncodedRecord out = EncodedRecord.take();
    out.string(LogRecord.LOGGER_FIELD_NUMBER, "y".repeat(10 * EncodedRecord.KEPT_BYTES));
    LogRecord built = out.build(); // recycles

    assertThat(built.getLogger()).hasSize(10 * EncodedRecord.KEPT_BYTES);
    assertThat(out.size()).isZero();
    out.string(LogRecord.LOGGER_FIELD_NUMBER, "z");
    assertThat(out.parse().getLogger()).isEqualTo("z");
  }
}
