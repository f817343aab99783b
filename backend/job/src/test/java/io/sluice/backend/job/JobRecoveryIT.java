package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.archive.DuckDb;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import io.sluice.backend.streaming.EmbeddedCassandra;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.checkpoint.CheckpointStatsSnapshot;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.RestoredCheckpointStats;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIf;

/**
 * Issue 13's recovery check: the production streaming job (unbounded KafkaIO read, {@code JobMain}'s Cassandra and
 * Parquet-archive sinks) on a Flink 1.19 MiniCluster of this JVM, submitted through its REST endpoint as to a real
 * cluster, is (1) stopped with a savepoint and resubmitted from it while records keep arriving, then (2) loses its
 * TaskManager while records flow and restarts from its last checkpoint. Afterwards Cassandra's per-minute counts and
 * bytes, its fingerprint minutes and first-seen times, and the archive (read by DuckDB) must equal the truth
 * exactly, while the sinks' own write counts show that the replay rewrote outputs: idempotence, not luck.
 *
 * <p>OpenSearch is covered by {@link JobRecoveryOpenSearchIT} (the same scenario, through {@link RecoveryHarness}):
 * it cannot share a JVM with Cassandra (see the pom).
 */
@DisabledIf(
    value = "io.sluice.backend.job.RecoveryHarness#openSearchJvm",
    disabledReason = "the search-alerts JVM has no Cassandra (see RecoveryHarness.cassandraJvm)")
class JobRecoveryIT {
  private static final String TOPIC = "sluice.logs.recovery";
  private static final String KEYSPACE = "sluice_recovery";
  private static final long START = Instant.parse("2003-03-14T10:00:00Z").toEpochMilli();
  private static final long SPAN = 20 * 60_000L;
  private static final int PER_PHASE = Integer.getInteger("sluice.it.records", 1_000);
  private static final Duration PATIENCE = RecoveryHarness.PATIENCE;

  private static RecoveryHarness h;
  private static CassandraSettings cassandra;
  private static URI archive;

  private static final List<RawRecord> all = new ArrayList<>();
  private static final Map<String, List<Long>> archived = new TreeMap<>();
  private static JobID job;
  private static String savepoint;
  private static RestoredCheckpointStats restoredFromSavepoint;
  private static RestoredCheckpointStats restoredAfterFailure;
  private static Map<String, Integer> writesAfterSavepoint;
  private static int distinctAfterSavepoint;
  private static int attempts;

  private static void startEngines() throws Exception {
    h = RecoveryHarness.start("recovery", TOPIC);
    archive = h.work.resolve("archive").toUri();
    cassandra =
        new CassandraSettings(List.of(EmbeddedCassandra.get().contactPoint()), EmbeddedCassandra.DATACENTER, KEYSPACE);
  }

  @AfterAll
  static void stopEngines() throws Exception {
    if (h != null) {
      h.close();
    }
  }

  /**
   * The scenario, once for the class; each Cassandra wait is itself an exact assertion (Awaitility fails the class
   * when a table does not reach the truth).
   */
  @BeforeAll
  static void stopResumeFailAndRecover() throws Exception {
    startEngines();
    // three phases of records from shippers in epochs 1, 2, 3, all dated in the same 20 minutes (every minute's
    // total spans the phases), each with resent batches; later phases also resend batches of earlier ones
    TestRecords.Generated one = TestRecords.generate(71, PER_PHASE, 50, START, SPAN, 6, TOPIC, 1);
    TestRecords.Generated two = TestRecords.generate(72, PER_PHASE, 50, START, SPAN, 6, TOPIC, 2);
    TestRecords.Generated three = TestRecords.generate(73, PER_PHASE, 50, START, SPAN, 6, TOPIC, 3);
    long t0 = System.nanoTime();

    // 1. the job runs; phase 1 arrives and becomes exact
    JobID first = submit(null);
    produce(one.records());
    awaitExact("phase 1");

    // 2. stop with a savepoint (through REST, as an operator would); phase 2 arrives while the job is down, with
    // phase 1's first six batches resent; resubmit from the savepoint
    savepoint = h.stopWithSavepoint(first);
    produce(concat(two.records(), one.records().subList(0, 300)));
    job = submit(savepoint);
    restoredFromSavepoint = executionGraph(job).getCheckpointStatsSnapshot().getLatestRestoredCheckpoint();
    awaitExact("phase 2, after the savepoint");
    writesAfterSavepoint = Map.copyOf(CountingSinks.writes("events_0"));
    distinctAfterSavepoint = distinct(all).size();

    // 3. a checkpoint of the resumed job completes; records flow; once the job has written some of them, its only
    // TaskManager dies; a new one is started and Flink restarts the job from its last checkpoint, replaying what
    // was written since
    h.awaitNextCheckpoint(job);
    List<RawRecord> threeFirst = three.records().subList(0, PER_PHASE / 2);
    produce(threeFirst);
    List<String> threeIds = distinct(threeFirst).stream().map(e -> e.identity().key()).toList();
    await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
        .until(() -> threeIds.stream().filter(CountingSinks.writes("events_0")::containsKey).count() >= 100);
    CheckpointStatsSnapshot beforeFailure = executionGraph(job).getCheckpointStatsSnapshot();
    h.loseTaskManager();
    produce(concat(three.records().subList(PER_PHASE / 2, three.records().size()), two.records().subList(0, 200)));
    awaitExact("phase 3, after the TaskManager failure");
    AccessExecutionGraph graph = executionGraph(job);
    restoredAfterFailure = graph.getCheckpointStatsSnapshot().getLatestRestoredCheckpoint();
    attempts = maxAttempt(graph);

    CompletedCheckpointStats last = beforeFailure.getHistory().getLatestCompletedCheckpoint();
    System.out.printf(
        "job recovery: %d Kafka records, %d distinct in %.1f s; savepoint %s; before the failure %d checkpoints"
            + " completed in the resumed job (last took %d ms), restored checkpoint %s; attempt %d after the failure;"
            + " archive writes %d, aggregate writes %d, fingerprint writes %d%n",
        all.size(), distinct(all).size(), (System.nanoTime() - t0) / 1e9, savepoint,
        beforeFailure.getCounts().getNumberOfCompletedCheckpoints(), last == null ? -1 : last.getEndToEndDuration(),
        restoredAfterFailure == null ? null : restoredAfterFailure.getCheckpointId(), attempts,
        CountingSinks.total("events_0"), CountingSinks.total("aggregates"), CountingSinks.total("fingerprints"));
    archive(); // read before the job is cancelled, as it stands after the recovery
    h.client.cancel(job).get();
  }

