package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class JobMainTest {
  private static final String KAFKA = "--bootstrap-servers=localhost:9";
  private static final String TOPICS = "--topics=sluice.logs";
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = JobMain.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void helpDocumentsEveryOutput() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString())
        .contains("--bootstrap-servers", "--topics", "--cassandra", "--opensearch", "--archive", "--archive-hadoop",
            "--alerts-topic", "--rules-url", "--bounded", "--dedup-ttl", "Beam");
  }

  @Test
  void aJobWithoutOutputsIsRefusedNamingTheOptions() {
    assertThat(run(KAFKA, TOPICS)).isEqualTo(2);
    assertThat(err.toString()).contains("no output", "--cassandra", "--opensearch", "--archive", "--alerts-topic");
  }

  @Test
  void alertsNeedBothTheTopicAndTheRules() {
    assertThat(run(KAFKA, TOPICS, "--alerts-topic=sluice-alerts")).isEqualTo(2);
    assertThat(err.toString()).contains("--rules-url", "jdbc:postgresql://");
    err.getBuffer().setLength(0);
    assertThat(run(KAFKA, TOPICS, "--rules-url=jdbc:postgresql://db:5432/sluice")).isEqualTo(2);
    assertThat(err.toString()).contains("--alerts-topic", "sluice-alerts");
  }

  @Test
  void badOutputSettingsNameTheirOption() {
    assertThat(run(KAFKA, TOPICS, "--opensearch=opensearch:9200")).isEqualTo(2);
    assertThat(err.toString()).contains("--opensearch", "http://opensearch:9200");
    err.getBuffer().setLength(0);
    assertThat(run(KAFKA, TOPICS, "--archive=relative/logs")).isEqualTo(2);
    assertThat(err.toString()).contains("--archive");
    err.getBuffer().setLength(0);
    assertThat(run(KAFKA, TOPICS, "--alerts-topic=a", "--rules-url=jdbc:mysql://db/sluice")).isEqualTo(2);
    assertThat(err.toString()).contains("--rules-url", "jdbc:postgresql://");
  }

  @Test
  void streamingSettingsAreCheckedToo() {
    assertThat(run(KAFKA, TOPICS, "--archive=file:///tmp/x", "--dedup-ttl=PT0S")).isEqualTo(2);
    assertThat(err.toString()).contains("--dedup-ttl");
  }
}
