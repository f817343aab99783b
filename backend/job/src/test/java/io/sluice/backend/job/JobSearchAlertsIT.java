package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.alerts.AlertJson;
import io.sluice.backend.alerts.JdbcAlertRuleSource;
import io.sluice.backend.alerts.TestPostgres;
import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertEvaluator;
import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Severity;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import io.sluice.backend.search.LogDocuments;
import io.sluice.backend.search.LogSearch;
import io.sluice.backend.search.OpenSearchConnection;
import io.sluice.backend.search.TestOpenSearch;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.opensearch.client.opensearch.generic.Requests;

/**
 * Issue 7's other two outputs, on real engines in this JVM (failsafe execution "search-alerts": no Cassandra here,
 * its Lucene and OpenSearch's cannot share a JVM): collector-like records with resent batches in a KRaft broker
 * (2 partitions) → the production job through its CLI ({@code JobMain --bounded}) on the Flink runner [local],
 * parallelism 2, writing OpenSearch documents (a single-node OpenSearch 2.19 in this JVM) and alerts to a Kafka topic
 * by rules in PostgreSQL (a server process; the test skips when Debian's postgresql package is missing).
 *
 * <p>The records' event times lie within one minute, so each error fingerprint has exactly one first-seen time and
 * the 60 s error-rate rule exactly one window: the alerts the rules imply are computed from the truth with the same
 * {@link AlertEvaluator} and compared by id exactly.
 */
class JobSearchAlertsIT {
  private static final String TOPIC = "sluice.logs";
  private static final String ALERTS = "sluice.alerts";
  private static final long START = Instant.parse("2026-11-23T10:00:00Z").toEpochMilli();
  private static final long SPAN = 50_000L; // all in [10:00:00, 10:01:00)
  private static final int DISTINCT = Integer.getInteger("sluice.it.records", 6_000);
  private static final String PREFIX = LogDocuments.DEFAULT_INDEX_PREFIX;

  private static TestOpenSearch node;
  private static OpenSearchConnection.Client client;
  private static TestRecords.Generated generated;
  private static List<LogEvent> truth;
  private static List<AlertRule> rules;
  private static String hotService; // tenant/service, the only one above the error-rate threshold
  private static int jobExit;
  private static String jobErr;

  @BeforeAll
  static void runTheJob() throws Exception {
    String rulesUrl = TestPostgres.get().newDatabase(); // first: skips the class before any engine starts
    generated = TestRecords.generate(43, DISTINCT, 100, START, SPAN, DISTINCT / 500, TOPIC);
    assertThat(generated.records()).as("the input carries duplicates").hasSizeGreaterThan(DISTINCT);
    truth = Truth.distinctEvents(generated.records());
    assertThat(truth).hasSize(DISTINCT);

    JdbcAlertRuleSource source = new JdbcAlertRuleSource(rulesUrl, "sluice", null);
    source.createSchema();
    rules = List.of(
        new AlertRule("new-errors", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0),
        new AlertRule("error-rate", AlertRule.ERROR_RATE, "*", "*", 60, thresholdAboveExactlyOneService(), 100));
    for (AlertRule rule : rules) {
      source.add(rule, false);
    }

    TestKafka kafka = TestKafka.shared();
    kafka.createTopic(TOPIC, 2);
    kafka.createTopic(ALERTS, 2);
    kafka.produce(generated.records());
    String openSearch = startOpenSearch();

    List<String> args = List.of(
        "--bootstrap-servers=" + kafka.bootstrapServers(), "--topics=" + TOPIC, "--bounded",
        "--opensearch=" + openSearch, "--opensearch-replicas=0",
        "--alerts-topic=" + ALERTS, "--rules-url=" + rulesUrl, "--rules-user=sluice",
        "--flinkMaster=[local]", "--parallelism=2");
    StringWriter err = new StringWriter();
    long t0 = System.nanoTime();
    jobExit = JobMain.commandLine().setErr(new PrintWriter(err, true)).execute(args.toArray(String[]::new));
    double seconds = (System.nanoTime() - t0) / 1e9;
    jobErr = err.toString();
    System.out.printf(
        "job (OpenSearch + Kafka alerts) on Flink [local] p=2, bounded: %d Kafka records (%d distinct) in %.1f s"
            + " = %.0f records/s%n",
        generated.records().size(), DISTINCT, seconds, generated.records().size() / seconds);
    client.client().generic().execute(Requests.builder().method("POST").endpoint("/" + PREFIX + "*/_refresh").build())
        .close();
  }

