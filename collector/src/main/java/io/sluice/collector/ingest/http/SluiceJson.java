package io.sluice.collector.ingest.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.KeyValueList;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes the body of {@code POST /v1/sluice/logs} ({@code LogRequest} in openapi.yaml) into one
 * {@link RequestIngest.Part}. JSON values map to AnyValue: strings, booleans, integers, doubles, arrays and objects
 * (key-value lists). Every error is a {@link BadField} naming the JSON path. Stateless; input bounded by the caller.
 */
final class SluiceJson {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> REQUEST_FIELDS = Set.of("resource", "records");
  private static final Set<String> RECORD_FIELDS = Set.of("timeUnixNano", "severityNumber", "severityText", "body",
      "attributes", "traceId", "spanId", "logger", "threadName");

  private SluiceJson() {}

  /** A field is wrong: answer 400 naming it. */
  static final class BadField extends Exception {
    final String field;

    BadField(String field, String message) {
      super(field + ": " + message);
      this.field = field;
    }
  }

  static RequestIngest.Part parse(byte[] body, long nowNanos) throws BadField {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadField("$", "the body is not JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new BadField("$", "the body cannot be read: " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new BadField("$", "must be an object {\"resource\": {...}, \"records\": [...]}");
    }
    unknown(root, REQUEST_FIELDS, "");
    Map<String, AnyValue> resource = new LinkedHashMap<>();
    JsonNode res = root.get("resource");
    if (res != null) {
      if (!res.isObject()) {
        throw new BadField("resource", "must be an object of attributes");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = res.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        resource.put(e.getKey(), value(e.getValue(), "resource." + e.getKey()));
      }
    }
    JsonNode records = root.get("records");
    if (records == null || !records.isArray() || records.isEmpty()) {
      throw new BadField("records", "must be a non-empty array of records");
    }
    List<LogRecord> out = new ArrayList<>(records.size());
    for (int i = 0; i < records.size(); i++) {
      out.add(record(records.get(i), "records[" + i + "]", nowNanos));
    }
    return new RequestIngest.Part(resource, out);
  }

  private static LogRecord record(JsonNode n, String at, long nowNanos) throws BadField {
    if (!n.isObject()) {
      throw new BadField(at, "must be an object");
    }
    unknown(n, RECORD_FIELDS, at + ".");
    LogRecord.Builder b = LogRecord.newBuilder().setObservedTimeUnixNano(nowNanos).setTimeUnixNano(nowNanos);
    JsonNode v;
    if ((v = n.get("timeUnixNano")) != null) {
      if (v.isIntegralNumber() && v.asLong() >= 0) {
        b.setTimeUnixNano(v.asLong());
      } else if (v.isTextual() && v.asText().matches("[0-9]{1,20}")) {
        b.setTimeUnixNano(Long.parseUnsignedLong(v.asText()));
      } else {
        throw new BadField(at + ".timeUnixNano", "must be nanoseconds since the epoch, a number or decimal string");
      }
    }
    if ((v = n.get("severityNumber")) != null) {
      if (!v.isIntegralNumber() || v.asInt() < 0 || v.asInt() > 24) {
        throw new BadField(at + ".severityNumber", "must be an integer 0..24 (9 = INFO, 13 = WARN, 17 = ERROR)");
      }
      b.setSeverityNumberValue(v.asInt());
    }
    b.setSeverityText(text(n, "severityText", at));
    b.setLogger(text(n, "logger", at));
    b.setThreadName(text(n, "threadName", at));
    if ((v = n.get("body")) != null) {
      b.setBody(value(v, at + ".body"));
    }
    if ((v = n.get("attributes")) != null) {
      if (!v.isObject()) {
        throw new BadField(at + ".attributes", "must be an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        b.addAttributes(KeyValue.newBuilder().setKey(e.getKey())
            .setValue(value(e.getValue(), at + ".attributes." + e.getKey())));
      }
    }
    b.setTraceId(hex(n, "traceId", at, 16));
    b.setSpanId(hex(n, "spanId", at, 8));
    return b.build();
  }

  private static void unknown(JsonNode n, Set<String> known, String at) throws BadField {
    for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new BadField(at + f, "unknown field; known fields are " + new java.util.TreeSet<>(known));
      }
    }
  }

  private static String text(JsonNode n, String field, String at) throws BadField {
    JsonNode v = n.get(field);
    if (v == null) {
      return "";
    }
    if (!v.isTextual()) {
      throw new BadField(at + "." + field, "must be a string");
    }
    return v.asText();
  }

  private static ByteString hex(JsonNode n, String field, String at, int bytes) throws BadField {
    JsonNode v = n.get(field);
    if (v == null) {
      return ByteString.EMPTY;
    }
    String s = v.asText();
    if (!v.isTextual() || s.length() != 2 * bytes) {
      throw new BadField(at + "." + field, "must be " + 2 * bytes + " hex digits");
    }
    try {
      return ByteString.copyFrom(HexFormat.of().parseHex(s));
    } catch (IllegalArgumentException e) {
      throw new BadField(at + "." + field, "must be " + 2 * bytes + " hex digits");
    }
  }

  static AnyValue value(JsonNode v, String at) throws BadField {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v.isTextual()) {
      b.setStringValue(v.asText());
    } else if (v.isBoolean()) {
      b.setBoolValue(v.asBoolean());
    } else if (v.isIntegralNumber() && v.canConvertToLong()) {
      b.setIntValue(v.asLong());
    } else if (v.isNumber()) {
      b.setDoubleValue(v.asDouble());
    } else if (v.isArray()) {
      ArrayValue.Builder a = b.getArrayValueBuilder();
      for (int i = 0; i < v.size(); i++) {
        a.addValues(value(v.get(i), at + "[" + i + "]"));
      }
    } else if (v.isObject()) {
      KeyValueList.Builder l = b.getKvlistValueBuilder();
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> e = it.next();
        l.addValues(KeyValue.newBuilder().setKey(e.getKey()).setValue(value(e.getValue(), at + "." + e.getKey())));
      }
    } else {
      throw new BadField(at, "must not be null");
    }
    return b.build();
  }
}
