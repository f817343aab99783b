package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real "silent total loss" case: an application with {@code opentelemetry-api} on its classpath but not
 * {@code opentelemetry-common} (an exclusion, an older BOM). Every capture then throws {@code NoClassDefFoundError}
 * ({@code Span.current()} needs it). Run as a child JVM on this module's test classpath without that one jar.
 */
class CaptureFailureTest {
  static final int EVENTS = 500;

  @Test
  void countsAndReportsEveryEventWhenOpentelemetryCommonIsMissing(@TempDir Path dir) throws Exception {
    List<String> classpath = testClassPath();
    assertThat(classpath).as("the test classpath has opentelemetry-common to take away")
        .anyMatch(CaptureFailureTest::isOtelCommon);
    List<String> without = classpath.stream().filter(e -> !isOtelCommon(e)).toList();

    Run run = runApp(without, dir);

    assertThat(run.stdout).contains("started: true");
    assertThat(run.stdout).as(run.stderr).contains("stats: appended=" + EVENTS + " captureFailed=" + EVENTS
        + " dropped=" + EVENTS);
    List<String> errors = run.stdout.lines().filter(l -> l.startsWith("status-error: ")).toList();
    assertThat(errors).as("one StatusLogger ERROR").singleElement().satisfies(e -> assertThat(e)
        .contains("Sluice appender [SLUICE]").contains("CAPTURE_FAILED").contains("NoClassDefFoundError"));
    List<String> stderrReports = run.stderr.lines().filter(l -> l.startsWith("[sluice] ERROR")).toList();
    assertThat(stderrReports).as("once on stderr: " + run.stderr).singleElement()
        .satisfies(e -> assertThat(e).contains("CAPTURE_FAILED").contains("NoClassDefFoundError"));
  }

  static boolean isOtelCommon(String entry) {
    String name = new File(entry).getName();
    return name.startsWith("opentelemetry-common-") && name.endsWith(".jar");
  }

  /** The real test classpath (surefire passes it in a property; its own {@code java.class.path} is a booter jar). */
  static List<String> testClassPath() {
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    return new ArrayList<>(Arrays.asList(cp.split(File.pathSeparator)));
  }

  record Run(String stdout, String stderr) {}

  static Run runApp(List<String> classpath, Path dir) throws IOException, InterruptedException {
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    // A port nothing listens on: the pipeline never waits for the collector, so it does not matter.
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-cp", String.join(File.pathSeparator, classpath), CaptureFailureApp.class.getName(),
        dir.resolve("spool").toString(), "127.0.0.1:1", Integer.toString(EVENTS))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("the child JVM did not exit: " + Files.readString(err));
    }
    return new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
  }
}
