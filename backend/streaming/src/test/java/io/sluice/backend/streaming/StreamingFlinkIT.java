package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.streaming.cassandra.CassandraAggregateSink;
import io.sluice.backend.streaming.cassandra.CassandraFingerprintSink;
import io.sluice.backend.streaming.cassandra.CassandraSchema;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import io.sluice.backend.streaming.cassandra.GrafanaDashboard;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on real engines in this JVM: a KRaft Kafka broker holding collector-like records (with resent batches)
 * → the streaming job on the Flink runner ([local], parallelism 2) → a real Cassandra node. The per-minute counts in
 * Cassandra must equal the distinct records exactly, and fingerprints' first-seen times must be the earliest.
 */
class StreamingFlinkIT {
  private static final String TOPIC = "sluice.logs";
  private static final long START = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
  private static final int DISTINCT = Integer.getInteger("sluice.it.records", 20_000);

  private static TestKafka kafka;
  private static CassandraSettings cassandra;
  private static TestRecords.Generated generated;
  private static PipelineResult result;
  private static long elapsedNanos;

  @BeforeAll
  static void runJobOnFlink() throws Exception {
    kafka = TestKafka.shared(); // this JVM's broker (StreamingKafkaReadIT's too), closed when the JVM exits
    EmbeddedCassandra node = EmbeddedCassandra.get();
    cassandra = new CassandraSettings(List.of(node.contactPoint()), EmbeddedCassandra.DATACENTER, "sluice_it");
    try (CqlSession session = cassandra.connect()) {
      CassandraSchema.apply(session, cassandra.keyspace(), "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    }
    kafka.createTopic(TOPIC, 1); // one partition: a maxNumRecords read splits the count evenly over partitions and waits for a share a smaller partition never fills
    // the collector's default Kafka record format (batch): resent batches de-duplicate per line
    generated = TestRecords.generate(23, DISTINCT, 50, START, 10 * 60_000L, DISTINCT / 500, TOPIC, 1,
        io.sluice.wire.kafka.KafkaFormat.BATCH);
    kafka.produce(generated.records());

    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setStreaming(true);
    Pipeline p = Pipeline.create(options);
    // KafkaIO's bounded read (withMaxNumRecords) always uses its legacy reader, which calls Consumer.poll(long),
    // gone in kafka-clients 4.x (the read stalled here): this test reads the topic with a plain 4.4 consumer and runs
    // the rest of the job on Flink. The unbounded KafkaIO read the job uses is not covered by a test yet.
    List<io.sluice.backend.common.RawRecord> fromKafka = kafka.consumeAll(TOPIC, generated.records().size());
    StreamingConfig config = StreamingConfig.builder().dedupTtl(java.time.Duration.ofMinutes(1)).build();
    StreamingPipeline.expand(
        p.apply(org.apache.beam.sdk.transforms.Create.of(fromKafka).withCoder(RawRecordCoder.of())),
        config,
        StreamingSinks.builder()
            .aggregates(CassandraAggregateSink.factory(cassandra))
            .fingerprints(CassandraFingerprintSink.factory(cassandra))
            .build());
    long t0 = System.nanoTime();
    result = p.run();
    result.waitUntilFinish();
    elapsedNanos = System.nanoTime() - t0;
    System.out.printf(
        "streaming job on Flink [local] p=2: %d Kafka records (%d distinct) in %.1f s = %.0f records/s%n",
        generated.records().size(), generated.distinct(), elapsedNanos / 1e9,
        generated.records().size() / (elapsedNanos / 1e9));
  }

  @Test
  void cassandraMinuteCountsEqualTheDistinctRecordsExactly() {
    assertThat(result.getState()).isEqualTo(PipelineResult.State.DONE);
    assertThat(minuteCounts()).isEqualTo(new Truth(generated.records()).minuteCounts());
  }

  @Test
  void fingerprintsKeepTheEarliestFirstSeenTime() {
    Truth truth = new Truth(generated.records());
    Map<String, Long> firstSeen = new TreeMap<>();
    Map<String, Long> perMinute = new TreeMap<>();
    try (CqlSession session = cassandra.connect()) {
      for (Row r : session
          .execute("SELECT tenant, service, fingerprint, first_seen FROM sluice_it.error_fingerprints")) {
        firstSeen.put(key(r, "fingerprint"), r.getInstant("first_seen").toEpochMilli());
      }
      for (Row r : session
          .execute("SELECT tenant, service, fingerprint, minute, occurrences FROM sluice_it.fingerprint_minutes")) {
        perMinute.put(key(r, "fingerprint") + "|" + r.getInstant("minute").toEpochMilli(), r.getLong("occurrences"));
      }
    }
    assertThat(firstSeen).isNotEmpty().isEqualTo(truth.firstSeen());
    assertThat(perMinute).isEqualTo(truth.fingerprintMinutes());
  }

  @Test
  void writingTheSameOutputsAgainChangesNothing() throws Exception {
    Map<String, List<Long>> before = minuteCounts();
    List<MinuteAggregate> replay = new ArrayList<>();
    before.forEach(
        (k, v) -> {
          String[] p = k.split("\\|");
          replay.add(
              new MinuteAggregate(
                  p[0], p[1], io.sluice.backend.common.Severity.valueOf(p[2]), Long.parseLong(p[3]), v.get(0),
                  v.get(1)));
        });
    try (Sink<MinuteAggregate> sink = CassandraAggregateSink.factory(cassandra).open()) {
      sink.write(replay);
    }
    Map.Entry<String, Long> anyFingerprint = new Truth(generated.records()).firstSeen().entrySet().iterator().next();
    String[] f = anyFingerprint.getKey().split("\\|");
    try (Sink<ErrorFingerprint> sink = CassandraFingerprintSink.factory(cassandra).open()) {
      // a later occurrence replayed must not move first_seen
      sink.write(List
          .of(new ErrorFingerprint(f[0], f[1], f[2], "X", "t", "m", "e", anyFingerprint.getValue() + 3_600_000L, 1)));
    }
    assertThat(minuteCounts()).isEqualTo(before);
    try (CqlSession session = cassandra.connect()) {
      Row r = session.execute(
          "SELECT first_seen FROM sluice_it.error_fingerprints WHERE tenant = ? AND service = ? AND fingerprint = ?",
          f[0], f[1], f[2]).one();
      assertThat(r.getInstant("first_seen").toEpochMilli()).isEqualTo(anyFingerprint.getValue());
    }
  }

  /**
   * Every query of the Grafana dashboard runs on this node as Grafana would send it (variables filled in, the panel's
   * time range around the data) and shows the truth: the variables list the tenants, services and fingerprints
   * written, the per-minute panels sum to the exact counts and bytes, the fingerprint table and occurrences match.
   */
  @Test
  void everyGrafanaPanelShowsTheTruthFromCassandra() throws Exception {
    GrafanaDashboard dashboard = GrafanaDashboard.load();
    Truth truth = new Truth(generated.records());
    Instant from = Instant.ofEpochMilli(START).minusSeconds(3_600);
    Instant to = Instant.ofEpochMilli(START).plusSeconds(11 * 60); // before any replayed row an hour later
    Map<String, List<String>> vars = new HashMap<>(Map.of("keyspace", List.of(cassandra.keyspace())));
    Map<String, List<Long>> minutes = new TreeMap<>();
    Map<String, Long> firstSeen = new TreeMap<>();
    Map<String, Long> occurrences = new TreeMap<>();
    try (CqlSession session = cassandra.connect()) {
      Set<String> tenants = firstColumn(session, dashboard.queries(), "$tenant", vars, from, to);
      Set<String> services = firstColumn(session, dashboard.queries(), "$service", vars, from, to);
      assertThat(tenants).isEqualTo(new TreeSet<>(TestRecords.TENANTS));
      assertThat(services).isEqualTo(new TreeSet<>(TestRecords.SERVICES));
      for (String tenant : tenants) {
        for (String service : services) {
          vars.put("tenant", List.of(tenant));
          vars.put("service", List.of(service));
          String prefix = tenant + "|" + service + "|";
          for (Row r : run(session, dashboard.panelQuery("Records per minute by severity"), vars, from, to)) {
            minutes.computeIfAbsent(prefix + r.getString(0) + "|" + r.getInstant(2).toEpochMilli(),
                k -> new ArrayList<>()).add(0, r.getLong(1));
          }
          for (Row r : run(session, dashboard.panelQuery("Encoded bytes per minute by severity"), vars, from, to)) {
            minutes.get(prefix + r.getString(0) + "|" + r.getInstant(2).toEpochMilli()).add(r.getLong(1));
          }
          for (Row r : run(session, dashboard.panelQuery("Error fingerprints (first seen, example)"), vars, from, to)) {
            firstSeen.put(prefix + r.getString("fingerprint"), r.getInstant("first_seen").toEpochMilli());
          }
          vars.put("fingerprint",
              List.copyOf(firstColumn(session, dashboard.queries(), "$fingerprint", vars, from, to)));
          if (!vars.get("fingerprint").isEmpty()) {
            for (Row r : run(session, dashboard.panelQuery("Error occurrences per minute by fingerprint"), vars,
                from, to)) {
              occurrences.put(prefix + r.getString(0) + "|" + r.getInstant(2).toEpochMilli(), r.getLong(1));
            }
          }
        }
      }
    }
    assertThat(minutes).isEqualTo(truth.minuteCounts());
    assertThat(firstSeen).isNotEmpty().isEqualTo(truth.firstSeen());
    assertThat(occurrences).isEqualTo(truth.fingerprintMinutes());
  }

  private static Set<String> firstColumn(CqlSession session, List<GrafanaDashboard.Query> queries, String variable,
      Map<String, List<String>> vars, Instant from, Instant to) {
    String cql = queries.stream().filter(q -> q.where().equals(variable)).findFirst().orElseThrow().cql();
    Set<String> values = new TreeSet<>();
    run(session, cql, vars, from, to).forEach(r -> values.add(r.getString(0)));
    return values;
  }

  private static List<Row> run(CqlSession session, String cql, Map<String, List<String>> vars, Instant from,
      Instant to) {
    return session.execute(GrafanaDashboard.render(cql, vars, from, to)).all();
  }

  private static Map<String, List<Long>> minuteCounts() {
    Map<String, List<Long>> got = new TreeMap<>();
    try (CqlSession session = cassandra.connect()) {
      for (Row r : session
          .execute("SELECT tenant, service, minute, severity, records, bytes FROM sluice_it.minute_counts")) {
        got.put(
            key(r, "severity") + "|" + r.getInstant("minute").toEpochMilli(),
            List.of(r.getLong("records"), r.getLong("bytes")));
      }
    }
    return got;
  }

  private static String key(Row r, String third) {
    return r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString(third);
  }
}
