package io.sluice.collector;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.KeyValueList;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.proto.v1.SourceInfo;
import io.sluice.proto.v1.StackFrame;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Encoded LogBatches that use every field of the wire format, non-ASCII text, unknown fields, repeated singular
 * fields and records the collector dead-letters: what a scan of the bytes must treat exactly as protobuf does.
 */
public final class RichBatches {
  public static final String UNICODE = "héllo ✓ 日本語 🚀 Ωμέγα";

  private RichBatches() {}

  /** Records (each as its encoded bytes, some hand-assembled) covering every field and every dead-letter reason. */
  public static List<byte[]> records() {
    List<byte[]> out = new ArrayList<>();
    out.add(everyField().toByteArray());
    out.add(LogRecord.newBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_ERROR).setLogger("l")
        .setBody(string("an error in " + UNICODE)).addAttributes(kv("resource.host.name", "own-host"))
        .addAttributes(kv("service.name", "payments")).build().toByteArray());
    out.add(LogRecord.newBuilder().setTraceId(ByteString.copyFrom(new byte[3])).setBody(string("short trace"))
        .build().toByteArray());
    out.add(LogRecord.newBuilder().setSpanId(ByteString.copyFrom(new byte[5])).setBody(string("short span"))
        .build().toByteArray());
    out.add(LogRecord.newBuilder().setSeverityNumberValue(99).setBody(string("severity 99")).build().toByteArray());
    out.add(LogRecord.newBuilder().setSeverityNumberValue(-3).setBody(string("severity -3")).build().toByteArray());
    out.add(LogRecord.newBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
        .setBody(string(UNICODE.repeat(200))).addAttributes(kv("big", "x".repeat(3000)))
        .setException(exception(2)).build().toByteArray());
    out.add(LogRecord.newBuilder().setLogger("unknown fields").setUnknownFields(UnknownFieldSet.newBuilder()
        .addField(99, UnknownFieldSet.Field.newBuilder().addVarint(5).addFixed32(7).addFixed64(9)
            .addLengthDelimited(ByteString.copyFromUtf8("not utf-8 checked \u00ff")).build())
        .build()).build().toByteArray());
    out.add(new byte[0]);
    // singular fields twice (the last wins) and known fields with another wire type (kept as unknown fields)
    out.add(concat(
        LogRecord.newBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_DEBUG)
            .setTraceId(ByteString.copyFrom(new byte[16])).setBody(string("twice")).build().toByteArray(),
        LogRecord.newBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_FATAL)
            .setTraceId(ByteString.copyFrom(new byte[4])).addAttributes(kv("resource.zone", "z9")).build()
            .toByteArray(),
        new byte[] {3 << 3 | 2, 1, 'x', 7 << 3, 1}));
    out.add(LogRecord.newBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_WARN)
        .addAttributes(KeyValue.newBuilder().setKey("service.name").setValue(AnyValue.newBuilder().setIntValue(3)))
        .addAttributes(kv("service.name", "shop")).setBody(string("routed by its own service")).build()
        .toByteArray());
    return out;
  }

  /** A LogBatch of {@code records} with {@code resource}, assembled field by field. */
  public static byte[] batch(List<KeyValue> resource, List<byte[]> records) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      for (KeyValue kv : resource) {
        out.writeMessage(1, kv);
      }
      for (byte[] r : records) {
        out.writeByteArray(2, r);
      }
      out.flush();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes.toByteArray();
  }

  public static LogRecord everyField() {
    return LogRecord.newBuilder()
        .setTimeUnixNano(1_700_000_000_123_456_789L).setObservedTimeUnixNano(1_700_000_000_223_456_789L)
        .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_WARN2).setSeverityText("WARN")
        .setBody(string(UNICODE))
        .addAttributes(kv("user", "ünïcödé"))
        .addAttributes(KeyValue.newBuilder().setKey("n").setValue(AnyValue.newBuilder().setIntValue(-42)))
        .addAttributes(KeyValue.newBuilder().setKey("b").setValue(AnyValue.newBuilder().setBoolValue(true)))
        .addAttributes(KeyValue.newBuilder().setKey("d").setValue(AnyValue.newBuilder().setDoubleValue(2.5)))
        .addAttributes(KeyValue.newBuilder().setKey("raw").setValue(AnyValue.newBuilder()
            .setBytesValue(ByteString.copyFrom(new byte[] {(byte) 0xff, 0, (byte) 0xc3}))))
        .addAttributes(KeyValue.newBuilder().setKey("list").setValue(AnyValue.newBuilder().setArrayValue(
            ArrayValue.newBuilder().addValues(string("a")).addValues(AnyValue.newBuilder().setKvlistValue(
                KeyValueList.newBuilder().addValues(kv("deep", "🚀")))))))
        .setTraceId(ByteString.copyFrom(new byte[16])).setSpanId(ByteString.copyFrom(new byte[8])).setFlags(1)
        .setLogger("com.example.Ünicode").setThreadName("worker-✓").setThreadId(77)
        .setException(exception(3))
        .setSource(SourceInfo.newBuilder().setFile("/var/log/app/日志.log").setOffset(1234).setLength(56))
        .setMessageTemplate("user {} did {}").addMessageArguments(string("ünïcödé")).addMessageArguments(
            AnyValue.newBuilder().setIntValue(5))
        .addMarkers("AUDIT").addMarkers("✓").setTruncated(true)
        .build();
  }

  private static ExceptionInfo exception(int causes) {
    ExceptionInfo.Builder e = ExceptionInfo.newBuilder().setType("java.lang.IllegalStateException")
        .setMessage("bad ✓ state").addFrames(StackFrame.newBuilder().setClassName("a.B").setMethodName("m")
            .setFileName("B.java").setLineNumber(3).setModule("app.jar"))
        .setFramesOmitted(4)
        .addSuppressed(ExceptionInfo.newBuilder().setType("java.io.IOException").setMessage("suppressed"))
        .setCause(ExceptionInfo.newBuilder().setType("legacy.Cause"));
    for (int i = 0; i < causes; i++) {
      e.addCauses(ExceptionInfo.newBuilder().setType("Cause" + i).setMessage("cause ✓ " + i).setTruncated(i == 1));
    }
    return e.build();
  }

  public static AnyValue string(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  public static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(string(value)).build();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
