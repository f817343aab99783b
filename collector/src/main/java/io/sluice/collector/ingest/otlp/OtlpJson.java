package io.sluice.collector.ingest.otlp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Decodes an OTLP/JSON logs request as the OTLP specification defines it: the protobuf JSON mapping with
 * lowerCamelCase names (snake_case accepted too), trace and span ids as hex strings (not base64), enums as
 * integers, 64-bit integers as strings or numbers, unknown fields ignored. Bad input fails with an
 * {@link IllegalArgumentException} naming the field. Stateless; the input is bounded by the caller.
 */
public final class OtlpJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OtlpJson() {}

  public static ExportLogsServiceRequest parse(byte[] body) {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("the body cannot be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object with resourceLogs");
    }
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    JsonNode rls = field(root, "resourceLogs", "resource_logs");
    int i = 0;
    for (JsonNode rl : array(rls, "resourceLogs")) {
      String at = "resourceLogs[" + i++ + "]";
      ResourceLogs.Builder rb = req.addResourceLogsBuilder();
      JsonNode res = rl.get("resource");
      if (res != null && res.isObject()) {
        Resource.Builder r = rb.getResourceBuilder();
        for (JsonNode kv : array(res.get("attributes"), at + ".resource.attributes")) {
          r.addAttributes(keyValue(kv, at + ".resource.attributes"));
        }
      }
      text(rl, at, "schemaUrl", "schema_url", rb::setSchemaUrl);
      int j = 0;
      for (JsonNode sl : array(field(rl, "scopeLogs", "scope_logs"), at + ".scopeLogs")) {
        String sat = at + ".scopeLogs[" + j++ + "]";
        ScopeLogs.Builder sb = rb.addScopeLogsBuilder();
        JsonNode scope = sl.get("scope");
        if (scope != null && scope.isObject()) {
          InstrumentationScope.Builder s = sb.getScopeBuilder();
          text(scope, sat + ".scope", "name", "name", s::setName);
          text(scope, sat + ".scope", "version", "version", s::setVersion);
          for (JsonNode kv : array(scope.get("attributes"), sat + ".scope.attributes")) {
            s.addAttributes(keyValue(kv, sat + ".scope.attributes"));
          }
        }
        int k = 0;
        for (JsonNode lr : array(field(sl, "logRecords", "log_records"), sat + ".logRecords")) {
          sb.addLogRecords(logRecord(lr, sat + ".logRecords[" + k++ + "]"));
        }
      }
    }
    return req.build();
  }

  private static LogRecord logRecord(JsonNode n, String at) {
    LogRecord.Builder b = LogRecord.newBuilder();
    JsonNode v;
    if ((v = field(n, "timeUnixNano", "time_unix_nano")) != null) {
      b.setTimeUnixNano(int64(v, at + ".timeUnixNano"));
    }
    if ((v = field(n, "observedTimeUnixNano", "observed_time_unix_nano")) != null) {
      b.setObservedTimeUnixNano(int64(v, at + ".observedTimeUnixNano"));
    }
    if ((v = field(n, "severityNumber", "severity_number")) != null) {
      b.setSeverityNumberValue((int) int64(v, at + ".severityNumber"));
    }
    text(n, at, "severityText", "severity_text", b::setSeverityText);
    text(n, at, "eventName", "event_name", b::setEventName);
    if ((v = n.get("body")) != null && !v.isNull()) {
      b.setBody(anyValue(v, at + ".body"));
    }
    for (JsonNode kv : array(n.get("attributes"), at + ".attributes")) {
      b.addAttributes(keyValue(kv, at + ".attributes"));
    }
    if ((v = field(n, "flags", "flags")) != null) {
      b.setFlags((int) int64(v, at + ".flags"));
    }
    if ((v = field(n, "traceId", "trace_id")) != null) {
      b.setTraceId(hex(v, at + ".traceId"));
    }
    if ((v = field(n, "spanId", "span_id")) != null) {
      b.setSpanId(hex(v, at + ".spanId"));
    }
    return b.build();
  }

  private static KeyValue keyValue(JsonNode n, String at) {
    if (!n.isObject() || !n.has("key")) {
      throw new IllegalArgumentException(at + ": each attribute must be an object {\"key\": ..., \"value\": ...}");
    }
    KeyValue.Builder b = KeyValue.newBuilder().setKey(n.get("key").asText());
    JsonNode v = n.get("value");
    if (v != null && !v.isNull()) {
      b.setValue(anyValue(v, at + "." + n.get("key").asText()));
    }
    return b.build();
  }

  private static AnyValue anyValue(JsonNode n, String at) {
    if (!n.isObject()) {
      throw new IllegalArgumentException(at + " must be an AnyValue object like {\"stringValue\": \"...\"}");
    }
    AnyValue.Builder b = AnyValue.newBuilder();
    JsonNode v;
    if ((v = field(n, "stringValue", "string_value")) != null) {
      b.setStringValue(v.asText());
    } else if ((v = field(n, "boolValue", "bool_value")) != null) {
      b.setBoolValue(v.asBoolean());
    } else if ((v = field(n, "intValue", "int_value")) != null) {
      b.setIntValue(int64(v, at + ".intValue"));
    } else if ((v = field(n, "doubleValue", "double_value")) != null) {
      if (!v.isNumber() && !v.isTextual()) {
        throw new IllegalArgumentException(at + ".doubleValue must be a number");
      }
      b.setDoubleValue(v.isNumber() ? v.asDouble() : Double.parseDouble(v.asText()));
    } else if ((v = field(n, "bytesValue", "bytes_value")) != null) {
      try {
        b.setBytesValue(ByteString.copyFrom(Base64.getDecoder().decode(v.asText())));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ".bytesValue must be base64: " + e.getMessage());
      }
    } else if ((v = field(n, "arrayValue", "array_value")) != null) {
      ArrayValue.Builder a = b.getArrayValueBuilder();
      for (JsonNode e : array(v.get("values"), at + ".arrayValue.values")) {
        a.addValues(anyValue(e, at + ".arrayValue.values[]"));
      }
    } else if ((v = field(n, "kvlistValue", "kvlist_value")) != null) {
      KeyValueList.Builder l = b.getKvlistValueBuilder();
      for (JsonNode e : array(v.get("values"), at + ".kvlistValue.values")) {
        l.addValues(keyValue(e, at + ".kvlistValue.values"));
      }
    }
    return b.build();
  }

  private static JsonNode field(JsonNode n, String camel, String snake) {
    JsonNode v = n.get(camel);
    if (v == null) {
      v = n.get(snake);
    }
    return v == null || v.isNull() ? null : v;
  }

  private static void text(JsonNode n, String at, String camel, String snake,
      java.util.function.Consumer<String> set) {
    JsonNode v = field(n, camel, snake);
    if (v != null) {
      if (!v.isTextual()) {
        throw new IllegalArgumentException(at + "." + camel + " must be a string");
      }
      set.accept(v.asText());
    }
  }

  private static Iterable<JsonNode> array(JsonNode n, String at) {
    if (n == null || n.isNull()) {
      return java.util.List.of();
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException(at + " must be an array");
    }
    return n;
  }

  private static long int64(JsonNode v, String at) {
    if (v.isIntegralNumber()) {
      return v.asLong();
    }
    if (v.isTextual()) {
      try {
        return Long.parseUnsignedLong(v.asText());
      } catch (NumberFormatException e) {
        try {
          return Long.parseLong(v.asText());
        } catch (NumberFormatException e2) {
          throw new IllegalArgumentException(at + " must be an integer, got \"" + v.asText() + "\"");
        }
      }
    }
    throw new IllegalArgumentException(at + " must be an integer (number or decimal string)");
  }

  private static ByteString hex(JsonNode v, String at) {
    try {
      return ByteString.copyFrom(HexFormat.of().parseHex(v.asText()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(at + " must be a hex string (OTLP/JSON ids are hex, not base64)");
    }
  }
}
