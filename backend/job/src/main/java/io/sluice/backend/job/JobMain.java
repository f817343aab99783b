package io.sluice.backend.job;

import io.sluice.backend.alerts.JdbcAlertRuleSource;
import io.sluice.backend.alerts.KafkaAlertSinkFactory;
import io.sluice.backend.archive.ArchiveConfig;
import io.sluice.backend.archive.ArchivePartition;
import io.sluice.backend.archive.ParquetArchive;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.search.LogDocuments;
import io.sluice.backend.search.OpenSearchConnection;
import io.sluice.backend.search.OpenSearchSinkFactory;
import io.sluice.backend.streaming.EventBatching;
import io.sluice.backend.streaming.JobAccounting;
import io.sluice.backend.streaming.RawRecordCoder;
import io.sluice.backend.streaming.StreamingConfig;
import io.sluice.backend.streaming.StreamingJobMain;
import io.sluice.backend.streaming.StreamingJobOptions;
import io.sluice.backend.streaming.StreamingPipeline;
import io.sluice.backend.streaming.StreamingSinks;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.values.PCollection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar sluice-backend-job.jar --bootstrap-servers=... --topics=... [outputs] [Beam options]}: the
 * production streaming job with every output attached, each optional. Options it does not know go to Beam (default
 * {@code --runner=FlinkRunner --streaming=true}, checkpoints every 10 s on Flink).
 */
@Command(
    name = "sluice-job",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
        "Reads the collector's Kafka topics, drops resent duplicates and writes every configured output:",
        "  --cassandra        per-minute aggregates and error fingerprints (exact; upserts)",
        "  --opensearch       one document per distinct record (daily indices, _id = record identity)",
        "  --archive          Parquet files under date=/hour=/service= on HDFS or any Hadoop FileSystem",
        "  --alerts-topic     error-rate and new-fingerprint alerts to Kafka, by the rules in --rules-url",
        "At least one output is required. Unknown options are Beam pipeline options (default: --runner=FlinkRunner",
        "--streaming=true --checkpointingInterval=10000 on Flink; e.g. --flinkMaster=host:8081 --parallelism=4, or",
        "--flinkMaster=[local]). Exit codes: 0 done, 1 the job failed or was cancelled, 2 usage error."
    })
public final class JobMain implements Callable<Integer> {
  @CommandLine.Mixin
  StreamingJobOptions streaming = new StreamingJobOptions();

  @Option(names = "--opensearch", split = ",",
      description = "OpenSearch/Elasticsearch URLs http(s)://host:port[,...]; omit for no documents")
  List<String> opensearch = new ArrayList<>();

  @Option(names = "--opensearch-user", description = "user for HTTP basic auth (none by default)")
  String opensearchUser;

  @Option(names = "--opensearch-password-env", description = "environment variable holding the OpenSearch password")
  String opensearchPasswordEnv;

  @Option(names = "--opensearch-index-prefix", defaultValue = LogDocuments.DEFAULT_INDEX_PREFIX,
      description = "daily index prefix (default: ${DEFAULT-VALUE})")
  String indexPrefix;

  @Option(names = "--opensearch-replicas", defaultValue = "1",
      description = "replicas in the installed index template (default: ${DEFAULT-VALUE}; 0 on one node)")
  int replicas;

  @Option(names = "--archive",
      description = "archive root URI, e.g. hdfs://nn:8020/sluice/logs or file:///data/logs; omit for no archive")
  URI archive;

  @Option(names = "--archive-hadoop",
      description = "Hadoop property for the archive, key=value (repeatable), e.g. dfs.replication=3")
  Map<String, String> archiveHadoop = new LinkedHashMap<>();

  @Option(names = "--archive-max-rows", defaultValue = "" + ArchiveConfig.DEFAULT_MAX_ROWS_PER_FILE,
      description = "rows per Parquet file at most (default: ${DEFAULT-VALUE})")
  int archiveMaxRows;

  @Option(
      names = "--archive-file-bytes",
      defaultValue = "8MiB",
      converter = ByteSizeConverter.class,
      description = {
          "Parquet file size to aim at: events wait in Beam state per date/hour/service until about this much",
          "Parquet would be written (see --archive-parquet-ratio), or --archive-max-delay; bytes, or with KiB/MiB/GiB",
          "(default: ${DEFAULT-VALUE}; at most half of the 128 MiB a file rolls at)"
      })
  long archiveFileBytes;

