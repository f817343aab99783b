package io.sluice.backend.job;

import static org.awaitility.Awaitility.await;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.Truth;
import io.sluice.backend.streaming.StreamingConfig;
import io.sluice.backend.streaming.StreamingJobMain;
import io.sluice.backend.streaming.StreamingPipeline;
import io.sluice.backend.streaming.StreamingSinks;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.client.JobStatusMessage;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

/**
 * The recovery ITs' shared machinery, free of any output's classes (it runs in both failsafe JVMs): a Flink 1.19
 * MiniCluster of this JVM (one TaskManager, 2 slots) and a REST client to it; the unbounded job submitted as
 * {@code JobMain} builds it from its options, to the REST endpoint ({@code --attachedMode=false}, one empty jar
 * staged, classes parent-first) with {@link CountingSinks} around its sinks; stop with a savepoint; TaskManager loss; and
 * the records produced so far, for the truth.
 */
final class RecoveryHarness implements AutoCloseable {
  static final Duration PATIENCE = Duration.ofSeconds(150);

  final String topic;
  final String group;
  final Path work;
  /** What {@link #submit} stages: an empty jar (see there why not nothing). */
  private final Path emptyJar;
  final TestKafka kafka;
  final MiniCluster flink;
  final RestClusterClient<StandaloneClusterId> client;
  /** Every record produced so far, resends included, in order. */
  final List<RawRecord> all = new ArrayList<>();