  @Test
  void theResumedJobRestoredTheSavepointsState() {
    assertThat(restoredFromSavepoint).as("the resubmitted job restored a checkpoint").isNotNull();
    assertThat(restoredFromSavepoint.getExternalPath()).as("restored from the savepoint").isEqualTo(savepoint);
    // restored state, not just exact rows (those were awaited): the resent phase-1 records were dropped as
    // duplicates (de-duplication state came back), and no event was written twice (the stop left nothing to replay)
    assertThat(writesAfterSavepoint).hasSize(distinctAfterSavepoint);
    assertThat(writesAfterSavepoint.values()).as("archive writes per record identity").containsOnly(1);
  }

  @Test
  void theTaskManagerLossRestartedTheJobFromACheckpointAndReplayedWrites() {
    assertThat(attempts).as("the TaskManager loss restarted the job's tasks").isGreaterThan(0);
    assertThat(restoredAfterFailure).as("restored a checkpoint after the failure").isNotNull();
    assertThat(restoredAfterFailure.getProperties().isSavepoint()).as("a checkpoint, not the savepoint").isFalse();
    Map<String, Integer> events = CountingSinks.writes("events_0");
    assertThat(events.keySet()).as("every distinct record reached the archive sink")
        .containsExactlyInAnyOrderElementsOf(distinct(all).stream().map(e -> e.identity().key()).toList());
    assertThat(events.values().stream().filter(n -> n > 1).count())
        .as("records the replay wrote to the archive again (else the test proves nothing)").isPositive();
  }

  @Test
  void theArchiveHoldsEveryDistinctRecordAfterTheReplay() {
    Map<String, Long> expected = Truth.countsByServiceAndSeverity(all);
    Map<String, Long> distinctIdentities = new TreeMap<>();
    archived.forEach((k, v) -> distinctIdentities.put(k, v.get(1)));
    assertThat(distinctIdentities).as("archive: count(DISTINCT identity) per tenant/service/severity")
        .isEqualTo(expected);
  }

  /**
   * Each row once: the archive's batches are stable input (checkpointed before they are written), so the replay
   * rewrites exactly the batches it had written, under the same content-named files.
   */
  @Test
  void theArchiveHoldsEachRecordOnceAfterTheReplay() {
    Map<String, Long> expected = Truth.countsByServiceAndSeverity(all);
    Map<String, Long> rows = new TreeMap<>();
    archived.forEach((k, v) -> rows.put(k, v.get(0)));
    assertThat(rows).as("archive: count(*) per tenant/service/severity").isEqualTo(expected);
  }