  @Option(
      names = "--archive-parquet-ratio",
      defaultValue = "0.1",
      description = {
          "Parquet bytes expected per Kafka record byte: a batch holds --archive-file-bytes / this many record bytes",
          "(default: ${DEFAULT-VALUE}; collector-like records measured 0.13 with SNAPPY in 8 MiB files, so files closed",
          "by size come out ~1.3x the target; lower it if the archive's files are smaller than --archive-file-bytes)"
      })
  double archiveParquetRatio;

  @Option(names = "--archive-max-delay", defaultValue = "PT5M",
      description = "the longest an event waits for its archive batch to fill, ISO-8601 (default: ${DEFAULT-VALUE}); such a file is smaller")
  Duration archiveMaxDelay;

  @Option(names = "--archive-shards", defaultValue = "1",
      description = "batching keys per date/hour/service, so one busy service is written by several workers (default: ${DEFAULT-VALUE}); each fills its own files")
  int archiveShards;

  @Option(names = "--alerts-topic", description = "Kafka topic for fired alerts, e.g. "
      + KafkaAlertSinkFactory.DEFAULT_TOPIC + " (needs --rules-url)")
  String alertsTopic;

  @Option(names = "--alerts-bootstrap-servers", description = "Kafka for alerts (default: --bootstrap-servers)")
  String alertsBootstrapServers;

  @Option(names = "--rules-url",
      description = "alert rules database, jdbc:postgresql://host:port/db (CockroachDB or PostgreSQL; needs --alerts-topic)")
  String rulesUrl;

  @Option(names = "--rules-user", description = "rules database user (default: the URL's)")
  String rulesUser;

  @Option(names = "--rules-password-env", description = "environment variable holding the rules database password")
  String rulesPasswordEnv;

  @Option(
      names = "--bounded",
      description = {
          "read every partition from its first offset up to the end offset seen at start-up, then finish",
          "(a run over what Kafka holds now; no offsets are committed)"
      })
  boolean bounded;

