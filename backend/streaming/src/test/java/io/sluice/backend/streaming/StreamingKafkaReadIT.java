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
import java.time.Duration;
import java.time.Instant;
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
 * Cassandra node shared with {@link StreamingFlinkIT} (own keyspace). The per-minute counts must reach the distinct
 * records exactly, resent batches and all; then the job is cancelled.
 */
class StreamingKafkaReadIT {
  private static final String TOPIC = "sluice.logs.sdf";
  private static final long START = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
  /** Event and Kafka time of the record that moves the watermark past every test minute (see the test). */
  private static final long FENCE = START + Duration.ofDays(1).toMillis();

  @Test
  void unboundedKafkaReadReachesTheExactMinuteCounts() throws Exception {
    CassandraSettings cassandra =
        new CassandraSettings(
            List.of(EmbeddedCassandra.get().contactPoint()), EmbeddedCassandra.DATACENTER, "sluice_sdf");
    try (CqlSession session = cassandra.connect()) {
      CassandraSchema.apply(session, cassandra.keyspace(), "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    }
    try (TestKafka kafka = TestKafka.start()) {
      kafka.createTopic(TOPIC, 1); // one partition: the fence record below then follows every test record
      TestRecords.Generated generated = TestRecords.generate(29, 4_000, 50, START, 10 * 60_000L, 8, TOPIC);

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
        // The watermark is the partition's largest Kafka create time less --watermark-delay, so the last test minutes
        // do not fire on that alone. KafkaIO's create-time policy does move an idle partition's watermark to the wall
        // clock less the delay (without the next record this test passed too, in 20 s instead of 10), but only
        // because the test times lie in the past. One record a day later, produced after every test record (acked,
        // one partition: no test record is behind it), moves the watermark past them at once and whatever the
        // clock; its own minute is left out of the comparison.
        kafka.produce(TestRecords.generate(31, 1, 1, FENCE, 1_000L, 0, TOPIC).records());
        Map<String, List<Long>> expected = new Truth(generated.records()).minuteCounts();
        long t0 = System.nanoTime();
        await()
            .atMost(Duration.ofSeconds(75))
            .pollInterval(Duration.ofSeconds(1))
            .untilAsserted(() -> assertThat(minuteCountsBefore(cassandra, FENCE)).isEqualTo(expected));
        System.out.printf(
            "KafkaIO SDF read on Flink [local] p=2: %d records (%d distinct) exact in Cassandra %.1f s after"
                + " producing%n",
            generated.records().size(), generated.distinct(), (System.nanoTime() - t0) / 1e9);
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
  }

  /** tenant|service|severity|minuteStart → {records, bytes} for minutes before {@code fence}. */
  private static Map<String, List<Long>> minuteCountsBefore(CassandraSettings cassandra, long fence) {
    Map<String, List<Long>> got = new TreeMap<>();
    try (CqlSession session = cassandra.connect()) {
      String cql =
          "SELECT tenant, service, minute, severity, records, bytes FROM " + cassandra.keyspace() + ".minute_counts";
      for (Row r : session.execute(cql)) {
        long minute = r.getInstant("minute").toEpochMilli();
        if (minute < fence) {
          got.put(
              r.getString("tenant") + "|" + r.getString("service") + "|" + r.getString("severity") + "|" + minute,
              List.of(r.getLong("records"), r.getLong("bytes")));
        }
      }
    }
    return got;
  }
}
