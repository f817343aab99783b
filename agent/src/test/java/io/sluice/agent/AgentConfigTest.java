package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.sdk.spool.WhenFull;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
  static final String FULL = """
      serviceName: node-agent
      resource: {deployment.environment: prod}
      collector:
        endpoints: [collector-a:4417, collector-b:4417]
        tenant: platform
      spool: {dir: /tmp/sluice-agent-test-spool, maxBytes: 64MiB, fsync: every-batch}
      batch: {maxRecords: 500, maxBytes: 512KiB, lingerMs: 100ms}
      tail: {pollIntervalMs: 100, rescanIntervalMs: 5s, maxLineBytes: 64KiB, releaseAfterMs: 1s}
      http: {host: 127.0.0.1, port: 0}
      health: {stallTimeoutMs: 30s}
      drainTimeoutMs: 5s
      inputs:
        - name: pods
          include: [/var/log/pods/**/*.log]
          exclude: ["*.gz"]
          container: cri
          parser: json
          multiline: {mode: java, maxLines: 200, flushTimeoutMs: 500}
        - include: /var/log/app/*.log
          parser: regex
          regex: '^(?<level>\\w+) (?<message>.*)$'
          attributes: {team: payments}
      """;

  @Test
  void parsesEverySection() {
    AgentConfig c = AgentConfig.parse(FULL);
    assertThat(c.pipeline().serviceName()).isEqualTo("node-agent");
    assertThat(c.pipeline().endpoints()).hasSize(2);
    assertThat(c.pipeline().spoolMaxBytes()).isEqualTo(64L << 20);
    assertThat(c.pipeline().whenFull()).isEqualTo(WhenFull.BLOCK);
    assertThat(c.pipeline().batchMaxBytes()).isEqualTo(512 << 10);
    assertThat(c.pollInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.rescanInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.tailer().maxLineBytes()).isEqualTo(64 << 10);
    assertThat(c.httpPort()).isZero();
    assertThat(c.inputs()).hasSize(2);
    InputConfig pods = c.inputs().get(0);
    assertThat(pods.container()).isEqualTo(ContainerFormat.CRI);
    assertThat(pods.parser()).isEqualTo(ParserKind.JSON);
    assertThat(pods.multiline().mode()).isEqualTo(MultilineMode.JAVA);
    assertThat(pods.multiline().maxLines()).isEqualTo(200);
    assertThat(c.inputs().get(1).name()).isEqualTo("inputs[1]");
    assertThat(c.inputs().get(1).attributes()).containsEntry("team", "payments");
  }

  @Test
  void agentBatchDefaultsAndTheirOverrides() {
    AgentConfig d = AgentConfig.parse("inputs: [{include: [/x/*.log]}]");
    assertThat(d.pipeline().zstdLevel()).isEqualTo(1);
    assertThat(d.pipeline().batchMaxRecords()).isEqualTo(8192);
    AgentConfig o = AgentConfig.parse("inputs: [{include: [/x/*.log]}]\nbatch: {zstdLevel: 3, maxRecords: 2048}");
    assertThat(o.pipeline().zstdLevel()).isEqualTo(3);
    assertThat(o.pipeline().batchMaxRecords()).isEqualTo(2048);
  }

  @Test
  void errorsNameTheKeyAndTheFix() {
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ntail: {maxLineByte: 1k}"))
        .isInstanceOf(AgentConfigException.class)
        .hasMessageStartingWith("tail.maxLineByte: unknown setting; known here:")
        .hasMessageContaining("maxLineBytes");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log], multiline: {mode: perl}}]"))
        .hasMessageStartingWith("inputs[0].multiline.mode: \"perl\" is not a mode; write none, java, start-regex or continue-regex");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [relative/*.log]}]"))
        .hasMessageStartingWith("inputs[0].include: \"relative/*.log\" must be an absolute path");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log], parser: regex, regex: '(unclosed'}]"))
        .hasMessageStartingWith("inputs[0].regex: not a valid regular expression");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\nspool: {maxBytes: lots}"))
        .hasMessageStartingWith("spool.maxBytes: \"lots\" is not a size");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ncollector: {endpoints: [nohost]}"))
        .hasMessageStartingWith("collector.endpoints: \"nohost\" is not host:port");
    assertThatThrownBy(() -> AgentConfig.parse("serviceName: x"))
        .hasMessageStartingWith("inputs: a list of at least one input is required");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\n  bad: [indent"))
        .hasMessageStartingWith("(file): not valid YAML");
  }
}
