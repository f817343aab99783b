package io.sluice.backend.streaming;

import com.datastax.oss.driver.api.core.CqlSession;
import io.sluice.backend.streaming.cassandra.CassandraAggregateSink;
import io.sluice.backend.streaming.cassandra.CassandraFingerprintSink;
import io.sluice.backend.streaming.cassandra.CassandraSchema;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar sluice-backend-streaming.jar --bootstrap-servers=... --topics=... --cassandra=...
 * [Beam options]}: the streaming job. Options it does not know (e.g. {@code --runner}, {@code --flinkMaster},
 * {@code --parallelism}, {@code --checkpointingInterval}) go to Beam; by default it runs on the Flink runner in
 * streaming mode.
 */
@Command(
    name = "sluice-streaming",
    mixinStandardHelpOptions = true,
    description = {
      "Reads the collector's Kafka topics, drops resent duplicates, and writes exact per-minute aggregates and",
      "error fingerprints to Cassandra. Unknown options are Beam pipeline options (default: --runner=FlinkRunner",
      "--streaming=true --checkpointingInterval=10000 on Flink; e.g. --flinkMaster=host:8081 --parallelism=4,",
      "or --flinkMaster=[local])."
    })
public final class StreamingJobMain implements Callable<Integer> {
  /** Flink checkpoint interval when {@code --checkpointingInterval} is not given (offsets commit at checkpoints). */
  static final long DEFAULT_CHECKPOINT_MILLIS = 10_000L;

  @Option(names = "--bootstrap-servers", required = true, description = "Kafka host:port[,host:port]")
  String bootstrapServers;

  @Option(names = "--topics", required = true, split = ",", description = "topics the collector writes, comma-separated")
  List<String> topics;

  @Option(names = "--group-id", defaultValue = "sluice-streaming", description = "Kafka consumer group (default: ${DEFAULT-VALUE})")
  String groupId;

  @Option(names = "--cassandra", split = ",", description = "Cassandra contact points host:port[,...]; omit to write nothing to Cassandra")
  List<String> cassandra = new ArrayList<>();

  @Option(names = "--cassandra-datacenter", defaultValue = "datacenter1", description = "the driver's local datacenter (default: ${DEFAULT-VALUE})")
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

  @Option(names = "--dedup-ttl", defaultValue = "PT1H", description = "how long record identities are remembered, ISO-8601 (default: ${DEFAULT-VALUE})")
  Duration dedupTtl;

  @Option(names = "--allowed-lateness", defaultValue = "PT10M", description = "late records still update their minute within this (default: ${DEFAULT-VALUE})")
  Duration allowedLateness;

  @Option(names = "--watermark-delay", defaultValue = "PT5S", description = "watermark lag behind Kafka timestamps (default: ${DEFAULT-VALUE})")
  Duration watermarkDelay;

  @Option(names = "--max-batch", defaultValue = "500", description = "items per sink write (default: ${DEFAULT-VALUE})")
  int maxBatch;

  @CommandLine.Unmatched List<String> beamArgs = new ArrayList<>();

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new StreamingJobMain());
    cl.setUnmatchedArgumentsAllowed(true);
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException) {
            cmd.getErr().println("sluice-streaming: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cl;
  }

  @Override
  public Integer call() {
    StreamingConfig config =
        StreamingConfig.builder()
            .bootstrapServers(bootstrapServers)
            .topics(topics)
            .groupId(groupId)
            .dedupTtl(dedupTtl)
            .allowedLateness(allowedLateness)
            .watermarkDelay(watermarkDelay)
            .maxBatch(maxBatch)
            .build();
    config.requireKafka();
    StreamingSinks.Builder sinks = StreamingSinks.builder();
    if (!cassandra.isEmpty()) {
      CassandraSettings settings = new CassandraSettings(cassandra, datacenter, keyspace);
      if (!skipSchema) {
        try (CqlSession session = settings.connect()) {
          CassandraSchema.apply(session, keyspace, replication);
        }
      }
      sinks.aggregates(CassandraAggregateSink.factory(settings))
          .fingerprints(CassandraFingerprintSink.factory(settings));
    }
    // Other modules' outputs plug in here, one call each: .addEvents(<OpenSearch/Parquet SinkFactory<LogEvent>>),
    // .alerts(<Kafka SinkFactory<Alert>>).rules(<SQL AlertRuleSource>).
    Pipeline pipeline = Pipeline.create(beamOptions(beamArgs));
    StreamingPipeline.build(pipeline, config, sinks.build());
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    return state == PipelineResult.State.DONE ? 0 : 1;
  }

  /** Beam options from the pass-through arguments, defaulting to the Flink runner in streaming mode. */
  static PipelineOptions beamOptions(List<String> args) {
    List<String> all = new ArrayList<>(args);
    if (all.stream().noneMatch(a -> a.startsWith("--runner"))) {
      all.add("--runner=FlinkRunner");
    }
    if (all.stream().noneMatch(a -> a.startsWith("--streaming"))) {
      all.add("--streaming=true");
    }
    // KafkaIO's offset commit (commitOffsetsInFinalize) needs stable input, which the Flink runner gives only with
    // checkpoints: without an interval the job is refused at start ("No checkpointing configured but pipeline uses
    // @RequiresStableInput"; seen in StreamingKafkaReadIT).
    boolean flink = all.stream().anyMatch(a -> a.startsWith("--runner") && a.contains("Flink"));
    if (flink && all.stream().noneMatch(a -> a.startsWith("--checkpointingInterval"))) {
      all.add("--checkpointingInterval=" + DEFAULT_CHECKPOINT_MILLIS);
    }
    try {
      return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).withValidation().create();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Beam rejected the pass-through options " + args + ": " + e.getMessage()
              + " (see --help; Flink runner options are e.g. --flinkMaster, --parallelism)", e);
    }
  }
}
