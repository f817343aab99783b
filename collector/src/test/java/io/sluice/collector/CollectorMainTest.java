package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorMainTest {
  @TempDir
  Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return CollectorMain.execute(new CollectorMain(), args, new PrintWriter(out, true), new PrintWriter(err, true),
        false);
  }

  @Test
  void helpExitsZeroAndListsFlags() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--config", "--listen", "--kafka-bootstrap", "--topic", "--embedded-kafka",
        "--embedded-kafka-dir", "--version", "0.0.0.0:4417", "sluice-logs");
  }

  @Test
  void versionExitsZero() {
    assertThat(run("--version")).isZero();
    assertThat(out.toString()).startsWith("sluice collector ");
  }

  @Test
  void unknownYamlKeyFailsNamingTheKey() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, "kafka:\n  bootstrap: k:9092\nlimitz: {}\n");
    assertThat(run("--config", f.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("collector.yaml:3: limitz: unknown key; did you mean limits?");
  }

  @Test
  void badYamlValueFailsNamingTheKey() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, "listen: \"abc\"\nkafka: { bootstrap: \"k:9092\" }\n");
    assertThat(run("--config", f.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("collector.yaml:1: listen: \"abc\" is not host:port; write e.g. 0.0.0.0:4417");
  }

  @Test
  void flagsOverrideTheFile() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, "listen: 0.0.0.0:1\nkafka: { bootstrap: \"a:1\", topic: from-file }\n");
    CollectorMain main = new CollectorMain();
    new picocli.CommandLine(main).parseArgs("--config", f.toString(), "--listen", "127.0.0.1:0", "--topic", "t2",
        "--anonymous");
    var config = main.config();
    assertThat(config.listen()).isEqualTo("127.0.0.1:0");
    assertThat(config.topic()).isEqualTo("t2");
    assertThat(config.kafkaBootstrap()).isEqualTo("a:1");
  }

  @Test
  void badFlagNamesTheKey() {
    assertThat(run("--listen", "nope", "--kafka-bootstrap", "k:9092")).isEqualTo(2);
    assertThat(err.toString()).contains("command line: listen: \"nope\" is not host:port");
  }

  @Test
  void noAuthenticationAndNoAnonymousFailsNamingTheKey() {
    assertThat(run("--listen", "127.0.0.1:0", "--kafka-bootstrap", "k:9092")).isEqualTo(2);
    assertThat(err.toString()).contains("auth.anonymous: no authentication is configured", "--anonymous");
  }

  @Test
  void missingBootstrapSaysWhatToDo() {
    assertThat(run("--listen", "127.0.0.1:0")).isEqualTo(2);
    assertThat(err.toString()).contains("kafka.bootstrap: is not set", "--embedded-kafka");
  }
  @Test
  void validateAcceptsAGoodFileWithUnitsAndPrintsASummary() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, """
        listen: 127.0.0.1:4417
        kafka: { bootstrap: "${SLUICE_TEST_UNSET_KAFKA:-kafka-1:9092}", topic: logs }
        auth: { anonymous: true }
        limits: { maxFrameBytes: 4MiB, retryAfterMs: 2s }
        shutdownTimeoutMs: 10s
        """);
    assertThat(run("validate", "--config", f.toString())).isZero();
    assertThat(out.toString()).startsWith("collector.yaml: valid\n").contains("listen 127.0.0.1:4417 (gRPC)",
        "kafka kafka-1:9092, topic logs", "frame 4194304 B");
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void validateReportsEveryProblemWithItsLineAndExitsTwo() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, """
        listen: 127.0.0.1:4417
        kafka: { bootstrap: "k:9092" }
        limits:
          maxFrameBytes: 4 MBs
          maxInFlightBytez: 1
        shutdownTimeoutMs: ${SLUICE_TEST_UNSET_TIMEOUT}
        """);
    assertThat(run("validate", "--config", f.toString())).isEqualTo(2);
    assertThat(err.toString()).startsWith("collector validate: 3 problems in the configuration:\n").contains(
        "  collector.yaml:4: limits.maxFrameBytes: \"4 MBs\" is not a size",
        "  collector.yaml:5: limits.maxInFlightBytez: unknown key; did you mean maxInFlightBytes?",
        "  collector.yaml:6: shutdownTimeoutMs: ${SLUICE_TEST_UNSET_TIMEOUT}: environment variable");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void validateFindsChecksAfterTheFileOnTheirLine() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f,
        "kafka: { bootstrap: k:9092 }\nlimits:\n  maxFrameBytes: 8MiB\n  maxDecompressedBytes: 4MiB\n");
    assertThat(run("validate", "--config", f.toString(), "--anonymous")).isEqualTo(2);
    assertThat(err.toString()).contains("collector.yaml:4: limits.maxDecompressedBytes: 4194304 is below "
        + "limits.maxFrameBytes (8388608)");
    assertThat(run("validate", "--config", dir.resolve("missing.yaml").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("missing.yaml: the file does not exist");
  }

  @Test
  void validateInARealProcessExitsZeroOrTwo() throws Exception {
    Path good = dir.resolve("good.yaml");
    Files.writeString(good, "kafka: {bootstrap: \"${SLUICE_TEST_KAFKA}\"}\nauth: {anonymous: true}\n"
        + "limits: {maxFrameBytes: 4MiB}\nshutdownTimeoutMs: 2s\n");
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "kafka: {bootstrap: \"${SLUICE_TEST_KAFKA}\"}\nlimits: {maxFrameBytes: 4 MBs}\nlistn: x\n");
    String[] ok = process(good, java.util.Map.of("SLUICE_TEST_KAFKA", "kafka-9:9092"));
    assertThat(ok[0]).isEqualTo("0");
    assertThat(ok[1]).startsWith("good.yaml: valid").contains("kafka kafka-9:9092", "frame 4194304 B");
    String[] no = process(bad, java.util.Map.of());
    assertThat(no[0]).isEqualTo("2");
    assertThat(no[1]).contains("collector validate: 3 problems in the configuration:",
        "bad.yaml:1: kafka.bootstrap: ${SLUICE_TEST_KAFKA}: environment variable SLUICE_TEST_KAFKA is not set",
        "bad.yaml:2: limits.maxFrameBytes: \"4 MBs\" is not a size", "bad.yaml:3: listn: unknown key; did you mean "
            + "listen?");
  }

  /** Runs {@code CollectorMain validate --config file} (its main, so its exit status) in a JVM of its own. */
  private static String[] process(Path file, java.util.Map<String, String> env) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), CollectorMain.class.getName(), "validate", "--config",
        file.toString());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    return new String[] {Integer.toString(p.exitValue()), out};
  }
}