  /** count(*) and count(DISTINCT identity) per tenant/service/severity, read by DuckDB. */
  private static void archive() throws Exception {
    DuckDb.query(
        "SELECT tenant, service, severity, count(*), count(DISTINCT identity) FROM " + DuckDb.table(Path.of(archive))
            + " GROUP BY ALL",
        rs -> archived.put(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3),
            List.of(rs.getLong(4), rs.getLong(5))));
    long rows = archived.values().stream().mapToLong(v -> v.get(0)).sum();
    System.out.printf("job recovery: the archive holds %d rows for %d distinct records%n", rows, distinct(all).size());
  }

  /** Submits the unbounded job with Cassandra and the archive as outputs (see RecoveryHarness#submit). */
  private static JobID submit(String savepoint) throws Exception {
    return h.submit(List.of(
        "--cassandra=" + EmbeddedCassandra.get().contactPoint(), "--cassandra-keyspace=" + KEYSPACE,
        "--archive=" + archive, "--archive-max-delay=PT1S"), savepoint);
  }

  private static AccessExecutionGraph executionGraph(JobID job) throws Exception {
    return h.executionGraph(job);
  }

  private static int maxAttempt(AccessExecutionGraph graph) {
    return RecoveryHarness.maxAttempt(graph);
  }

  private static void produce(List<RawRecord> records) throws Exception {
    h.produce(records);
    all.addAll(records);
  }

  private static List<RawRecord> concat(List<RawRecord> a, List<RawRecord> b) {
    return RecoveryHarness.concat(a, b);
  }

  private static List<LogEvent> distinct(List<RawRecord> records) {
    return Truth.distinctEvents(records);
  }

  /** Waits until every Cassandra table the job writes equals the truth for {@code records}. */
  private static void awaitExact(String when) {
    List<RawRecord> snapshot = List.copyOf(all);
    Map<String, List<Long>> minutes = expectedMinutes(snapshot);
    Map<String, Long> fingerprintMinutes = expectedFingerprintMinutes(snapshot);
    Map<String, Long> firstSeen = expectedFirstSeen(snapshot);
    long t0 = System.nanoTime();
    try (CqlSession session = cassandra.connect()) {
      await(when).atMost(PATIENCE).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
        assertThat(minuteCounts(session)).as("minute_counts (records, bytes)").isEqualTo(minutes);
        assertThat(fingerprintMinutes(session)).as("fingerprint_minutes").isEqualTo(fingerprintMinutes);
        assertThat(firstSeen(session)).as("error_fingerprints first_seen").isEqualTo(firstSeen);
      });
    }
    // the archive writes a batch once a checkpoint holds it (stable input), so it trails Cassandra by a checkpoint
    List<String> ids = distinct(snapshot).stream().map(e -> e.identity().key()).toList();
    await(when + ": the archive").atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
        .until(() -> CountingSinks.writes("events_0").keySet().containsAll(ids));
    System.out.printf("job recovery: %s exact in Cassandra and archived after %.1f s%n", when,
        (System.nanoTime() - t0) / 1e9);
  }

  private static Map<String, List<Long>> expectedMinutes(List<RawRecord> records) {
    Map<String, List<Long>> out = new TreeMap<>();
    for (LogEvent e : distinct(records)) {
      out.merge(e.tenant() + "|" + e.service() + "|" + e.severity() + "|" + e.minuteStartMillis(),
          List.of(1L, (long) e.sizeBytes()), (a, b) -> List.of(a.get(0) + b.get(0), a.get(1) + b.get(1)));
    }
    return out;
  }

  private static Map<String, Long> expectedFingerprintMinutes(List<RawRecord> records) {
    return distinct(records).stream().filter(e -> !e.fingerprint().isEmpty()).collect(Collectors.toMap(
        e -> e.tenant() + "|" + e.service() + "|" + e.fingerprint() + "|" + e.minuteStartMillis(), e -> 1L,
        Long::sum, TreeMap::new));
  }

  private static Map<String, Long> expectedFirstSeen(List<RawRecord> records) {
    return distinct(records).stream().filter(e -> !e.fingerprint().isEmpty()).collect(Collectors.toMap(
        e -> e.tenant() + "|" + e.service() + "|" + e.fingerprint(), LogEvent::timeMillis, Math::min, TreeMap::new));
  }

  private static Map<String, List<Long>> minuteCounts(CqlSession session) {
    Map<String, List<Long>> got = new TreeMap<>();
    for (Row r : session.execute("SELECT tenant, service, minute, severity, records, bytes FROM " + KEYSPACE
        + ".minute_counts")) {
      got.put(r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString("severity") + "|"
          + r.getInstant("minute").toEpochMilli(), List.of(r.getLong("records"), r.getLong("bytes")));
    }
    return got;
  }

  private static Map<String, Long> fingerprintMinutes(CqlSession session) {
    Map<String, Long> got = new TreeMap<>();
    for (Row r : session.execute("SELECT tenant, service, fingerprint, minute, occurrences FROM " + KEYSPACE
        + ".fingerprint_minutes")) {
      got.put(r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString("fingerprint") + "|"
          + r.getInstant("minute").toEpochMilli(), r.getLong("occurrences"));
    }
    return got;
  }

  private static Map<String, Long> firstSeen(CqlSession session) {
    Map<String, Long> got = new TreeMap<>();
    for (Row r : session.execute("SELECT tenant, service, fingerprint, first_seen FROM " + KEYSPACE
        + ".error_fingerprints")) {
      got.put(r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString("fingerprint"),
          r.getInstant("first_seen").toEpochMilli());
    }
    return got;
  }
}
