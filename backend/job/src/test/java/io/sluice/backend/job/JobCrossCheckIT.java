package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.Severity;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import io.sluice.backend.report.DailyReportJob;
import io.sluice.backend.report.MiniDfs;
import io.sluice.backend.streaming.EmbeddedCassandra;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Issue 7's cross-check in one test, on real engines in this JVM: collector-like records with resent batches in a
 * KRaft broker (2 partitions) → the production job through its CLI ({@code JobMain --bounded}) on the Flink runner
 * [local], parallelism 2, writing Cassandra's per-minute aggregates AND the Parquet archive on a MiniDFSCluster →
 * the MapReduce daily report (LocalJobRunner) over that archive. MapReduce's counts per tenant/service/severity,
 * Cassandra's streaming aggregates (summed over the minutes) and the truth must be equal, exactly.
 */
@ExtendWith(MiniDfs.class)
class JobCrossCheckIT {
  private static final String TOPIC = "sluice.logs";
  // far from any clock this test runs by, on both sides: the job's figures must not depend on when it runs
  private static final LocalDate PAST = LocalDate.parse("2003-03-14");
  private static final LocalDate FUTURE = LocalDate.parse("2097-08-09");
  private static final List<LocalDate> DAYS = List.of(PAST, FUTURE);
  private static final int DISTINCT = Integer.getInteger("sluice.it.records", 20_000);
  private static final String KEYSPACE = "sluice_job";

  private static List<RawRecord> records;
  private static CassandraSettings cassandra;
  private static int jobExit;
  private static String jobErr;
  private static String jobOut;
  private static Map<LocalDate, DailyReportJob.Result> reports = new TreeMap<>();

  @BeforeAll
  static void runTheJobThenTheReport() throws Exception {
    // half the records 23 years ago, half 71 years ahead, from shippers of different spool epochs; sent as the
    // collector sends them (Kafka timestamp = send time), the past half first
    records = new ArrayList<>();
    long epoch = 1;
    for (LocalDate day : DAYS) {
      long start = day.atTime(10, 0).toInstant(ZoneOffset.UTC).toEpochMilli();
      records.addAll(
          TestRecords.generate(41 + epoch, DISTINCT / 2, 100, start, 30 * 60_000L, DISTINCT / 1000, TOPIC, epoch)
              .records());
      epoch++;
    }
    assertThat(records).as("the input carries duplicates").hasSizeGreaterThan(DISTINCT);
    TestKafka kafka = TestKafka.shared();
    kafka.createTopic(TOPIC, 2);
    kafka.produce(records);
    EmbeddedCassandra node = EmbeddedCassandra.get();
    cassandra = new CassandraSettings(List.of(node.contactPoint()), EmbeddedCassandra.DATACENTER, KEYSPACE);

    String archive = MiniDfs.uri() + "/sluice/logs";
    List<String> args = new ArrayList<>(List.of(
        "--bootstrap-servers=" + kafka.bootstrapServers(), "--topics=" + TOPIC, "--bounded",
        "--cassandra=" + node.contactPoint(), "--cassandra-keyspace=" + KEYSPACE,
        "--archive=" + archive,
        // Beam options: Flink's local cluster (the archive batches by partition itself: no bundle-size workaround)
        "--flinkMaster=[local]", "--parallelism=2"));
    MiniDfs.CLIENT.forEach((k, v) -> args.add("--archive-hadoop=" + k + "=" + v));
    StringWriter err = new StringWriter();
    StringWriter out = new StringWriter();
    long t0 = System.nanoTime();
    jobExit = JobMain.commandLine().setErr(new PrintWriter(err, true)).setOut(new PrintWriter(out, true))
        .execute(args.toArray(String[]::new));
    double seconds = (System.nanoTime() - t0) / 1e9;
    jobErr = err.toString();
    jobOut = out.toString();
    System.out.printf(
        "job (Cassandra + Parquet on HDFS) on Flink [local] p=2, bounded: %d Kafka records (%d distinct) in %.1f s"
            + " = %.0f records/s%n",
        records.size(), DISTINCT, seconds, records.size() / seconds);
    System.out.println(jobOut);
    if (jobExit != 0) {
      return; // the tests report the job's error; there is no archive to report on
    }

    FileSystem fs = new Path(archive).getFileSystem(MiniDfs.jobConf());
    var files = fs.listFiles(new Path(archive), true);
    List<String> parquet = new ArrayList<>();
    while (files.hasNext()) {
      var f = files.next();
      if (f.getPath().getName().endsWith(".parquet")) {
        parquet.add(f.getPath().getParent().toUri().getPath().replace(new Path(archive).toUri().getPath() + "/", "")
            + " " + f.getLen());
      }
    }
    System.out.printf("archive: %d Parquet files (partition, bytes): %s%n", parquet.size(), parquet);

    long t1 = System.nanoTime();
    for (LocalDate day : DAYS) {
      reports.put(day, DailyReportJob.run(
          MiniDfs.jobConf(), new Path(archive), day, new Path(MiniDfs.uri() + "/reports/" + day), 5));
    }
    System.out.printf("MapReduce daily reports over the job's archive in %.1f s%n", (System.nanoTime() - t1) / 1e9);
  }

  @Test
  void mapReduceCountsEqualCassandrasStreamingAggregatesEqualTheTruth() throws Exception {
    assertThat(jobExit).as(jobErr).isZero();
    Map<String, Long> truth = Truth.countsByServiceAndSeverity(records);

    Map<String, Long> mapReduce = new TreeMap<>();
    long events = 0;
    for (LocalDate day : DAYS) {
      DailyReportJob.Result report = reports.get(day);
      List<String> lines = readLines(report.counts());
      assertThat(lines.get(0)).isEqualTo("date,tenant,service,severity,count");
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.split(",");
        assertThat(f[0]).isEqualTo(day.toString());
        mapReduce.merge(f[1] + "/" + f[2] + "/" + f[3], Long.parseLong(f[4]), Long::sum);
      }
      events += report.events();
    }

    Map<String, Long> streaming = new TreeMap<>();
    cassandraMinuteCounts().forEach(
        (k, v) -> streaming.merge(k.tenant() + "/" + k.service() + "/" + k.severity(), v, Long::sum));

    assertThat(truth.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(DISTINCT);
    assertThat(mapReduce).isEqualTo(truth);
    assertThat(streaming).isEqualTo(truth);
    assertThat(events).isEqualTo(DISTINCT);
  }

  @Test
  void cassandrasMinuteCountsEqualTheTruthPerMinute() {
    assertThat(jobExit).as(jobErr).isZero();
    assertThat(cassandraMinuteCounts()).isEqualTo(Truth.minuteCounts(records));
  }

  /** Cassandra's minute_counts rows as (tenant, service, severity, minute) → records. */
  private static Map<Truth.Key, Long> cassandraMinuteCounts() {
    Map<Truth.Key, Long> got = new HashMap<>(); // equals() any Map with the same entries
    try (CqlSession session = cassandra.connect()) {
      for (Row r : session
          .execute("SELECT tenant, service, minute, severity, records FROM " + KEYSPACE + ".minute_counts")) {
        got.put(
            new Truth.Key(r.getString("tenant"), r.getString("service"),
                Severity.valueOf(r.getString("severity")), r.getInstant("minute").toEpochMilli()),
            r.getLong("records"));
      }
    }
    return got;
  }

  private static List<String> readLines(Path path) throws Exception {
    FileSystem fs = path.getFileSystem(MiniDfs.jobConf());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(path), StandardCharsets.UTF_8))) {
      return in.lines().toList();
    }
  }
}
