package io.sluice.backend.streaming;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

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
  public static final long DEFAULT_CHECKPOINT_MILLIS = 10_000L;

  @CommandLine.Mixin
  StreamingJobOptions options = new StreamingJobOptions();

  @CommandLine.Unmatched
  List<String> beamArgs = new ArrayList<>();

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
    StreamingConfig config = options.config();
    StreamingSinks.Builder sinks = options.attachCassandra(StreamingSinks.builder());
    // The job with every output attached (OpenSearch, Parquet archive, Kafka alerts) is backend/job's JobMain.
    Pipeline pipeline = Pipeline.create(beamOptions(beamArgs));
    StreamingPipeline.build(pipeline, config, sinks.build());
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    return state == PipelineResult.State.DONE ? 0 : 1;
  }

  /** Beam options from the pass-through arguments, defaulting to the Flink runner in streaming mode. */
  public static PipelineOptions beamOptions(List<String> args) {
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
    // Without it the Flink runner deep-copies every element between chained operators by encoding and decoding it
    // with its coder (BEAM-11146). The job's DoFns never mutate their input or a value after output, as Beam's model
    // requires, so the copies protect nothing: the job's throughput benchmark measured them (benchmarks/RESULTS.md).
    if (flink && all.stream().noneMatch(a -> a.startsWith("--fasterCopy"))) {
      all.add("--fasterCopy=true");
    }
    try {
      return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new)).withValidation().create();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Beam rejected the pass-through options " + args + ": " + e.getMessage()
              + " (see --help; Flink runner options are e.g. --flinkMaster, --parallelism)",
          e);
    }
  }
}
