package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void errorsNameTheLineTheKeyAndTheFix() {
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ntail: {maxLineByte: 1k}"))
        .isInstanceOf(AgentConfigException.class)
        .hasMessageStartingWith("line 2: tail.maxLineByte: unknown key; did you mean maxLineBytes? (known here:");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log], multiline: {mode: perl}}]"))
        .hasMessage(
            "line 1: inputs[0].multiline.mode: \"perl\" is not a mode; write none, java, start-regex or continue-regex");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [relative/*.log]}]"))
        .hasMessage("line 1: inputs[0].include: \"relative/*.log\" must be an absolute path");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log], parser: regex, regex: '(unclosed'}]"))
        .hasMessageStartingWith("line 1: inputs[0].regex: not a valid regular expression");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\nspool: {maxBytes: lots}"))
        .hasMessage("line 2: spool.maxBytes: \"lots\" is not a size (examples: 4MiB, 512KiB, 1048576)");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ncollector: {endpoints: [nohost]}"))
        .hasMessageStartingWith("line 2: collector.endpoints: \"nohost\" is not host:port");
    assertThatThrownBy(() -> AgentConfig.parse("serviceName: x"))
        .hasMessageStartingWith("line 1: inputs: a list of at least one input is required");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\n  bad: [indent"))
        .hasMessageContaining(": is not valid YAML");
  }

  @Test
  void everyProblemOfTheFileIsReportedAtOnce(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("agent.yaml");
    Files.writeString(f, """
        serviceName: shop
        spool: {maxBytes: 4 MBs}
        batch: {lingerMs: soon}
        tail: {maxLineByte: 1k}
        inputs:
          - include: [relative/*.log]
            parser: xml
          - include: [/ok/*.log]
            multiline: {mode: perl}
        """);
    assertThatThrownBy(() -> AgentConfig.load(f)).isInstanceOfSatisfying(AgentConfigException.class,
        e -> assertThat(e.problems()).extracting(Object::toString).containsExactly(
            "agent.yaml:2: spool.maxBytes: \"4 MBs\" is not a size (examples: 4MiB, 512KiB, 1048576)",
            "agent.yaml:3: batch.lingerMs: \"soon\" is not a duration (examples: 500ms, 2s, 1m, 1h; a plain number is "
                + "milliseconds)",
            "agent.yaml:4: tail.maxLineByte: unknown key; did you mean maxLineBytes? (known here: deletedMaxHoldMs, "
                + "fingerprintBytes, maxBytesPerPoll, maxLineBytes, maxOpenFiles, pollIntervalMs, readChunkBytes, "
                + "releaseAfterMs, rescanIntervalMs)",
            "agent.yaml:6: inputs[0].include: \"relative/*.log\" must be an absolute path",
            "agent.yaml:7: inputs[0].parser: \"xml\" is not a parser; write plain, json, logfmt or regex",
            "agent.yaml:9: inputs[1].multiline.mode: \"perl\" is not a mode; write none, java, start-regex or "
                + "continue-regex"));
  }

  @Test
  void environmentVariablesAreSubstituted(@TempDir Path dir) throws Exception {
    // the process environment: SLUICE_TEST_UNSET_* are never set, so the defaults apply (before, the text stayed as
    // written: "${SLUICE_TEST_UNSET_EP:-collector" became a host name and the agent shipped nowhere)
    Path f = dir.resolve("agent.yaml");
    Files.writeString(f,
        """
            collector:
              endpoints: ["${SLUICE_TEST_UNSET_EP:-collector-a:4417}"]
              credentials: ${SLUICE_TEST_UNSET_KEY:-dev-key}
            spool: {dir: "${SLUICE_TEST_UNSET_DIR:-/tmp/sluice-agent-env-test}", maxBytes: "${SLUICE_TEST_UNSET_CAP:-64MiB}"}
            inputs: [{include: ["${SLUICE_TEST_UNSET_LOGS:-/var/log/app}/*.log"], attributes: {cost: "$$5"}}]
            """);
    AgentConfig c = AgentConfig.load(f);
    assertThat(c.pipeline().endpoints()).singleElement().satisfies(e -> {
      assertThat(e.host()).isEqualTo("collector-a");
      assertThat(e.port()).isEqualTo(4417);
    });
    assertThat(c.pipeline().credentials()).isEqualTo("dev-key");
    assertThat(c.pipeline().spoolMaxBytes()).isEqualTo(64L << 20);
    assertThat(c.inputs().get(0).include()).containsExactly("/var/log/app/*.log");
    assertThat(c.inputs().get(0).attributes()).containsEntry("cost", "$5");
    AgentConfig fromEnv = AgentConfig.load(f, Map.of("SLUICE_TEST_UNSET_KEY", "prod-key")::get);
    assertThat(fromEnv.pipeline().credentials()).isEqualTo("prod-key");

    Files.writeString(f, "collector: {credentials: \"${SLUICE_TEST_UNSET_KEY}\"}\ninputs: [{include: [/x/*.log]}]\n");
    assertThatThrownBy(() -> AgentConfig.load(f)).hasMessage("agent.yaml:1: collector.credentials: "
        + "${SLUICE_TEST_UNSET_KEY}: environment variable SLUICE_TEST_UNSET_KEY is not set and has no default; set it,"
        + " or write ${SLUICE_TEST_UNSET_KEY:-default}");
  }

  @Test
  void otelVariablesAreDefaultsThatTheFileOverrides() {
    Map<String, String> env = Map.of("OTEL_SERVICE_NAME", "from-env",
        "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=staging,team=a%2Cb,service.name=ignored");
    String inputs = "inputs: [{include: [/x/*.log]}]\n";
    AgentConfig envOnly = AgentConfig.parse("agent.yaml", inputs, env::get);
    assertThat(envOnly.pipeline().serviceName()).isEqualTo("from-env");
    assertThat(envOnly.pipeline().resourceAttributes()).containsEntry("deployment.environment", "staging")
        .containsEntry("team", "a,b");
    AgentConfig file = AgentConfig.parse("agent.yaml", inputs + "serviceName: from-file\n"
        + "resource: {deployment.environment: prod}\n", env::get);
    assertThat(file.pipeline().serviceName()).isEqualTo("from-file");
    assertThat(file.pipeline().resourceAttributes()).containsEntry("deployment.environment", "prod")
        .containsEntry("team", "a,b");
    assertThat(AgentConfig.parse("agent.yaml", inputs + "resource: {service.name: res}\n", env::get).pipeline()
        .serviceName()).isEqualTo("res");
    assertThat(AgentConfig.parse("agent.yaml", inputs, Map.<String, String>of()::get).pipeline().serviceName())
        .isEqualTo("sluice-agent");
    assertThatThrownBy(() -> AgentConfig.parse("agent.yaml", inputs, Map.of("OTEL_RESOURCE_ATTRIBUTES", "oops")::get))
        .hasMessageStartingWith("environment: OTEL_RESOURCE_ATTRIBUTES: \"oops\" is not key=value");
  }

  @Test
  void durationsTakeHoursAndCombinedForms() {
    AgentConfig c = AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ntail: {deletedMaxHoldMs: 1h, "
        + "rescanIntervalMs: 1m30s}\ncollector: {reconnectMaxMs: 2m}\n");
    assertThat(c.rescanInterval()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.tailer()).isNotNull();
  }

  @Test
  void theAgentChartPassesItsSecretToTheAgent() throws Exception {
    // the DaemonSet and the sidecar put the API key in SLUICE_CREDENTIALS; before ${VAR}, agent.yaml could not use
    // it, so the agent connected without credentials and a collector with authentication refused everything
    var docs = io.sluice.collector.deploy.Charts.render(Path.of("helm/sluice-agent"), "agent", "sluice",
        Map.of("sidecarExample.enabled", true));
    for (String cm : java.util.List.of("agent-sluice-agent", "checkout-sluice-agent")) {
      String agentYaml = io.sluice.collector.deploy.Charts.find(docs, "ConfigMap", cm).orElseThrow()
          .at("/data/agent.yaml").asText();
      AgentConfig c = AgentConfig.parse(cm, agentYaml, Map.of("SLUICE_CREDENTIALS", "api-key-1", "NODE_NAME", "n",
          "POD_NAME", "p", "POD_NAMESPACE", "ns")::get);
      assertThat(c.pipeline().credentials()).as(cm).isEqualTo("api-key-1");
      assertThatThrownBy(() -> AgentConfig.parse(cm, agentYaml, Map.of("NODE_NAME", "n", "POD_NAME", "p",
          "POD_NAMESPACE", "ns")::get)).hasMessageContaining("SLUICE_CREDENTIALS is not set");
    }
  }

  @Test
  void rotatingCredentialsFromAFileOrOAuth2() {
    AgentConfig f = AgentConfig.parse("inputs: [{include: [/x/*.log]}]\n"
        + "collector: {credentialsFile: /vault/secrets/sluice}");
    assertThat(f.pipeline().credentialsFile()).hasToString("/vault/secrets/sluice");
    AgentConfig o = AgentConfig.parse("inputs: [{include: [/x/*.log]}]\ncollector:\n  oauth2:\n"
        + "    issuer: https://kc.example/realms/infra\n    clientId: node-agent\n"
        + "    clientSecretFile: /var/run/secrets/oauth2/secret\n    scope: logs\n");
    assertThat(o.pipeline().oauth2().issuer()).hasToString("https://kc.example/realms/infra");
    assertThat(o.pipeline().oauth2().clientId()).isEqualTo("node-agent");
    assertThat(o.pipeline().oauth2().scope()).isEqualTo("logs");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\n"
        + "collector: {oauth2: {issuer: https://kc.example/realms/infra, clientSecret: s}}"))
        .hasMessageContaining("collector.oauth2.clientId").hasMessageContaining("required");
    assertThatThrownBy(() -> AgentConfig.parse("inputs: [{include: [/x/*.log]}]\n"
        + "collector: {oauth2: {issuer: https://kc.example/realms/infra, clientId: a, secret: s}}"))
        .hasMessageContaining("collector.oauth2.secret: unknown key");
  }
}
