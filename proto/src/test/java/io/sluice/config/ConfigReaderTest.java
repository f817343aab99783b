package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigReaderTest {
  @TempDir
  Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("app.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void readsUnitsAndSubstitutesTheEnvironment() throws Exception {
    Path f = write("""
        # a comment with ${NOT_SUBSTITUTED}
        limits:
          maxBytes: 4MiB
          linger: 2s
          count: ${COUNT:-16}
        host: "${HOST}:9092"
        price: $$5
        on: true
        tags: [a, "${HOST}"]
        """);
    ConfigReader r = ConfigReader.read(f, Map.of("HOST", "kafka-1")::get);
    ConfigNode limits = r.mapping(r.root(), "limits", Set.of("maxBytes", "linger", "count"));
    assertThat(r.bytes(limits.get("maxBytes"))).isEqualTo(4L << 20);
    assertThat(r.millis(limits.get("linger"))).isEqualTo(2000);
    assertThat(r.integer(limits.get("count"))).isEqualTo(16);
    assertThat(r.text(r.root().get("host"))).isEqualTo("kafka-1:9092");
    assertThat(r.text(r.root().get("price"))).isEqualTo("$5");
    assertThat(r.bool(r.root().get("on"))).isTrue();
    assertThat(r.strings(r.root().get("tags"), false)).containsExactly("a", "kafka-1");
    assertThat(r.problems()).isEmpty();
    assertThat(limits.get("linger").line()).isEqualTo(4);
  }

  @Test
  void reportsEveryProblemAtOnceWithFileLineAndKey() throws Exception {
    Path f = write("""
        limits:
          maxBytes: 4 MBs
          linger: soon
        lmits: {}
        host: ${KAFKA_HOST}
        host: again
        """);
    ConfigReader r = ConfigReader.read(f, Map.<String, String>of()::get);
    r.knownKeys(r.root(), Set.of("limits", "host"));
    ConfigNode limits = r.mapping(r.root(), "limits", Set.of("maxBytes", "linger"));
    r.bytes(limits.get("maxBytes"));
    r.millis(limits.get("linger"));
    assertThatThrownBy(r::throwIfProblems).isInstanceOfSatisfying(ConfigErrors.class, e -> {
      assertThat(e.problems()).extracting(ConfigProblem::toString).containsExactlyInAnyOrder(
          "app.yaml:5: host: ${KAFKA_HOST}: environment variable KAFKA_HOST is not set and has no default; set it, "
              + "or write ${KAFKA_HOST:-default}",
          "app.yaml:6: host: appears twice (first on line 5); keep one",
          "app.yaml:4: lmits: unknown key; did you mean limits? (known here: host, limits)",
          "app.yaml:2: limits.maxBytes: \"4 MBs\" is not a size (examples: 4MiB, 512KiB, 1048576)",
          "app.yaml:3: limits.linger: \"soon\" is not a duration (examples: 500ms, 2s, 1m, 1h; a plain number is "
              + "milliseconds)");
      assertThat(e.getMessage().lines()).hasSize(5);
    });
  }

  @Test
  void farOffKeysGetTheListInsteadOfAGuess() {
    ConfigReader r = ConfigReader.parse("x.yaml", "zzzzzz: 1\nTOPIC: 2\n", k -> null);
    r.knownKeys(r.root(), Set.of("topic", "partitions"));
    assertThat(r.problems()).extracting(ConfigProblem::message).containsExactly(
        "unknown key; (known here: partitions, topic)",
        "unknown key; did you mean topic? (known here: partitions, topic)");
  }

  @Test
  void invalidYamlNamesItsLine() throws Exception {
    ConfigReader r = ConfigReader.read(write("a: 1\nb: [unclosed\nc: 3\n"), k -> null);
    assertThat(r.problems()).singleElement().satisfies(p -> {
      assertThat(p.toString()).startsWith("app.yaml:").contains(": is not valid YAML: ");
      assertThat(p.line()).isBetween(2, 4);
    });
    assertThat(r.root().fields()).isEmpty();
  }

  @Test
  void missingFileIsAProblemNotAThrow() {
    ConfigReader r = ConfigReader.read(dir.resolve("nope.yaml"), k -> null);
    assertThat(r.problems()).singleElement().asString().endsWith("nope.yaml: the file does not exist; check --config");
  }

  @Test
  void aScalarDocumentAndASecondDocumentAreReported() {
    assertThat(ConfigReader.parse("x.yaml", "just text", k -> null).problems()).singleElement().asString()
        .isEqualTo("x.yaml:1: the file must be a mapping of keys (key: value), found \"just text\"");
    assertThat(ConfigReader.parse("x.yaml", "a: 1\n---\nb: 2\n", k -> null).problems()).singleElement().asString()
        .contains("second YAML document");
    assertThat(ConfigReader.parse("x.yaml", "# nothing\n", k -> null).problems()).isEmpty();
  }

  @Test
  void setReportsTheBuildersOwnCheckAtTheKeyAndGoesOn() {
    ConfigReader r = ConfigReader.parse(null, "a: 5\nb: 0\nc: 7\n", k -> null);
    List<Long> got = new ArrayList<>();
    class Refused extends IllegalArgumentException implements KeyedProblem {
      Refused() { super("b: must be positive"); }
      public String key() { return "b"; }
      public String problem() { return "must be positive"; }
    }
    for (String k : List.of("a", "b", "c", "d")) {
      r.set(r.root(), k, r::integer, v -> {
        if (v == 0) throw new Refused();
        got.add(v);
      });
    }
    assertThat(got).containsExactly(5L, 7L);
    assertThat(r.problems()).singleElement().asString().isEqualTo("line 2: b: must be positive");
  }

  @Test
  void rangesAreChecked() {
    ConfigReader r = ConfigReader.parse("x.yaml", "a: 8MiB\nb: 0\n", k -> null);
    assertThat(r.bytes(r.root().get("a"), 512, 1 << 20)).isNull();
    assertThat(r.integer(r.root().get("b"), 1, 10)).isNull();
    assertThat(r.problems()).extracting(ConfigProblem::toString).containsExactly(
        "x.yaml:1: a: \"8MiB\" is out of range [512, 1048576] bytes", "x.yaml:2: b: 0 is out of range [1, 10]");
  }

  @Test
  void aliasesAreReportedNotReadAsText() {
    ConfigReader r = ConfigReader.parse("x.yaml", "defaults: &d {a: 1}\nlimits: *d\n", k -> null);
    assertThat(r.problems()).singleElement().asString()
        .startsWith("x.yaml:2: limits: *d is a YAML alias, which is not supported here");
    assertThat(r.mapping(r.root(), "limits", Set.of("a"))).isNull();
    assertThat(r.problems()).hasSize(1);
  }
}
