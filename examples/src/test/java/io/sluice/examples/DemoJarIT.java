package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command runs {@code target/sluice-demo.jar}: run that very jar (built in the package phase),
 * small, so a dependency missing from the jar fails here rather than on a newcomer's machine.
 */
class DemoJarIT {
  @TempDir Path dir;

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
}
