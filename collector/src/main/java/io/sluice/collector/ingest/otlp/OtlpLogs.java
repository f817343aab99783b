package io.sluice.collector.ingest.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Maps an OTLP {@code ExportLogsServiceRequest} to Sluice records, one {@link RequestIngest.Part} per ResourceLogs:
 * resource attributes become the part's resource (published as {@code resource.<key>} attributes, like a Sluice
 * batch's); the scope name becomes {@code logger}, a scope version the attribute {@code otel.scope.version}; time,
 * observed time, severity number and text, body, attributes, trace id, span id and flags are copied, an event name
 * becomes the attribute {@code event.name}. {@code AnyValue}, {@code KeyValue}, {@code ArrayValue} and
 * {@code KeyValueList} have the same field numbers in both schemas, so values are carried over by their encoding,
 * losslessly. Invalid ids or severities are kept as they are: the router dead-letters them. Stateless.
 */
public final class OtlpLogs {
  public static final String SCOPE_VERSION = "otel.scope.version";
  public static final String EVENT_NAME = "event.name";

  private OtlpLogs() {}

  public static List<RequestIngest.Part> toParts(ExportLogsServiceRequest request) {
    List<RequestIngest.Part> parts = new ArrayList<>(request.getResourceLogsCount());
    for (ResourceLogs rl : request.getResourceLogsList()) {
      Map<String, AnyValue> resource = new LinkedHashMap<>();
      for (io.opentelemetry.proto.common.v1.KeyValue kv : rl.getResource().getAttributesList()) {
        resource.put(kv.getKey(), value(kv.getValue()));
      }
      List<LogRecord> records = new ArrayList<>();
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        InstrumentationScope scope = sl.getScope();
        for (io.opentelemetry.proto.logs.v1.LogRecord r : sl.getLogRecordsList()) {
          records.add(record(scope, r));
        }
      }
      parts.add(new RequestIngest.Part(resource, records));
    }
    return parts;
  }

  static LogRecord record(InstrumentationScope scope, io.opentelemetry.proto.logs.v1.LogRecord r) {
    LogRecord.Builder b = LogRecord.newBuilder()
        .setTimeUnixNano(r.getTimeUnixNano())
        .setObservedTimeUnixNano(r.getObservedTimeUnixNano())
        .setSeverityNumberValue(r.getSeverityNumberValue())
        .setSeverityText(r.getSeverityText())
        .setTraceId(r.getTraceId())
        .setSpanId(r.getSpanId())
        .setFlags(r.getFlags())
        .setLogger(scope.getName());
    if (r.hasBody()) {
      b.setBody(value(r.getBody()));
    }
    for (io.opentelemetry.proto.common.v1.KeyValue kv : r.getAttributesList()) {
      b.addAttributes(KeyValue.newBuilder().setKey(kv.getKey()).setValue(value(kv.getValue())));
    }
    if (!scope.getVersion().isEmpty()) {
      b.addAttributes(KeyValue.newBuilder().setKey(SCOPE_VERSION)
          .setValue(AnyValue.newBuilder().setStringValue(scope.getVersion())));
    }
    if (!r.getEventName().isEmpty()) {
      b.addAttributes(KeyValue.newBuilder().setKey(EVENT_NAME)
          .setValue(AnyValue.newBuilder().setStringValue(r.getEventName())));
    }
    return b.build();
  }

  /** The same value in Sluice's schema (identical field numbers, so by its encoding). */
  static AnyValue value(io.opentelemetry.proto.common.v1.AnyValue v) {
    try {
      return AnyValue.parseFrom(v.toByteString());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("OTLP AnyValue and sluice.v1.AnyValue diverged", e);
    }
  }
}
