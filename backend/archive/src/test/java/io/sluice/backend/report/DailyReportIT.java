package io.sluice.backend.report;

import static java.util.stream.Collectors.counting;
import static java.util.stream.Collectors.groupingBy;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.archive.DuckDb;
import io.sluice.backend.archive.ParquetArchive;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cross-check of issue 7 on real engines: records with resent batches, de-duplicated (Truth stands in for the
 * streaming job), archived on HDFS (MiniDFSCluster) — twice, as a replay after a crash would — then counted by the
 * MapReduce report (LocalJobRunner) and by DuckDB reading a copy of the archive: both equal the truth exactly.
 */
@ExtendWith(MiniDfs.class)
class DailyReportIT {
  private static final LocalDate DAY = LocalDate.parse("2026-11-23");
  private static TestRecords.Generated generated;
  private static List<LogEvent> distinct;
  private static String archive;
  private static String reportDir;
  private static String cliOutput;

  @BeforeAll
  static void archiveADayAndReportIt() throws Exception {
    // 3 hours x 3 services in 2 bundles: ~15 files (each file is a map task, and small files are slow on HDFS)
    long start = Instant.parse("2026-11-23T20:20:00Z").toEpochMilli();
    generated = TestRecords.generate(11, 12_000, 100, start, 3 * 3_600_000L, 60, "sluice-logs");
    distinct = Truth.distinctEvents(generated.records());
    assertThat(generated.records()).as("the input carries duplicates").hasSizeGreaterThan(distinct.size());

    archive = MiniDfs.uri() + "/sluice/logs";
    SinkFactory<LogEvent> factory = ParquetArchive.sinkFactory(URI.create(archive), MiniDfs.CLIENT);
    long t0 = System.nanoTime();
    writeInChunks(factory, distinct, 6_000);
    long t1 = System.nanoTime();
    writeInChunks(factory, distinct, 6_000); // a replay of every bundle: must not double-count
    long t2 = System.nanoTime();
    // the job runs once, through its CLI, and the tests below check what it wrote
    reportDir = MiniDfs.uri() + "/reports/" + DAY;
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DailyReportMain.run(new PrintWriter(out), new PrintWriter(err),
        "--archive", archive, "--date", DAY.toString(), "--output", reportDir, "--top", "5",
        "--framework", "local", "-D", "hadoop.tmp.dir=" + MiniDfs.jobConf().get("hadoop.tmp.dir"),
        "-D", "mapreduce.local.map.tasks.maximum=2",
        "-D", "dfs.client.block.write.locateFollowingBlock.initial.delay.ms=20");
    assertThat(code).as(err.toString()).isZero();
    cliOutput = out.toString();
    System.err.printf("archived %d events to HDFS in %d ms, replayed in %d ms, report in %d ms%n", distinct.size(),
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
  }

  @Test
  void mapReduceCountsEqualTheTruth() throws Exception {
    Map<String, Long> counts = new TreeMap<>();
    List<String> lines = readLines(reportDir + "/" + DailyReportJob.COUNTS_FILE);
    assertThat(lines.get(0)).isEqualTo("date,tenant,service,severity,count");
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      assertThat(f[0]).isEqualTo(DAY.toString());
      counts.put(f[1] + "/" + f[2] + "/" + f[3], Long.parseLong(f[4]));
    }

    assertThat(counts).isEqualTo(Truth.countsByServiceAndSeverity(generated.records()));
    assertThat(cliOutput).contains("daily report for 2026-11-23: " + distinct.size() + " events");
  }

  @Test
  void duckDbReadingTheArchiveCountsTheSame(@TempDir Path local) throws Exception {
    FileSystem fs = MiniDfs.cluster().getFileSystem();
    fs.copyToLocalFile(new org.apache.hadoop.fs.Path(archive), new org.apache.hadoop.fs.Path(local.toUri()));
    Path copy = local.resolve("logs");

    assertThat(DuckDb.countsByTenantServiceSeverity(copy))
        .isEqualTo(Truth.countsByServiceAndSeverity(generated.records()));
    assertThat(DuckDb.single("SELECT count(*) - count(DISTINCT identity) FROM " + DuckDb.table(copy)))
        .as("no row archived twice").isZero();
  }

