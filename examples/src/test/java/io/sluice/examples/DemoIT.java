package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.examples.demo.Demo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's first command, smaller: the demo must deliver everything and say so. */
class DemoIT {
  @TempDir
  Path dir;

  @Test
  void demoDeliversEverythingAcrossACollectorRestartAndPrintsTheSummary() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    Demo.Result r = Demo.run(new Demo.Options(20_000, 10_000, Duration.ofSeconds(1), dir, true), out);
    String printed = bytes.toString(StandardCharsets.UTF_8);

    assertThat(r.sent()).isEqualTo(20_000);
    assertThat(r.delivered()).isEqualTo(20_000);
    assertThat(r.lost()).isZero();
    assertThat(r.peakSpoolBytes()).as("the spool held the outage's records").isPositive();
    assertThat(printed).contains("sent", "delivered", "duplicates", "lost", "OK: nothing lost");
  }
}
