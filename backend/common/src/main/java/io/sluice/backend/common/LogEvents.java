package io.sluice.backend.common;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.KafkaFormatException;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Decodes the collector's Kafka records into {@link LogEvent}s. Stateless and thread-safe. */
public final class LogEvents {
  private static final HexFormat HEX = HexFormat.of();

  private LogEvents() {}

  private static final KafkaRecordReader READER = new KafkaRecordReader();

  /**
   * Every line in {@code record}, in either Kafka record format ({@link io.sluice.wire.kafka.KafkaFormat}): one
   * event for a record-format record, one per line for a batch-format one, each with its identity (source, epoch,
   * sequence, index in the client batch), so a resent batch de-duplicates per line whatever its format.
   *
   * @throws UndecodableRecordException when an identity header is missing or malformed, the schema is unknown, or
   *     the value does not decode (or would decode past {@link KafkaRecordReader#DEFAULT_MAX_DECODED_BYTES})
   */
  public static List<LogEvent> decode(RawRecord record) throws UndecodableRecordException {
    Map<String, byte[]> h = record.headers();
    List<KafkaLine> lines;
    try {
      lines = READER.read(h::get, record.value());
    } catch (KafkaFormatException e) {
      throw new UndecodableRecordException(e.reason(), e.getMessage().substring(e.reason().length() + 2), e);
    }
    List<LogEvent> out = new ArrayList<>(lines.size());
    for (KafkaLine l : lines) {
      out.add(toEvent(new RecordIdentity(l.source(), l.epoch(), l.sequence(), l.index()), l.tenant(),
          record.topic(), l.record(), l.sizeBytes(), record.timestampMs()));
    }
    return out;
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
}
