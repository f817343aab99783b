package io.sluice.backend.search;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.backend.common.LogEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a {@link LogEvent} becomes an OpenSearch document (the fields of {@code opensearch/index-template.json}) and
 * which daily index it goes to. Stateless and thread-safe.
 */
public final class LogDocuments {
  public static final String DEFAULT_INDEX_PREFIX = "sluice-logs-";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyy.MM.dd").withZone(ZoneOffset.UTC);

  private LogDocuments() {}

  /** The document id: the record identity, so a replayed event overwrites itself instead of adding a copy. */
  public static String id(LogEvent e) {
    return e.identity().key();
  }

  /** {@code prefix + yyyy.MM.dd} of the event time in UTC, e.g. {@code sluice-logs-2026.11.24}. */
  public static String index(String prefix, LogEvent e) {
    return prefix + DAY.format(Instant.ofEpochMilli(e.timeMillis()));
  }

  private static List<?> chain(String json) {
    try {
      return JSON.readValue(json, List.class);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("ExceptionChains wrote invalid JSON: " + ex.getOriginalMessage(), ex);
    }
  }

  public static Map<String, Object> document(LogEvent e) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("@timestamp", e.timeMillis());
    d.put("time_unix_nano", e.timeUnixNano());
    d.put("tenant", e.tenant());
    d.put("service", e.service());
    d.put("host", e.host());
    d.put("severity", e.severity().name());
    d.put("severity_text", e.severityText());
    d.put("body", e.body());
    d.put("message_template", e.messageTemplate());
    d.put("logger", e.logger());
    d.put("thread", e.thread());
    d.put("trace_id", e.traceId());
    d.put("span_id", e.spanId());
    if (!e.exceptionType().isEmpty()) {
      Map<String, Object> ex = new LinkedHashMap<>();
      ex.put("type", e.exceptionType());
      ex.put("message", e.exceptionMessage());
      ex.put("top_frame", e.topFrame());
      if (!e.exceptionChain().isEmpty()) {
        // stored, not indexed (mapping "enabled": false): what the query UI renders as frames with causes
        ex.put("chain", chain(e.exceptionChain()));
      }
      d.put("exception", ex);
    }
    d.put("fingerprint", e.fingerprint());
    d.put("attributes", e.attributes());
    Map<String, Object> identity = new LinkedHashMap<>();
    identity.put("source", e.identity().source());
    identity.put("epoch", e.identity().epoch());
    identity.put("seq", e.identity().seq());
    identity.put("idx", e.identity().idx());
    d.put("identity", identity);
    d.put("topic", e.topic());
    d.put("size_bytes", e.sizeBytes());
    return d;
  }
}
