package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorMainTest {
  @TempDir Path dir;
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
    assertThat(err.toString()).contains("collector.yaml: limitz: unknown key; remove it or use one of");
  }

  @Test
  void badYamlValueFailsNamingTheKey() throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, "listen: \"abc\"\nkafka: { bootstrap: \"k:9092\" }\n");
    assertThat(run("--config", f.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("collector.yaml: listen: \"abc\" is not host:port; write e.g. 0.0.0.0:4417");
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
}
