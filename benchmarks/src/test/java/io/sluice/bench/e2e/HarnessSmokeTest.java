package io.sluice.bench.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the end-to-end harness working under {@code ./mvnw verify}: a ~2 s Sluice run at a tiny fixed rate through
 * the real collector and an in-process broker, nothing lost, and a report with every field, its CSV and its chart.
 * (JMH never runs in the build.)
 */
class HarnessSmokeTest {

  @Test
  void shortSluiceRunLosesNothingAndReportsEveryField(@TempDir Path out) throws Exception {
    Options options = Options.parse("--scenarios", "sluice", "--threads", "1", "--record-bytes", "200",
        "--rate", "500", "--duration", "2s", "--warmup", "500", "--out", out.toString(), "--label", "smoke");
    ByteArrayOutputStream console = new ByteArrayOutputStream();

    Harness.Report report = Harness.run(options, new PrintStream(console, true, StandardCharsets.UTF_8));

    assertThat(report.runs()).hasSize(1);
    RunResult run = report.runs().get(0);
    assertThat(run.sent()).isPositive();
    assertThat(run.lost()).isZero();
    assertThat(run.delivered()).isEqualTo(run.sent());
    assertThat(run.duplicates()).isZero();
    assertThat(run.fields()).containsOnlyKeys(RunResult.FIELDS);
    assertThat(run.fields().values()).allSatisfy(v -> assertThat(v).isNotBlank());
    assertThat(run.p99Ms()).isPositive();
    assertThat(run.recordsPerSecond()).isPositive();
    assertThat(run.cpuSecondsPerMillion()).isPositive();
    assertThat(report.zstdRatio()).containsKeys(1, 3);

    String csv = Files.readString(out.resolve("smoke.csv"));
    assertThat(csv.lines().findFirst()).hasValue(String.join(",", RunResult.FIELDS));
    assertThat(csv.lines().count()).isEqualTo(2);
    assertThat(Files.readString(out.resolve("smoke.md"))).contains("| sluice | 1 | 200 | 500 |");
    assertThat(out.resolve("smoke-latency.png")).isNotEmptyFile();
  }
}
