package io.sluice.agent.parse;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.KeyValueList;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import java.util.Iterator;
import java.util.Map;

/**
 * One JSON object per event. {@code message}/{@code msg}/{@code log} becomes the body, {@code level}/{@code
 * severity} the severity, {@code time}/{@code timestamp}/{@code ts} the time; every other field an attribute with
 * its JSON type (objects as key-value lists). Not an object: body as is, {@code log.parse.error} set.
 */
public final class JsonParser implements Parser {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int MAX_DEPTH = 16;

  @Override
  public void parse(String text, LogRecord.Builder record) {
    JsonNode node;
    try {
      node = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      Fields.parseError(record, text, "not JSON: " + e.getOriginalMessage());
      return;
    }
    if (node == null || !node.isObject()) {
      Fields.parseError(record, text, "not a JSON object");
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> f = it.next();
      JsonNode v = f.getValue();
      if (v.isValueNode() && Fields.apply(f.getKey(), v.asText(), record)) continue;
      Fields.attribute(record, f.getKey(), toValue(v, 0));
    }
    if (!record.hasBody()) record.setBody(Values.of(""));
  }

  static AnyValue toValue(JsonNode v, int depth) {
    if (v.isTextual()) return Values.of(v.textValue());
    if (v.isBoolean()) return AnyValue.newBuilder().setBoolValue(v.booleanValue()).build();
    if (v.isIntegralNumber() && v.canConvertToLong()) return AnyValue.newBuilder().setIntValue(v.longValue()).build();
    if (v.isNumber()) return AnyValue.newBuilder().setDoubleValue(v.doubleValue()).build();
    if (v.isNull()) return AnyValue.getDefaultInstance();
    if (depth >= MAX_DEPTH) return Values.of(v.toString());
    if (v.isArray()) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (JsonNode e : v) a.addValues(toValue(e, depth + 1));
      return AnyValue.newBuilder().setArrayValue(a).build();
    }
    if (v.isObject()) {
      KeyValueList.Builder l = KeyValueList.newBuilder();
      for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext();) {
        Map.Entry<String, JsonNode> f = it.next();
        l.addValues(KeyValue.newBuilder().setKey(f.getKey()).setValue(toValue(f.getValue(), depth + 1)));
      }
      return AnyValue.newBuilder().setKvlistValue(l).build();
    }
    return Values.of(v.toString());
  }
}
