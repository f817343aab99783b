package io.sluice.backend.common;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Decodes the collector's Kafka records into {@link LogEvent}s. Stateless and thread-safe. */
public final class LogEvents {
  private static final HexFormat HEX = HexFormat.of();

  private LogEvents() {}

  /**
   * The event in {@code record}.
   *
   * @throws UndecodableRecordException when an identity header is missing or malformed, the schema is not v1, or
   *     the value is not a LogRecord
   */
  public static LogEvent decode(RawRecord record) throws UndecodableRecordException {
    Map<String, byte[]> h = record.headers();
    byte[] schema = h.get(Headers.SCHEMA);
    if (schema != null && !Headers.SCHEMA_V1.equals(new String(schema, StandardCharsets.UTF_8))) {
      throw new UndecodableRecordException(
          "unknown_schema", "header " + Headers.SCHEMA + "=" + new String(schema, StandardCharsets.UTF_8), null);
    }
    RecordIdentity identity =
        new RecordIdentity(
            utf8(h, Headers.SOURCE),
            fixed(h, Headers.EPOCH, 8).getLong(),
            fixed(h, Headers.SEQ, 8).getLong(),
            fixed(h, Headers.IDX, 4).getInt());
    byte[] tenantBytes = h.get(Headers.TENANT);
    String tenant = tenantBytes == null ? "" : new String(tenantBytes, StandardCharsets.UTF_8);
    LogRecord r;
    try {
      r = LogRecord.parseFrom(record.value());
    } catch (InvalidProtocolBufferException e) {
      throw new UndecodableRecordException("bad_value", "not a sluice.v1.LogRecord: " + e.getMessage(), e);
    }
    return toEvent(identity, tenant, record.topic(), r, record.value().length, record.timestampMs());
  }

  /** The event for an already parsed record (tests, and jobs that parse themselves). */
  public static LogEvent toEvent(
      RecordIdentity identity, String tenant, String topic, LogRecord r, int sizeBytes, long kafkaTimestampMs) {
    Map<String, String> attributes = new LinkedHashMap<>();
    for (KeyValue kv : r.getAttributesList()) {
      attributes.put(kv.getKey(), render(kv.getValue()));
    }
    long time =
        r.getTimeUnixNano() != 0
            ? r.getTimeUnixNano()
            : r.getObservedTimeUnixNano() != 0 ? r.getObservedTimeUnixNano() : kafkaTimestampMs * 1_000_000L;
    String service = attributes.getOrDefault("resource.service.name", "");
    Severity severity = Severity.ofNumber(r.getSeverityNumberValue());
    String body = render(r.getBody());
    String exceptionType = "";
    String exceptionMessage = "";
    String topFrame = "";
    String chain = "";
    if (r.hasException()) {
      ExceptionInfo e = r.getException();
      exceptionType = e.getType();
      exceptionMessage = e.getMessage();
      if (e.getFramesCount() > 0) {
        topFrame = frame(e.getFrames(0));
      }
      chain = ExceptionChains.json(e);
    }
    String template = r.getMessageTemplate();
    return new LogEvent(
        identity,
        tenant,
        topic == null ? "" : topic,
        time,
        service.isEmpty() ? LogEvent.UNKNOWN_SERVICE : service,
        attributes.getOrDefault("resource.host.name", ""),
        severity,
        r.getSeverityText(),
        body,
        template,
        r.getLogger(),
        r.getThreadName(),
        r.getTraceId().isEmpty() ? "" : HEX.formatHex(r.getTraceId().toByteArray()),
        r.getSpanId().isEmpty() ? "" : HEX.formatHex(r.getSpanId().toByteArray()),
        exceptionType,
        exceptionMessage,
        topFrame,
        Fingerprints.of(severity, exceptionType, topFrame, template, body),
        Collections.unmodifiableMap(attributes),
        sizeBytes,
        chain);
  }

  /** {@code class.method(file:line)}, the way a Java stack trace prints a frame. */
  public static String frame(StackFrame f) {
    String where = f.getFileName().isEmpty() ? "Unknown Source" : f.getFileName();
    if (f.getLineNumber() > 0) {
      where = where + ":" + f.getLineNumber();
    }
    return f.getClassName() + "." + f.getMethodName() + "(" + where + ")";
  }

  /** A string rendering of any value: strings as they are, arrays and maps in a JSON-like form. */
  public static String render(AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE:
        return v.getStringValue();
      case BOOL_VALUE:
        return Boolean.toString(v.getBoolValue());
      case INT_VALUE:
        return Long.toString(v.getIntValue());
      case DOUBLE_VALUE:
        return Double.toString(v.getDoubleValue());
      case BYTES_VALUE:
        return HEX.formatHex(v.getBytesValue().toByteArray());
      case ARRAY_VALUE:
        return v.getArrayValue().getValuesList().stream()
            .map(LogEvents::render)
            .collect(Collectors.joining(", ", "[", "]"));
      case KVLIST_VALUE:
        return v.getKvlistValue().getValuesList().stream()
            .map(kv -> kv.getKey() + "=" + render(kv.getValue()))
            .collect(Collectors.joining(", ", "{", "}"));
      default:
        return "";
    }
  }

  private static String utf8(Map<String, byte[]> h, String name) throws UndecodableRecordException {
    byte[] b = h.get(name);
    if (b == null) {
      throw new UndecodableRecordException("missing_header", "no " + name + " header", null);
    }
    return new String(b, StandardCharsets.UTF_8);
  }

  private static ByteBuffer fixed(Map<String, byte[]> h, String name, int length) throws UndecodableRecordException {
    byte[] b = h.get(name);
    if (b == null) {
      throw new UndecodableRecordException("missing_header", "no " + name + " header", null);
    }
    if (b.length != length) {
      throw new UndecodableRecordException(
          "bad_header", name + " has " + b.length + " bytes, expected " + length + " (big-endian)", null);
    }
    return ByteBuffer.wrap(b);
  }
}
