package io.sluice.backend.streaming.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The aggregates dashboard against the schema the job applies, and the checker against the ways a careless edit
 * breaks a dashboard (each mutation below must be caught). backend/streaming's StreamingFlinkIT runs every query on
 * a real Cassandra node over the job's output.
 */
class GrafanaDashboardTest {
  @Test
  void everyQueryReadsWhatTheJobWritesThroughTheTemplatedDatasource() throws Exception {
    GrafanaDashboard dashboard = GrafanaDashboard.load();
    assertThat(dashboard.problems()).isEmpty();
    assertThat(dashboard.queries()).extracting(GrafanaDashboard.Query::cql)
        .anyMatch(q -> q.contains(".minute_counts")).anyMatch(q -> q.contains(".error_fingerprints"))
        .anyMatch(q -> q.contains(".fingerprint_minutes"));
    assertThat(GrafanaDashboard.schema()).containsKeys("minute_counts", "error_fingerprints", "fingerprint_minutes");
  }

  @Test
  void theCheckerCatchesWhatACarelessEditBreaks() throws Exception {
    // what the edit is → the edit, and a word the problem must name
    Map<String, UnaryOperator<String>> edits = Map.of(
        "uid 'P1809F7CD0C75ACF3'", j -> j.replace("\"uid\": \"${cassandra}\"", "\"uid\": \"P1809F7CD0C75ACF3\""),
        "minute_count is not one the job writes", j -> j.replace(".minute_counts WHERE", ".minute_count WHERE"),
        "column record is not in minute_counts",
        j -> j.replace("SELECT severity, records,", "SELECT severity, record,"),
        "must restrict the whole partition key", j -> j.replace(" AND day IN (todate((timestamp)$__timeFrom), "
            + "todate((timestamp)$__timeTo))", ""),
        "WHERE on records, a regular column", j -> j.replace("AND minute >= $__timeFrom", "AND records >= 1"),
        "$team, which is not defined",
        j -> j.replace("${tenant:singlequote} AND service", "${team:singlequote} AND service"),
        "no FROM ${keyspace}", j -> j.replace("${keyspace}.fingerprint_minutes", "sluice.fingerprint_minutes"),
        "ALLOW FILTERING scans", j -> j.replace("minute <= $__timeTo\"", "minute <= $__timeTo ALLOW FILTERING\""));
    String original = Files.readString(GrafanaDashboard.FILE);
    edits.forEach((what, edit) -> {
      String broken = edit.apply(original);
      assertThat(broken).as(what + ": the edit applies").isNotEqualTo(original);
      assertThat(problems(broken)).as(what).anyMatch(p -> p.contains(what));
    });
  }

  @Test
  void variablesRenderTheWayGrafanaFillsThem() {
    String cql = "SELECT a FROM ${keyspace}.t WHERE x = ${tenant:singlequote} AND f IN (${fingerprint:singlequote})"
        + " AND day IN ('${__from:date:YYYY-MM-DD}', '${__to:date:YYYY-MM-DD}')"
        + " AND m >= $__timeFrom AND m <= $__timeTo";
    String rendered = GrafanaDashboard.render(cql,
        Map.of("keyspace", List.of("ks"), "tenant", List.of("o'neil"), "fingerprint", List.of("a1", "b2")),
        Instant.parse("2026-01-05T23:30:00Z"), Instant.parse("2026-01-06T00:30:00Z"));
    assertThat(rendered).isEqualTo("SELECT a FROM ks.t WHERE x = 'o''neil' AND f IN ('a1', 'b2')"
        + " AND day IN ('2026-01-05', '2026-01-06') AND m >= 1767655800000 AND m <= 1767659400000");
  }

  private static List<String> problems(String json) {
    try {
      JsonNode root = new ObjectMapper().readTree(json);
      assertThat(root).isInstanceOf(ObjectNode.class);
      return new GrafanaDashboard(root).problems();
    } catch (Exception e) {
      return List.of("unreadable: " + e.getMessage());
    }
  }
}
