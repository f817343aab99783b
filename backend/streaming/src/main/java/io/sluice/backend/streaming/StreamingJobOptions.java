package io.sluice.backend.streaming;

import com.datastax.oss.driver.api.core.CqlSession;
import io.sluice.backend.streaming.cassandra.CassandraAggregateSink;
import io.sluice.backend.streaming.cassandra.CassandraFingerprintSink;
import io.sluice.backend.streaming.cassandra.CassandraSchema;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The streaming job's own command-line options (Kafka input, de-duplication, windows, Cassandra output), a picocli
 * mixin shared by {@link StreamingJobMain} and the all-outputs job in backend/job. Not thread-safe (filled once by
 * the parser).
 */
public final class StreamingJobOptions {
  @Option(names = "--bootstrap-servers", required = true, description = "Kafka host:port[,host:port]")
  String bootstrapServers;

  @Option(names = "--topics", required = true, split = ",",
      description = "topics the collector writes, comma-separated")
  List<String> topics;

  @Option(names = "--group-id", defaultValue = "sluice-streaming",
      description = "Kafka consumer group (default: ${DEFAULT-VALUE})")
  String groupId;

  @Option(names = "--cassandra", split = ",",
      description = "Cassandra contact points host:port[,...]; omit to write nothing to Cassandra")
  List<String> cassandra = new ArrayList<>();

  @Option(names = "--cassandra-datacenter", defaultValue = "datacenter1",
      description = "the driver's local datacenter (default: ${DEFAULT-VALUE})")
  String datacenter;

  @Option(names = "--cassandra-keyspace", defaultValue = "sluice", description = "keyspace (default: ${DEFAULT-VALUE})")
  String keyspace;

  @Option(
      names = "--cassandra-replication",
      defaultValue = "{'class': 'SimpleStrategy', 'replication_factor': 1}",
      description = "replication map used if the job creates the keyspace (default: ${DEFAULT-VALUE})")
  String replication;

  @Option(names = "--skip-schema", description = "do not apply cql/schema.cql at start-up")
  boolean skipSchema;

  @Option(names = "--dedup-ttl", defaultValue = "PT1H",
      description = "how long record identities are remembered, ISO-8601 (default: ${DEFAULT-VALUE})")
  Duration dedupTtl;

  @Option(names = "--allowed-lateness", defaultValue = "PT10M",
      description = "late records still re-evaluate error-rate alerts within this after the window (default: ${DEFAULT-VALUE}; aggregates count every record, see --totals-ttl)")
  Duration allowedLateness;

  @Option(names = "--totals-flush", defaultValue = "PT1S",
      description = "a changed per-minute total is written after this (default: ${DEFAULT-VALUE})")
  Duration totalsFlush;

  @Option(names = "--totals-ttl", defaultValue = "PT24H",
      description = "a per-minute total is remembered this long after its last write; a record for that minute arriving later restarts it (default: ${DEFAULT-VALUE})")
  Duration totalsTtl;

  @Option(names = "--watermark-delay", defaultValue = "PT5S",
      description = "watermark lag behind Kafka timestamps (default: ${DEFAULT-VALUE})")
  Duration watermarkDelay;

  @Option(names = "--max-batch", defaultValue = "500", description = "items per sink write (default: ${DEFAULT-VALUE})")
  int maxBatch;

  /** The validated job settings for an unbounded run; see {@link #config(boolean)}. */
  public StreamingConfig config() {
    return config(false);
  }

  /**
   * The validated job settings; throws {@link IllegalArgumentException} naming the option and the fix.
   *
   * @param boundedInput whether the input ends (a {@code --bounded} run)
   */
  public StreamingConfig config(boolean boundedInput) {
    StreamingConfig config =
        StreamingConfig.builder()
            .bootstrapServers(bootstrapServers)
            .topics(topics)
            .groupId(groupId)
            .dedupTtl(dedupTtl)
            .allowedLateness(allowedLateness)
            .watermarkDelay(watermarkDelay)
            .maxBatch(maxBatch)
            .totalsFlush(totalsFlush)
            .totalsTtl(totalsTtl)
            .boundedInput(boundedInput)
            .build();
    config.requireKafka();
    return config;
  }

  /** Where Cassandra is, if {@code --cassandra} was given. */
  public Optional<CassandraSettings> cassandra() {
    return cassandra.isEmpty()
        ? Optional.empty()
        : Optional.of(new CassandraSettings(cassandra, datacenter, keyspace));
  }

  /**
   * Adds the Cassandra aggregate and fingerprint sinks when {@code --cassandra} was given, first applying the schema
   * (unless {@code --skip-schema}). Connects to Cassandra once.
   */
  public StreamingSinks.Builder attachCassandra(StreamingSinks.Builder sinks) {
    cassandra().ifPresent(
        settings -> {
          if (!skipSchema) {
            try (CqlSession session = settings.connect()) {
              CassandraSchema.apply(session, keyspace, replication);
            }
          }
          sinks.aggregates(CassandraAggregateSink.factory(settings))
              .fingerprints(CassandraFingerprintSink.factory(settings));
        });
    return sinks;
  }
}
