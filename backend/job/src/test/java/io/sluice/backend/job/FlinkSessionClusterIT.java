package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.backend.archive.DuckDb;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The production job on a real Flink cluster, not the MiniCluster of a test JVM: a standalone session cluster
 * (JobManager and TaskManager as two JVMs on Flink's distribution class path, {@link FlinkSessionCluster}) and
 * {@code java -jar target/sluice-backend-job.jar --bounded --archive=file://... --flinkMaster=127.0.0.1:<rest>
 * --filesToStage=<that jar>} as a third JVM, as an operator submits it. The job's classes reach the TaskManager
 * only in the staged fat jar, loaded child-first under Flink's parent-first patterns, and every function, coder and
 * sink is serialized across processes: the class-loading and serialization failures that a MiniCluster (one class
 * path, one JVM) cannot show. Collector-like records with resent batches in the shared KRaft broker; the Parquet
 * archive on the local file system, read by DuckDB: each distinct record exactly once, counts per
 * tenant/service/severity equal to {@link Truth}; the job's own books balanced (exit code 0).
 */
class FlinkSessionClusterIT {
  private static final String TOPIC = "sluice.cluster-it";
  private static final int DISTINCT = 3_000;
  private static final java.time.Duration CLIENT_PATIENCE = java.time.Duration.ofMinutes(10);

  private static Path work;
  private static FlinkSessionCluster cluster;
  private static List<RawRecord> records;

  @BeforeAll
  static void startTheClusterAndFillKafka() throws Exception {
    work = Files.createDirectories(
        Path.of("target", "flink-session-" + ProcessHandle.current().pid()).toAbsolutePath());
    cluster = FlinkSessionCluster.start(work, 2); // starts while Kafka starts and fills
    // two days far from any clock the test may run by, from shippers of two spool epochs
    records = new ArrayList<>();
    long epoch = 1;
    for (LocalDate day : List.of(LocalDate.parse("2004-02-29"), LocalDate.parse("2091-06-30"))) {
      long start = day.atTime(23, 30).toInstant(ZoneOffset.UTC).toEpochMilli();
      records.addAll(TestRecords.generate(70 + epoch, DISTINCT / 2, 50, start, 20 * 60_000L, 5, TOPIC, epoch)
          .records());
      epoch++;
    }
    assertThat(records).as("the input carries duplicates").hasSizeGreaterThan(DISTINCT);
    TestKafka kafka = TestKafka.shared();
    kafka.createTopic(TOPIC, 2);
    kafka.produce(records);
    cluster.awaitReady();
  }

  @AfterAll
  static void stopTheCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theFatJarRunsOnASeparateJobManagerAndTaskManagerAndTheArchiveEqualsTheTruth() throws Exception {
    Path jar = Path.of(System.getProperty("sluice.job.jar", "target/sluice-backend-job.jar")).toAbsolutePath();
    assertThat(jar).as("the fat jar, packaged before the integration tests").exists();
    assertThat(cluster.processes()).hasSize(2).allSatisfy(p -> {
      assertThat(p.isAlive()).isTrue();
      assertThat(p.pid()).isNotEqualTo(ProcessHandle.current().pid());
    });
    Path archive = work.resolve("archive");
    List<String> cmd = new ArrayList<>(List.of(FlinkSessionCluster.javaBin(), "-Xmx512m"));
    cmd.addAll(FlinkSessionCluster.TEST_JVM_OPTS);
    cmd.addAll(FlinkSessionCluster.JAVA_17_OPTS);
    cmd.addAll(List.of("-jar", jar.toString(),
        "--bootstrap-servers=" + TestKafka.shared().bootstrapServers(), "--topics=" + TOPIC, "--bounded",
        "--archive=" + archive.toUri(),
        "--flinkMaster=" + cluster.master(), "--filesToStage=" + jar, "--parallelism=2"));
    Path out = work.resolve("job-client.out");
    Process client = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(out.toFile()).start();
    int exit;
    try {
      // a hang guard, not a timing assertion: under 2 busy loops on a machine at load ~40 (2 cores) the client
      // needed 80 s to upload the 303 MB jar and the job was still reading Kafka at 180 s (run 2 of under-load)
      boolean done = client.waitFor(CLIENT_PATIENCE.toSeconds(), TimeUnit.SECONDS);
      assertThat(done).as("the job client finished:%n%s%n%s", FlinkSessionCluster.tail(out, 60), cluster.logTails())
          .isTrue();
      exit = client.exitValue();
    } finally {
      client.descendants().forEach(ProcessHandle::destroyForcibly);
      client.destroyForcibly();
    }
    String clientOut = Files.readString(out);
    System.out.println("job client:\n" + FlinkSessionCluster.tail(out, 5));
    assertThat(exit).as("JobMain's exit code (0 = finished and its books balance):%n%s%n%s",
        FlinkSessionCluster.tail(out, 80), cluster.logTails()).isZero();
    assertThat(clientOut).contains("sluice-job: {");
    // the jar's own logging configuration (logback.xml): Logback's default would log at DEBUG
    assertThat(clientOut.lines().filter(l -> l.contains(" DEBUG "))).as("DEBUG lines from java -jar").isEmpty();

    // it ran on the session cluster: the JobManager lists it, finished, with the tasks on the TaskManager
    JsonNode jobs = cluster.get("/jobs/overview").path("jobs");
    assertThat(jobs).hasSize(1);
    assertThat(jobs.get(0).path("state").asText()).isEqualTo("FINISHED");

    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(archive))).isEqualTo(DISTINCT);
    assertThat(DuckDb.single("SELECT count(*) - count(DISTINCT identity) FROM " + DuckDb.table(archive))).isZero();
    assertThat(DuckDb.countsByTenantServiceSeverity(archive)).isEqualTo(Truth.countsByServiceAndSeverity(records));
  }
}
