package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class StreamingJobMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cl = StreamingJobMain.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void helpListsTheOptions() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--bootstrap-servers", "--topics", "--cassandra", "--dedup-ttl", "Beam");
  }

  @Test
  void missingTopicsIsNamed() {
    assertThat(run("--bootstrap-servers=localhost:9092")).isEqualTo(2);
    assertThat(err.toString()).contains("--topics");
  }

  @Test
  void aZeroDedupTtlIsRejectedWithTheKeyAndAFix() {
    assertThat(run("--bootstrap-servers=localhost:9092", "--topics=sluice.logs", "--dedup-ttl=PT0S")).isEqualTo(2);
    assertThat(err.toString()).contains("--dedup-ttl", "PT1H");
  }

  @Test
  void badCassandraSettingsNameTheOption() {
    assertThatThrownBy(() -> new CassandraSettings(List.of("localhost"), "dc1", "sluice"))
        .hasMessageContaining("--cassandra").hasMessageContaining("host:port");
    assertThatThrownBy(() -> new CassandraSettings(List.of("localhost:9042"), "dc1", "1bad-name"))
        .hasMessageContaining("--cassandra-keyspace");
    assertThatThrownBy(() -> new CassandraSettings(List.of("localhost:9042"), " ", "sluice"))
        .hasMessageContaining("--cassandra-datacenter");
  }

  @Test
  void beamOptionsDefaultToTheFlinkRunnerInStreamingMode() {
    var options = StreamingJobMain.beamOptions(List.of("--parallelism=2"));
    assertThat(options.getRunner().getSimpleName()).isEqualTo("FlinkRunner");
    assertThat(options.as(org.apache.beam.sdk.options.StreamingOptions.class).isStreaming()).isTrue();
  }

  @Test
  void flinkCheckpointsByDefaultSoKafkaOffsetsCanCommit() {
    var flink = org.apache.beam.runners.flink.FlinkPipelineOptions.class;
    assertThat(StreamingJobMain.beamOptions(List.of()).as(flink).getCheckpointingInterval())
        .isEqualTo(StreamingJobMain.DEFAULT_CHECKPOINT_MILLIS);
    var explicit = StreamingJobMain.beamOptions(List.of("--checkpointingInterval=500"));
    assertThat(explicit.as(flink).getCheckpointingInterval()).isEqualTo(500L);
  }

  @Test
  void flinkSkipsTheDeepCopyBetweenChainedOperatorsUnlessTold() {
    var flink = org.apache.beam.runners.flink.FlinkPipelineOptions.class;
    assertThat(StreamingJobMain.beamOptions(List.of()).as(flink).getFasterCopy()).isTrue();
    assertThat(StreamingJobMain.beamOptions(List.of("--fasterCopy=false")).as(flink).getFasterCopy()).isFalse();
  }
}