  /**
   * Halfway between the highest and the second-highest error rate of any tenant/service in the input, so the
   * error-rate rule fires for exactly one of them.
   */
  private static double thresholdAboveExactlyOneService() {
    Map<String, long[]> counts = new TreeMap<>();
    for (LogEvent e : truth) {
      long[] c = counts.computeIfAbsent(e.tenant() + "/" + e.service(), k -> new long[2]);
      c[0] += e.severity().isError() ? 1 : 0;
      c[1]++;
    }
    List<Map.Entry<String, Double>> rates = counts.entrySet().stream()
        .map(en -> Map.entry(en.getKey(), (double) en.getValue()[0] / en.getValue()[1]))
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .toList();
    assertThat(rates.get(0).getValue()).as("the test needs one tenant/service with the highest error rate: " + rates)
        .isGreaterThan(rates.get(1).getValue());
    hotService = rates.get(0).getKey();
    return (rates.get(0).getValue() + rates.get(1).getValue()) / 2;
  }

  private static String startOpenSearch() throws Exception {
    node = TestOpenSearch.start("sluice-job-");
    client = OpenSearchConnection.of(node.url()).open();
    return node.url();
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
  void oneDocumentPerDistinctRecordDuplicatesCollapsedByIdentity() throws Exception {
    assertThat(jobExit).as(jobErr).isZero();
    assertThat(client.client().count(c -> c.index(PREFIX + "*")).count()).isEqualTo(DISTINCT);
  }

  @Test
  void logSearchFindsExactlyTheTruthsEventsForAServiceAndSeverity() throws Exception {
    assertThat(jobExit).as(jobErr).isZero();
    String service = "payments";
    List<String> want = truth.stream()
        .filter(e -> e.service().equals(service) && e.severity() == Severity.ERROR)
        .map(e -> e.identity().key())
        .sorted()
        .toList();
    assertThat(want).isNotEmpty();
    // every ERROR body is "payment for order N failed": the text narrows nothing the truth does not
    assertThat(truth).filteredOn(e -> e.severity() == Severity.ERROR)
        .allSatisfy(e -> assertThat(e.body()).contains("payment").contains("failed"));

    LogSearch.Result result = new LogSearch(client.client(), PREFIX)
        .search(
            new LogSearch.Query("payment failed", service, Set.of(Severity.ERROR), null, null, LogSearch.MAX_LIMIT));

    assertThat(result.total()).isEqualTo(want.size());
    assertThat(result.hits().stream().map(LogSearch.Found::id).sorted().toList()).isEqualTo(want);
  }

  @Test
  void theAlertsTopicHoldsExactlyTheAlertsTheRulesImply() throws Exception {
    assertThat(jobExit).as(jobErr).isZero();
    List<String> expected = new ArrayList<>();
    Map<String, ErrorFingerprint> first = new TreeMap<>();
    Map<String, long[]> rates = new TreeMap<>();
    for (LogEvent e : truth) {
      if (!e.fingerprint().isEmpty()) {
        first.merge(e.tenant() + "/" + e.service() + "/" + e.fingerprint(), ErrorFingerprint.of(e),
            (a, b) -> a.firstSeenMillis() <= b.firstSeenMillis() ? a : b);
      }
      long[] c = rates.computeIfAbsent(e.tenant() + "/" + e.service(), k -> new long[2]);
      c[0] += e.severity().isError() ? 1 : 0;
      c[1]++;
    }
    first.values().forEach(f -> AlertEvaluator.newFingerprint(rules, f).forEach(a -> expected.add(a.id())));
    long windowEnd = START + 60_000L; // the one 60 s window [10:00, 10:01)
    List<String> rateAlerts = new ArrayList<>();
    rates.forEach((key, c) -> {
      String[] ts = key.split("/");
      AlertEvaluator.errorRate(rules, ts[0], ts[1], 60, windowEnd, c[0], c[1]).forEach(a -> rateAlerts.add(a.id()));
    });
    String[] hot = hotService.split("/");
    assertThat(rateAlerts).containsExactly(String.join("|", "error-rate", hot[0], hot[1], hot[1], "" + windowEnd));
    expected.addAll(rateAlerts);
    assertThat(first).as("the input has error fingerprints").isNotEmpty();

    List<Alert> got = readAll(ALERTS);
    assertThat(got.stream().map(Alert::id).sorted().toList()).isEqualTo(expected.stream().sorted().toList());
    assertThat(got).filteredOn(a -> a.kind().equals(AlertRule.NEW_FINGERPRINT)).hasSize(first.size());
    assertThat(got).filteredOn(a -> a.kind().equals(AlertRule.ERROR_RATE)).singleElement()
        .satisfies(a -> assertThat(a.tenant() + "/" + a.service()).isEqualTo(hotService));
  }

  /** Every record in {@code topic} now (the job has finished), decoded; each record's key must be its alert's id. */
  private static List<Alert> readAll(String topic) throws Exception {
    List<Alert> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.shared().bootstrapServers()),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("reading " + topic + " to its end offsets " + end).isLessThan(deadline);
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Alert a = AlertJson.decode(r.value());
          assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(a.id());
          out.add(a);
        }
      }
    }
    return out;
  }
}
