package io.sluice.backend.search;

import io.sluice.backend.common.Severity;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.opensearch.client.json.JsonData;
import org.opensearch.client.opensearch.OpenSearchClient;
import org.opensearch.client.opensearch._types.FieldValue;
import org.opensearch.client.opensearch._types.SortOrder;
import org.opensearch.client.opensearch._types.query_dsl.BoolQuery;
import org.opensearch.client.opensearch._types.query_dsl.Operator;
import org.opensearch.client.opensearch.core.SearchResponse;
import org.opensearch.client.opensearch.core.search.Hit;

/**
 * Finds log events in the daily indices: full text on the message (every word must match), exact service and
 * severities, and an event-time range; oldest first. Thread-safe (the client is); blocks for one search.
 */
public final class LogSearch {
  /** At most this many hits per query (OpenSearch's default max_result_window). */
  public static final int MAX_LIMIT = 10_000;

  private final OpenSearchClient client;
  private final String indexPrefix;

  public LogSearch(OpenSearchClient client, String indexPrefix) {
    this.client = client;
    this.indexPrefix = indexPrefix;
  }

  /**
   * What to look for; null or empty parts do not restrict.
   *
   * @param text words that must all occur in the message body, e.g. {@code order 1234}
   * @param service exact service name
   * @param severities any of these severity ranges
   * @param fromMillis event time, inclusive (epoch ms)
   * @param toMillis event time, exclusive (epoch ms)
   * @param limit 1..{@link #MAX_LIMIT}
   */
  public record Query(
      String text, String service, Set<Severity> severities, Long fromMillis, Long toMillis, int limit) {
    public Query {
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new IllegalArgumentException("limit is " + limit + "; use 1.." + MAX_LIMIT);
      }
      if (fromMillis != null && toMillis != null && toMillis < fromMillis) {
        throw new IllegalArgumentException("time range ends (" + toMillis + ") before it starts (" + fromMillis
            + "); swap from and to");
      }
    }
  }

  /** One matching event. */
  public record Found(String index, String id, long timeUnixNano, String tenant, String service, String severity,
      String body) {}

  /** The matches (up to the limit) and how many there are in total. */
  public record Result(long total, List<Found> hits) {}

  @SuppressWarnings("rawtypes")
  public Result search(Query q) throws IOException {
    BoolQuery.Builder bool = new BoolQuery.Builder();
    if (q.text() != null && !q.text().isBlank()) {
      bool.must(m -> m.match(mq -> mq.field("body").query(FieldValue.of(q.text())).operator(Operator.And)));
    }
    if (q.service() != null && !q.service().isEmpty()) {
      bool.filter(f -> f.term(t -> t.field("service").value(FieldValue.of(q.service()))));
    }
    if (q.severities() != null && !q.severities().isEmpty()) {
      List<FieldValue> values = q.severities().stream().map(s -> FieldValue.of(s.name())).toList();
      bool.filter(f -> f.terms(t -> t.field("severity").terms(v -> v.value(values))));
    }
    if (q.fromMillis() != null || q.toMillis() != null) {
      bool.filter(f -> f.range(r -> {
        r.field("@timestamp").format("epoch_millis");
        if (q.fromMillis() != null) {
          r.gte(JsonData.of(q.fromMillis()));
        }
        if (q.toMillis() != null) {
          r.lt(JsonData.of(q.toMillis()));
        }
        return r;
      }));
    }
    BoolQuery query = bool.build();
    SearchResponse<Map> response = client.search(s -> s
        .index(indexPrefix + "*")
        .query(qb -> qb.bool(query))
        .size(q.limit())
        .trackTotalHits(t -> t.enabled(true))
        .sort(so -> so.field(f -> f.field("time_unix_nano").order(SortOrder.Asc))),
        Map.class);
    List<Found> found = new ArrayList<>();
    for (Hit<Map> hit : response.hits().hits()) {
      Map src = hit.source();
      found.add(new Found(hit.index(), hit.id(), ((Number) src.get("time_unix_nano")).longValue(),
          (String) src.get("tenant"), (String) src.get("service"), (String) src.get("severity"),
          (String) src.get("body")));
    }
    long total = response.hits().total() == null ? found.size() : response.hits().total().value();
    return new Result(total, found);
  }
}
