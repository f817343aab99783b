package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.streaming.cassandra.CassandraAggregateSink;
import io.sluice.backend.streaming.cassandra.CassandraSchema;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import io.sluice.wire.kafka.KafkaFormat;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.runners.flink.FlinkRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/**
 * The job's production read path: {@link StreamingPipeline#build} (KafkaIO's splittable-DoFn reader, unbounded) on
 * the Flink runner ([local], streaming, parallelism 2) reading a real KRaft broker in this JVM, writing to the real
 * Cassandra node shared with {@link StreamingFlinkIT} (own keyspace). Current records (resent batches and all) are
 * produced while the job runs and the per-minute counts must reach their distinct records exactly; then a spool's
 * backlog two hours old and stragglers for the minutes already written arrive, and every minute must be exact again:
 * the backlog in its own minutes, the written rows corrected. Then the job is cancelled. Times are relative to the
 * clock, Kafka timestamps are send times (as the collector's), so the test means the same on any day. The topic holds
 * both Kafka record formats (batch for the current lines and stragglers, record for the backlog), resent batches in
 * both, so exactness covers de-duplication per line in either format.
 */
class StreamingKafkaReadIT {
  private static final String TOPIC = "sluice.logs.sdf";

  @Test
  void unboundedKafkaReadReachesTheExactMinuteCounts() throws Exception {
    CassandraSettings cassandra =
        new CassandraSettings(
            List.of(EmbeddedCassandra.get().contactPoint()), EmbeddedCassandra.DATACENTER, "sluice_sdf");
    try (CqlSession session = cassandra.connect()) {
      CassandraSchema.apply(session, cassandra.keyspace(), "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    }
    TestKafka kafka = TestKafka.shared(); // this JVM's broker (StreamingFlinkIT's too), closed when it exits
    kafka.createTopic(TOPIC, 2);
    long now = System.currentTimeMillis();
    // both Kafka record formats in one topic, as a collector writes them when topics differ in format or a
    // collector is upgraded: the current lines and the stragglers in the batch format, the backlog per record
    TestRecords.Generated generated =
        TestRecords.generate(29, 4_000, 50, now - 10 * 60_000L, 10 * 60_000L, 8, TOPIC, 1, KafkaFormat.BATCH);
    TestRecords.Generated backlog = TestRecords.generate(30, 2_000, 50, now - Duration.ofHours(2).toMillis(),
        10 * 60_000L, 4, TOPIC, 2, KafkaFormat.RECORD);
    TestRecords.Generated stragglers =
        TestRecords.generate(31, 500, 50, now - 10 * 60_000L, 10 * 60_000L, 0, TOPIC, 3, KafkaFormat.BATCH);

    FlinkPipelineOptions options = PipelineOptionsFactory.as(FlinkPipelineOptions.class);
    options.setRunner(FlinkRunner.class);
    options.setFlinkMaster("[local]");
    options.setParallelism(2);
    options.setStreaming(true);
    options.setAttachedMode(false); // run() returns at once with a cancellable result
    // KafkaIO's offset commit (commitOffsetsInFinalize) needs stable input, which Flink gives only with checkpoints.
    options.setCheckpointingInterval(1_000L);
    Pipeline p = Pipeline.create(options);
    StreamingConfig config =
        StreamingConfig.builder()
            .bootstrapServers(kafka.bootstrapServers())
            .topics(List.of(TOPIC))
            .groupId("sluice-sdf-it")
            .build();
    StreamingPipeline.build(
        p, config, StreamingSinks.builder().aggregates(CassandraAggregateSink.factory(cassandra)).build());
    PipelineResult result = p.run();
    boolean cancelled = false;
    try {
      // Produced while the job runs: the read is unbounded, it sees records as they arrive.
      kafka.produce(generated.records());
      Map<String, List<Long>> expected = new Truth(generated.records()).minuteCounts();
      long t0 = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(75))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(minuteCounts(cassandra)).isEqualTo(expected));
      System.out.printf(
          "KafkaIO SDF read on Flink [local] p=2: %d records (%d distinct) exact in Cassandra %.1f s after"
              + " producing%n",
          generated.records().size(), generated.distinct(), (System.nanoTime() - t0) / 1e9);

      List<io.sluice.backend.common.RawRecord> late = new java.util.ArrayList<>(backlog.records());
      late.addAll(stragglers.records());
      kafka.produce(late);
      List<io.sluice.backend.common.RawRecord> all = new java.util.ArrayList<>(generated.records());
      all.addAll(late);
      Map<String, List<Long>> corrected = new Truth(all).minuteCounts();
      assertThat(corrected.keySet()).containsAll(expected.keySet());
      assertThat(corrected).as("the stragglers change written rows").isNotEqualTo(expected);
      await()
          .atMost(Duration.ofSeconds(75))
          .pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> assertThat(minuteCounts(cassandra)).isEqualTo(corrected));
      // cancel() returns once Flink has carried out the cancellation; a job still cancelling reads as RUNNING, and
      // the per-job local MiniCluster shuts down once the job has ended, after which its state cannot be asked.
      PipelineResult.State state = result.cancel();
      cancelled = true;
      assertThat(state).isIn(PipelineResult.State.CANCELLED, PipelineResult.State.RUNNING);
    } finally {
      if (!cancelled) {
        result.cancel();
      }
    }
  }

  /** tenant|service|severity|minuteStart → {records, bytes}. */
  private static Map<String, List<Long>> minuteCounts(CassandraSettings cassandra) {
    Map<String, List<Long>> got = new TreeMap<>();
    try (CqlSession session = cassandra.connect()) {
      String cql =
          "SELECT tenant, service, minute, severity, records, bytes FROM " + cassandra.keyspace() + ".minute_counts";
      for (Row r : session.execute(cql)) {
        long minute = r.getInstant("minute").toEpochMilli();
        got.put(
            r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString("severity") + "|" + minute,
            List.of(r.getLong("records"), r.getLong("bytes")));
      }
    }
    return got;
  }
}