  private RecoveryHarness(String name, String topic) throws Exception {
    this.topic = topic;
    this.group = "sluice-" + name + "-it";
    work = Files.createDirectories(Path.of("target", name + "-" + ProcessHandle.current().pid()).toAbsolutePath());
    emptyJar = work.resolve("empty.jar");
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(emptyJar), manifest)) {
      // a manifest only: the job's classes come from this JVM's class path (see submit)
    }
    kafka = TestKafka.shared();
    kafka.createTopic(topic, 2);
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
    conf.set(RestOptions.BIND_PORT, "0");
    // the job stages only an empty jar (see submit): its classes come from this JVM's class path, as the test's sink
    // counts do
    conf.set(CoreOptions.CLASSLOADER_RESOLVE_ORDER, "parent-first");
    conf.set(CheckpointingOptions.SAVEPOINT_DIRECTORY, work.resolve("savepoints").toUri().toString());
    flink = new MiniCluster(
        new MiniClusterConfiguration.Builder()
            .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(2).build());
    flink.start();
    URI rest = flink.getRestAddress().get();
    Configuration clientConf = new Configuration();
    clientConf.set(RestOptions.ADDRESS, rest.getHost());
    clientConf.set(RestOptions.PORT, rest.getPort());
    client = new RestClusterClient<>(clientConf, StandaloneClusterId.getInstance());
  }

  /** Starts the cluster; {@code name} names the work directory under target/ and the consumer group. */
  static RecoveryHarness start(String name, String topic) throws Exception {
    return new RecoveryHarness(name, topic);
  }

  @Override
  public void close() throws Exception {
    try {
      client.close();
    } finally {
      flink.close();
    }
  }

  /**
   * Submits the unbounded job as JobMain builds it from {@code outputs} (its output options), to the MiniCluster's
   * REST endpoint, from {@code savepoint} if not null; returns once it runs.
   */
  JobID submit(List<String> outputs, String savepoint) throws Exception {
    URI rest = flink.getRestAddress().get();
    List<String> args = new ArrayList<>(List.of(
        "--bootstrap-servers=" + kafka.bootstrapServers(), "--topics=" + topic, "--group-id=" + group));
    args.addAll(outputs);
    args.addAll(List.of(
        "--flinkMaster=" + rest.getHost() + ":" + rest.getPort(), "--parallelism=2", "--streaming=true",
        "--checkpointingInterval=1000", "--numberOfExecutionRetries=5", "--executionRetryDelay=500",
        "--attachedMode=false"));
    if (savepoint != null) {
      args.add("--savepointPath=" + savepoint);
    }
    picocli.CommandLine cl = JobMain.commandLine();
    cl.parseArgs(args.toArray(String[]::new));
    JobMain job = cl.getCommand();
    StreamingConfig config = job.streaming.config(false);
    StreamingSinks sinks = CountingSinks.wrap(job.sinks(config));
    PipelineOptions options = StreamingJobMain.beamOptions(job.beamArgs);
    // nothing to upload: the cluster runs in this JVM and loads the job's classes parent-first. Beam reads an empty
    // filesToStage as "not set" and stages the whole test class path instead (PipelineResources
    // .prepareFilesForStaging: ~200 jars, Cassandra's, Hadoop's minicluster and DuckDB's among them, through REST and
    // the BLOB server on every submit, ~40 s of each one here), so it is given one empty jar
    options.as(FlinkPipelineOptions.class).setFilesToStage(List.of(emptyJar.toString()));
    Collection<JobID> before = jobIds();
    Pipeline pipeline = Pipeline.create(options);
    StreamingPipeline.build(pipeline, config, sinks);
    pipeline.run();
    JobID[] id = new JobID[1];
    await().atMost(PATIENCE).until(() -> {
      for (JobStatusMessage m : flink.listJobs().get()) {
        if (!before.contains(m.getJobId()) && m.getJobState() == JobStatus.RUNNING) {
          id[0] = m.getJobId();
          return true;
        }
      }
      return false;
    });
    return id[0];
  }

  /** Stops {@code job} with a savepoint through REST, as an operator would; returns its path once the job finished. */
  String stopWithSavepoint(JobID job) throws Exception {
    String savepoint = client.stopWithSavepoint(job, false, null, SavepointFormatType.CANONICAL).get();
    await().atMost(PATIENCE).until(() -> client.getJobStatus(job).get() == JobStatus.FINISHED);
    return savepoint;
  }

  /** Kills the only TaskManager and starts a new one: Flink restarts the job from its last checkpoint. */
  void loseTaskManager() throws Exception {
    flink.terminateTaskManager(0).get();
    flink.startTaskManager();
  }

  AccessExecutionGraph executionGraph(JobID job) throws Exception {
    return flink.getExecutionGraph(job).get();
  }

  long completedCheckpoints(JobID job) throws Exception {
    return executionGraph(job).getCheckpointStatsSnapshot().getCounts().getNumberOfCompletedCheckpoints();
  }

  /** Waits until a checkpoint of {@code job} completes after this call. */
  void awaitNextCheckpoint(JobID job) throws Exception {
    long completed = completedCheckpoints(job);
    await().atMost(PATIENCE).until(() -> completedCheckpoints(job) > completed);
  }

  /** The highest attempt number of any task of the job: 0 until a failure restarted it. */
  static int maxAttempt(AccessExecutionGraph graph) {
    int max = 0;
    for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
      max = Math.max(max, v.getCurrentExecutionAttempt().getAttemptNumber());
    }
    return max;
  }

  /**
   * True in the failsafe JVM with Cassandra's server ("default"), false in the one with OpenSearch
   * ("search-alerts"). {@code -Dit.test=...} overrides each execution's includes, so both JVMs are offered both
   * recovery ITs; each disables itself in the other's JVM (and fails, rather than skips, in a JVM with neither).
   */
  static boolean cassandraJvm() {
    return onClassPath("org.apache.cassandra.service.CassandraDaemon");
  }

  /** True in the failsafe JVM with OpenSearch ("search-alerts"); see {@link #cassandraJvm()}. */
  static boolean openSearchJvm() {
    return onClassPath("org.codelibs.opensearch.runner.OpenSearchRunner");
  }

  private static boolean onClassPath(String name) {
    try {
      Class.forName(name, false, RecoveryHarness.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private Collection<JobID> jobIds() throws Exception {
    return flink.listJobs().get().stream().map(JobStatusMessage::getJobId).toList();
  }

  /** Produces {@code records} to the topic and adds them to {@link #all}. */
  void produce(List<RawRecord> records) throws Exception {
    kafka.produce(records);
    all.addAll(records);
  }

  static List<RawRecord> concat(List<RawRecord> a, List<RawRecord> b) {
    List<RawRecord> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  static List<LogEvent> distinct(List<RawRecord> records) {
    return Truth.distinctEvents(records);
  }

  static List<String> identities(List<RawRecord> records) {
    return distinct(records).stream().map(e -> e.identity().key()).toList();
  }
}