  @CommandLine.Unmatched
  List<String> beamArgs = new ArrayList<>();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The parser; usage errors and {@link IllegalArgumentException}s from the settings print one line, exit code 2. */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new JobMain());
    cl.setUnmatchedArgumentsAllowed(true);
    cl.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          if (e instanceof IllegalArgumentException) {
            cmd.getErr().println("sluice-job: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cl;
  }

  @Override
  public Integer call() {
    StreamingConfig config = streaming.config(bounded);
    StreamingSinks sinks = sinks(config);
    List<String> args = new ArrayList<>(beamArgs);
    if (bounded && args.stream().noneMatch(a -> a.startsWith("--checkpointingInterval"))) {
      // nothing to commit in a bounded run, and a final checkpoint would hold the finished job for an interval
      args.add("--checkpointingInterval=-1");
    }
    Pipeline pipeline = Pipeline.create(StreamingJobMain.beamOptions(args));
    if (bounded) {
      PCollection<RawRecord> raw =
          pipeline.apply("ReadKafkaToEnd", BoundedKafkaRead.of(config.bootstrapServers(), config.topics()))
              .setCoder(RawRecordCoder.of());
      StreamingPipeline.expand(raw, config, sinks);
    } else {
      StreamingPipeline.build(pipeline, config, sinks);
    }
    PipelineResult result = pipeline.run();
    PipelineResult.State state = result.waitUntilFinish();
    if (state != PipelineResult.State.DONE) {
      spec.commandLine().getErr().println("sluice-job: the job ended " + state);
      return 1;
    }
    if (!bounded) {
      return 0;
    }
    // a bounded run has an end, so its books must balance: every record read is decoded or counted undecodable,
    // every distinct record reached every output; otherwise it fails instead of reporting success over a part
    JobAccounting books = JobAccounting.of(result.metrics().allMetrics());
    spec.commandLine().getOut().println("sluice-job: " + books);
    List<String> problems = books.problems(sinks);
    if (!problems.isEmpty()) {
      spec.commandLine().getErr().println(
          "sluice-job: the run did not process everything it read: " + String.join("; ", problems));
      return 1;
    }
    return 0;
  }

  /**
   * The archive's batching: one batch per archive partition (and shard) of about {@code --archive-file-bytes} of
   * Parquet, so each becomes one file. Unbounded runs write through a stable-input step (checkpointed batches, so a
   * replay rewrites the same files); a bounded run has no checkpoints to restart from.
   */
  EventBatching archiveBatching(ArchiveConfig archiveConfig) {
    if (archiveFileBytes < 1 || archiveFileBytes > archiveConfig.maxFileBytes() / 2) {
      throw new IllegalArgumentException("--archive-file-bytes " + archiveFileBytes + " must be between 1 and "
          + archiveConfig.maxFileBytes() / 2 + " (half the file size the archive rolls at), e.g. 8MiB");
    }
    if (!(archiveParquetRatio > 0 && archiveParquetRatio <= 10)) {
      throw new IllegalArgumentException("--archive-parquet-ratio " + archiveParquetRatio
          + " must be in (0, 10]: Parquet bytes per Kafka record byte, e.g. 0.1");
    }
    if (archiveMaxDelay == null || archiveMaxDelay.isNegative() || archiveMaxDelay.isZero()) {
      throw new IllegalArgumentException("--archive-max-delay must be a positive ISO-8601 duration, e.g. PT5M");
    }
    if (archiveShards < 1 || archiveShards > 1024) {
      throw new IllegalArgumentException("--archive-shards " + archiveShards + " must be between 1 and 1024");
    }
    long batchBytes = Math.round(archiveFileBytes / archiveParquetRatio);
    return new EventBatching(e -> ArchivePartition.of(e).path(), batchBytes, archiveMaxDelay, archiveShards, !bounded);
  }

  /** Every output the options ask for; throws {@link IllegalArgumentException} naming the option and the fix. */
  StreamingSinks sinks(StreamingConfig config) {
    if ((alertsTopic == null) != (rulesUrl == null)) {
      throw new IllegalArgumentException(
          alertsTopic == null
              ? "--rules-url is set but --alerts-topic is not: give the topic alerts go to, e.g. "
                  + KafkaAlertSinkFactory.DEFAULT_TOPIC
              : "--alerts-topic is set but --rules-url is not: give the rules database, "
                  + "e.g. jdbc:postgresql://crdb:26257/sluice (RulesMain init/add creates rules)");
    }
    if (streaming.cassandra().isEmpty() && opensearch.isEmpty() && archive == null && alertsTopic == null) {
      throw new IllegalArgumentException(
          "no output: give at least one of --cassandra, --opensearch, --archive, --alerts-topic (see --help)");
    }
    StreamingSinks.Builder sinks = StreamingSinks.builder();
    if (!opensearch.isEmpty()) {
      OpenSearchConnection connection;
      try {
        connection = new OpenSearchConnection(opensearch, opensearchUser, opensearchPasswordEnv);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--opensearch: " + e.getMessage(), e);
      }
      sinks.addEvents(new OpenSearchSinkFactory(connection, indexPrefix, true, replicas));
    }
    if (archive != null) {
      ArchiveConfig archiveConfig;
      try {
        archiveConfig = ArchiveConfig.builder(archive).hadoop(archiveHadoop).maxRowsPerFile(archiveMaxRows).build();
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--archive: " + e.getMessage(), e);
      }
      sinks.addBatchedEvents(ParquetArchive.sinkFactory(archiveConfig), archiveBatching(archiveConfig));
    }
    if (alertsTopic != null) {
      String kafka = alertsBootstrapServers != null ? alertsBootstrapServers : config.bootstrapServers();
      sinks.alerts(new KafkaAlertSinkFactory(kafka, alertsTopic));
      try {
        sinks.rules(new JdbcAlertRuleSource(rulesUrl, rulesUser, rulesPasswordEnv));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--rules-url: " + e.getMessage(), e);
      }
    }
    // last: it connects to Cassandra to apply the schema, after every cheaper check passed
    streaming.attachCassandra(sinks);
    return sinks.build();
  }

  /** {@code 8388608}, {@code 512KiB}, {@code 8MiB}, {@code 1GiB} (case-insensitive) → bytes. */
  static final class ByteSizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      long unit = 1;
      for (String[] suffix : new String[][] {{"kib", "10"}, {"mib", "20"}, {"gib", "30"}, {"b", "0"}}) {
        if (v.endsWith(suffix[0])) {
          unit = 1L << Integer.parseInt(suffix[1]);
          v = v.substring(0, v.length() - suffix[0].length()).trim();
          break;
        }
      }
      try {
        return Math.multiplyExact(Long.parseLong(v), unit);
      } catch (NumberFormatException | ArithmeticException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a byte size: write a whole number of bytes or one with KiB, MiB or GiB, e.g. 8MiB");
      }
    }
  }
}
