package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.backend.common.Severity;
import io.sluice.backend.search.OpenSearchConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;

/**
 * Search and histogram over the job's daily indices ({@code indexPrefix*}, the mapping of backend/search's
 * {@code opensearch/index-template.json}). Every query carries a filter on the caller's tenant. Newest first, with
 * {@code search_after} paging on (time, identity): a cursor is the last hit's sort values, base64url JSON. Blocks for
 * one HTTP call; the caller ({@link Engines}) bounds the wait. Thread-safe.
 */
final class OpenSearchLogs implements LogStore {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final OpenSearchConnection.Client client;
  private final String indexPrefix;
  private final long timeoutMs;

  OpenSearchLogs(List<String> urls, String indexPrefix, long timeoutMs) {
    this.client = new OpenSearchConnection(urls, null, null).open();
    this.indexPrefix = indexPrefix;
    this.timeoutMs = timeoutMs;
  }

  @Override
  public String engine() {
    return "opensearch";
  }

  @Override
  public Map<String, Object> search(LogQuery q) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("size", q.limit());
    body.put("track_total_hits", true);
    body.put("timeout", timeoutMs + "ms");
    body.set("query", query(q));
    ArrayNode sort = body.putArray("sort");
    sort.addObject().put("time_unix_nano", "desc");
    for (String f : List.of("identity.source", "identity.epoch", "identity.seq", "identity.idx")) {
      sort.addObject().put(f, "asc");
    }
    if (q.cursor() != null) {
      body.set("search_after", decodeCursor(q.cursor()));
    }
    JsonNode r = post(body);
    List<Map<String, Object>> hits = new ArrayList<>();
    JsonNode last = null;
    for (JsonNode hit : r.path("hits").path("hits")) {
      hits.add(LogLines.fromDocument(hit.path("_id").asText(), hit.path("_source")));
      last = hit.path("sort");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("total", r.path("hits").path("total").path("value").asLong(hits.size()));
    out.put("hits", hits);
    out.put("next", hits.size() == q.limit() && last != null ? encodeCursor(last) : null);
    return out;
  }

  @Override
  public Map<String, Object> histogram(LogQuery q, long from, long to, long intervalMs) throws Exception {
    ObjectNode body = JSON.createObjectNode();
    body.put("size", 0);
    body.put("track_total_hits", true);
    body.put("timeout", timeoutMs + "ms");
    body.set("query", query(new LogQuery(q.tenant(), q.text(), q.service(), q.severities(), from, to, q.traceId(),
        1, null)));
    ObjectNode hist = body.putObject("aggs").putObject("lines").putObject("date_histogram");
    hist.put("field", "@timestamp").put("fixed_interval", intervalMs + "ms").put("min_doc_count", 0)
        .put("format", "epoch_millis");
    hist.putObject("extended_bounds").put("min", from).put("max", to - 1);
    ((ObjectNode) body.path("aggs").path("lines")).putObject("aggs").putObject("severity").putObject("terms")
        .put("field", "severity").put("size", Severity.values().length);
    JsonNode r = post(body);
    List<Map<String, Object>> buckets = new ArrayList<>();
    for (JsonNode b : r.path("aggregations").path("lines").path("buckets")) {
      Map<String, Object> bucket = new LinkedHashMap<>();
      bucket.put("start", b.path("key").asLong());
      bucket.put("count", b.path("doc_count").asLong());
      Map<String, Long> bySeverity = new LinkedHashMap<>();
      for (JsonNode s : b.path("severity").path("buckets")) {
        bySeverity.put(s.path("key").asText(), s.path("doc_count").asLong());
      }
      bucket.put("bySeverity", bySeverity);
      buckets.add(bucket);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("from", from);
    out.put("to", to);
    out.put("intervalMs", intervalMs);
    out.put("total", r.path("hits").path("total").path("value").asLong());
    out.put("buckets", buckets);
    return out;
  }

  private JsonNode post(ObjectNode body) throws IOException {
    try (Response r = client.client().generic().execute(Requests.builder().method("POST")
        .endpoint("/" + indexPrefix + "*/_search").query(Map.of("allow_no_indices", "true",
            "ignore_unavailable", "true"))
        .json(JSON.writeValueAsString(body)).build())) {
      String text = r.getBody().map(b -> b.bodyAsString()).orElse("{}");
      if (r.getStatus() / 100 != 2) {
        throw new IOException("OpenSearch answered HTTP " + r.getStatus() + ": "
            + text.substring(0, Math.min(500, text.length())));
      }
      return JSON.readTree(text);
    }
  }

  private ObjectNode query(LogQuery q) {
    ObjectNode bool = JSON.createObjectNode();
    ArrayNode filter = bool.putArray("filter");
    filter.addObject().putObject("term").put("tenant", q.tenant());
    if (!q.service().isEmpty()) {
      filter.addObject().putObject("term").put("service", q.service());
    }
    if (!q.severities().isEmpty()) {
      ArrayNode values = filter.addObject().putObject("terms").putArray("severity");
      q.severities().forEach(s -> values.add(s.name()));
    }
    if (!q.traceId().isEmpty()) {
      filter.addObject().putObject("term").put("trace_id", q.traceId());
    }
    if (q.fromMillis() != null || q.toMillis() != null) {
      ObjectNode range = filter.addObject().putObject("range").putObject("@timestamp");
      range.put("format", "epoch_millis");
      if (q.fromMillis() != null) {
        range.put("gte", q.fromMillis());
      }
      if (q.toMillis() != null) {
        range.put("lt", q.toMillis());
      }
    }
    if (!q.text().isEmpty()) {
      // the words in the message or the exception's message, or the exact exception type or fingerprint
      ObjectNode should = bool.putObject("must").putObject("bool");
      ArrayNode any = should.putArray("should");
      ObjectNode mm = any.addObject().putObject("multi_match");
      mm.put("query", q.text()).put("operator", "and");
      mm.putArray("fields").add("body").add("exception.message");
      any.addObject().putObject("term").put("exception.type", q.text());
      any.addObject().putObject("term").put("fingerprint", q.text());
      should.put("minimum_should_match", 1);
    }
    ObjectNode query = JSON.createObjectNode();
    query.set("bool", bool);
    return query;
  }

  static String encodeCursor(JsonNode sortValues) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(sortValues.toString()
        .getBytes(StandardCharsets.UTF_8));
  }

  static JsonNode decodeCursor(String cursor) throws HttpError {
    try {
      JsonNode n = JSON.readTree(Base64.getUrlDecoder().decode(cursor));
      if (n.isArray() && n.size() == 5 && n.get(0).isIntegralNumber()) {
        return n;
      }
    } catch (IllegalArgumentException | IOException e) {
      // fall through
    }
    throw HttpError.badParameter("cursor", "not a cursor this service returned");
  }

  @Override
  public void close() throws Exception {
    client.close();
  }
}
