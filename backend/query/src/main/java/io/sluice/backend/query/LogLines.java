package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.backend.common.LogEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One log line as the API returns it (schema {@code LogLine} in openapi.json), from an OpenSearch document or from
 * a decoded Kafka record (live tail). The exception carries its chain (outermost first, then its causes, each with
 * frames) when the record had a structured one; documents indexed before the chain was stored carry the top frame
 * only. Stateless.
 */
final class LogLines {
  private static final ObjectMapper JSON = new ObjectMapper();

  private LogLines() {}

  static Map<String, Object> fromDocument(String id, JsonNode s) {
    Map<String, Object> line = new LinkedHashMap<>();
    long nanos = s.path("time_unix_nano").asLong();
    line.put("id", id);
    line.put("time", Instant.ofEpochSecond(0, nanos).toString());
    line.put("timeUnixNano", nanos);
    line.put("service", s.path("service").asText(""));
    line.put("host", s.path("host").asText(""));
    line.put("severity", s.path("severity").asText(""));
    line.put("severityText", s.path("severity_text").asText(""));
    line.put("body", s.path("body").asText(""));
    line.put("logger", s.path("logger").asText(""));
    line.put("thread", s.path("thread").asText(""));
    line.put("traceId", s.path("trace_id").asText(""));
    line.put("spanId", s.path("span_id").asText(""));
    line.put("fingerprint", s.path("fingerprint").asText(""));
    Map<String, String> attributes = new LinkedHashMap<>();
    s.path("attributes").fields().forEachRemaining(e -> attributes.put(e.getKey(), e.getValue().asText()));
    line.put("attributes", attributes);
    JsonNode ex = s.path("exception");
    if (ex.isObject()) {
      List<Object> chain;
      if (ex.path("chain").isArray()) {
        chain = JSON.convertValue(ex.path("chain"), List.class);
      } else {
        chain = new ArrayList<>();
        chain.add(entry(ex.path("type").asText(""), ex.path("message").asText(""),
            ex.path("top_frame").asText("")));
      }
      line.put("exception", exception(ex.path("type").asText(""), ex.path("message").asText(""), chain));
    }
    return line;
  }

  static Map<String, Object> fromEvent(LogEvent e) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("id", e.identity().key());
    line.put("time", e.time().toString());
    line.put("timeUnixNano", e.timeUnixNano());
    line.put("service", e.service());
    line.put("host", e.host());
    line.put("severity", e.severity().name());
    line.put("severityText", e.severityText());
    line.put("body", e.body());
    line.put("logger", e.logger());
    line.put("thread", e.thread());
    line.put("traceId", e.traceId());
    line.put("spanId", e.spanId());
    line.put("fingerprint", e.fingerprint());
    line.put("attributes", e.attributes());
    if (!e.exceptionType().isEmpty()) {
      List<Object> chain;
      if (!e.exceptionChain().isEmpty()) {
        try {
          chain = JSON.readValue(e.exceptionChain(), List.class);
        } catch (java.io.IOException ex) {
          throw new IllegalStateException(ex);
        }
      } else {
        chain = new ArrayList<>(List.of(entry(e.exceptionType(), e.exceptionMessage(), e.topFrame())));
      }
      line.put("exception", exception(e.exceptionType(), e.exceptionMessage(), chain));
    }
    return line;
  }

  private static Map<String, Object> entry(String type, String message, String topFrame) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("message", message);
    m.put("frames", topFrame.isEmpty() ? List.of() : List.of(topFrame));
    m.put("omitted", 0);
    return m;
  }

  private static Map<String, Object> exception(String type, String message, List<Object> chain) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("message", message);
    m.put("chain", chain);
    return m;
  }
}
