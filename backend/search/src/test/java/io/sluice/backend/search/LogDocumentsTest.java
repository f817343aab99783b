package io.sluice.backend.search;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.TestRecords;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogDocumentsTest {
  @Test
  void documentIsKeyedByIdentityAndFiledUnderTheUtcDayOfItsEventTime() throws Exception {
    long t = Instant.parse("2026-11-23T23:59:59.900Z").toEpochMilli();
    LogEvent e = LogEvents.decode(TestRecords.generate(1, 1, 1, t, 1, 0, "logs").records().get(0)).get(0);
    assertThat(LogDocuments.id(e)).isEqualTo(e.identity().key());
    assertThat(LogDocuments.index("sluice-logs-", e)).isEqualTo("sluice-logs-2026.11.23");
    Map<String, Object> doc = LogDocuments.document(e);
    assertThat(doc).containsEntry("@timestamp", e.timeMillis()).containsEntry("service", e.service())
        .containsEntry("severity", e.severity().name()).containsEntry("body", e.body());
    assertThat(IndexTemplate.json()).contains("\"flat_object\"", "\"sluice-logs-*\"");
  }

  @Test
  void cliHelpAndBadUrl() {
    StringWriter out = new StringWriter();
    assertThat(SearchMain.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true), "--help"))
        .isZero();
    assertThat(out.toString()).contains("install-template", "search", "--url");
    StringWriter err = new StringWriter();
    assertThat(SearchMain.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        "--url", "opensearch:9200", "search")).isEqualTo(2);
    assertThat(err.toString()).contains("--url: OpenSearch URL 'opensearch:9200' needs a scheme, host and port");
  }
}
