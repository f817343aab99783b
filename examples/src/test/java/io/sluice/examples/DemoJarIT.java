package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command runs {@code target/sluice-demo.jar}: run that very jar (built in the package phase),
 * small, so a dependency missing from the jar fails here rather than on a newcomer's machine. {@code ./sluice demo
 * --backend} runs the same jar with {@code --backend-jar backend/demo/target/sluice-backend-demo.jar}: so does the
 * second test.
 */
class DemoJarIT {
  @TempDir
  Path dir;

  @Test
  void theDemoJarRunsEndToEndAndExitsZero() throws IOException, InterruptedException {
    Path jar = Path.of("target", "sluice-demo.jar");
    assertThat(jar).exists();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path out = dir.resolve("demo.out");
    Process p = new ProcessBuilder(List.of(java, "-Xmx512m", "-jar", jar.toString(), "--records", "3000",
        "--rate", "3000", "--outage-seconds", "0.5", "--work-dir", dir.resolve("work").toString()))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean exited = p.waitFor(180, TimeUnit.SECONDS);
    if (!exited) p.destroyForcibly();
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(exited).as("demo finished; output:%n%s", printed).isTrue();
    assertThat(p.exitValue()).as("exit code; output:%n%s", printed).isZero();
    assertThat(printed).contains("OK: nothing lost").doesNotContain("Exception");
  }

  @Test
  void theDemoJarWithTheBackendJarPrintsAggregatesThatAddUpToTheDeliveredRecordsAndExitsZero() throws Exception {
    Path jar = Path.of("target", "sluice-demo.jar");
    assertThat(jar).exists();
    Path backendJar = BackendSeamIT.backendJar();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path out = dir.resolve("demo-backend.out");
    // the command line ./sluice demo --backend execs, smaller
    Process p = new ProcessBuilder(List.of(java, "-Xmx1g", "-jar", jar.toString(), "--records", "3000",
        "--rate", "3000", "--outage-seconds", "0.5", "--work-dir", dir.resolve("work").toString(),
        "--backend-jar", backendJar.toString()))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    boolean exited = p.waitFor(10, TimeUnit.MINUTES); // a bound against a hang (Flink and Cassandra start inside)
    if (!exited) p.destroyForcibly().waitFor();
    String printed = Files.readString(out, StandardCharsets.UTF_8);
    System.out.println(printed);
    assertThat(exited).as("demo finished; output:%n%s", printed).isTrue();
    assertThat(p.exitValue()).as("exit code; output:%n%s", printed).isZero();
    long delivered = number(printed, "delivered\\s+(\\S+) distinct records in Kafka");
    long total = number(printed, "total \\(Cassandra's per-minute aggregates\\)\\s+(\\S+)");
    assertThat(delivered).isEqualTo(3_000);
    assertThat(total).as("Cassandra's aggregates == the demo's distinct delivered records").isEqualTo(delivered);
    assertThat(printed).contains("OK: nothing lost", "== the demo's delivered count");
  }

  /** The number printed where {@code regex}'s group 1 is, in any locale's grouping. */
  private static long number(String printed, String regex) {
    Matcher m = Pattern.compile(regex).matcher(printed);
    assertThat(m.find()).as("output has /%s/:%n%s", regex, printed).isTrue();
    return Long.parseLong(m.group(1).replaceAll("\\D", ""));
  }
}