  @Test
  void topErrorsRankFingerprintsByCountWithTheirFirstOccurrence() throws Exception {
    record Key(String tenant, String service, String fingerprint) {}
    Map<Key, Long> byFingerprint = distinct.stream().filter(e -> !e.fingerprint().isEmpty())
        .collect(groupingBy(e -> new Key(e.tenant(), e.service(), e.fingerprint()), counting()));
    List<Map.Entry<Key, Long>> ranked = new ArrayList<>(byFingerprint.entrySet());
    ranked.sort(Comparator.<Map.Entry<Key, Long>>comparingLong(e -> -e.getValue())
        .thenComparing(e -> e.getKey().tenant()).thenComparing(e -> e.getKey().service())
        .thenComparing(e -> e.getKey().fingerprint()));
    assertThat(ranked).hasSizeGreaterThan(5);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Key k = ranked.get(i).getKey();
      LogEvent first = distinct.stream()
          .filter(e -> e.tenant().equals(k.tenant()) && e.service().equals(k.service())
              && e.fingerprint().equals(k.fingerprint()))
          .min(Comparator.comparingLong(LogEvent::timeUnixNano)).orElseThrow();
      expected.add(String.join(",", Integer.toString(i + 1), k.tenant(), k.service(), k.fingerprint(),
          Long.toString(ranked.get(i).getValue()), Instant.ofEpochSecond(0, first.timeUnixNano()).toString(),
          first.exceptionType(), first.topFrame(), first.body()));
    }

    List<String> lines = readLines(reportDir + "/" + DailyReportJob.TOP_ERRORS_FILE);
    assertThat(lines.get(0))
        .isEqualTo("rank,tenant,service,fingerprint,count,first_seen,exception_type,top_frame,example");
    assertThat(lines.subList(1, lines.size())).containsExactlyElementsOf(expected);
    long errorEvents = byFingerprint.values().stream().mapToLong(Long::longValue).sum();
    assertThat(cliOutput).contains(", " + errorEvents + " with an error fingerprint");
  }

  @Test
  void cliNamesTheOptionAtFault() throws Exception {
    String output = MiniDfs.uri() + "/reports/cli";
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    StringWriter badDate = new StringWriter();
    assertThat(DailyReportMain.run(new PrintWriter(out), new PrintWriter(badDate),
        "--archive", archive, "--date", "2026-13-01", "--output", output)).isEqualTo(2);
    assertThat(badDate.toString()).contains("--date").contains("YYYY-MM-DD");

    StringWriter noDay = new StringWriter();
    assertThat(DailyReportMain.run(new PrintWriter(out), new PrintWriter(noDay),
        "--archive", archive, "--date", "2026-11-20", "--output", output + "-none")).as(noDay.toString()).isEqualTo(2);
    assertThat(noDay.toString()).contains("no partition for --date 2026-11-20");

    StringWriter exists = new StringWriter();
    assertThat(DailyReportMain.run(new PrintWriter(out), new PrintWriter(exists),
        "--archive", archive, "--date", DAY.toString(), "--output", reportDir)).isEqualTo(2);
    assertThat(exists.toString()).contains("already exists").contains("--overwrite");

    StringWriter badFramework = new StringWriter();
    assertThat(DailyReportMain.run(new PrintWriter(out), new PrintWriter(badFramework),
        "--archive", archive, "--date", DAY.toString(), "--output", output, "--framework", "spark")).isEqualTo(2);
    assertThat(badFramework.toString()).contains("--framework is 'spark'");

    StringWriter help = new StringWriter();
    assertThat(DailyReportMain.run(new PrintWriter(help), new PrintWriter(err), "--help")).isZero();
    assertThat(help.toString()).contains("--archive").contains("--fs-default-fs").contains("--top");
  }

  private static List<String> readLines(String uri) throws Exception {
    org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(uri);
    FileSystem fs = path.getFileSystem(MiniDfs.jobConf());
    try (BufferedReader in = new BufferedReader(new InputStreamReader(fs.open(path), StandardCharsets.UTF_8))) {
      return in.lines().toList();
    }
  }

  private static void writeInChunks(SinkFactory<LogEvent> factory, List<LogEvent> events, int chunk)
      throws Exception {
    try (Sink<LogEvent> sink = factory.open()) {
      for (int i = 0; i < events.size(); i += chunk) {
        sink.write(events.subList(i, Math.min(events.size(), i + chunk)));
      }
    }
  }
}
