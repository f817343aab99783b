package io.sluice.agent;

import static io.sluice.agent.Harness.append;
import static io.sluice.agent.Harness.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class AgentMainTest {
  @TempDir
  Path tmp;

  private static String run(int[] exit, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream old = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      exit[0] = new CommandLine(new AgentMain()).execute(args);
    } finally {
      System.setOut(old);
      System.setErr(oldErr);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpListsTheOptions() {
    int[] exit = {-1};
    String out = run(exit, "--help");
    assertThat(exit[0]).isZero();
    assertThat(out).contains("--config", "--dry-run", "--help");
  }

  @Test
  void badConfigurationExitsWithTwoAndNamesTheKey() throws Exception {
    Path cfg = tmp.resolve("agent.yaml");
    Files.writeString(cfg, "inputs: [{include: [/x/*.log], parser: xml}]\n");
    int[] exit = {-1};
    String out = run(exit, "--config", cfg.toString());
    assertThat(exit[0]).isEqualTo(2);
    assertThat(out).contains("inputs[0].parser: \"xml\" is not a parser");
  }

  @Test
  void validateAcceptsAGoodFileAndPrintsASummary() throws Exception {
    Path cfg = tmp.resolve("agent.yaml");
    Files.writeString(cfg, """
        serviceName: node-agent
        collector: {endpoints: ["${SLUICE_TEST_UNSET_EP:-collector-a:4417}"]}
        spool: {dir: /tmp/sluice-validate-test, maxBytes: 64MiB}
        batch: {lingerMs: 200ms}
        inputs: [{name: pods, include: [/var/log/pods/**/*.log], container: cri, multiline: {mode: java}}]
        """);
    int[] exit = {-1};
    String out = run(exit, "validate", "--config", cfg.toString());
    assertThat(exit[0]).isZero();
    assertThat(out).startsWith("agent.yaml: valid\n").contains("service node-agent", "collector collector-a:4417",
        "spool /tmp/sluice-validate-test (67108864 B)", "1 input:", "pods [/var/log/pods/**/*.log], cri, plain, "
            + "multiline java");
  }

  @Test
  void validateReportsEveryProblemAndExitsTwo() throws Exception {
    Path cfg = tmp.resolve("agent.yaml");
    Files.writeString(cfg, """
        spool: {maxBytes: 4 MBs}
        colector: {endpoints: [a:1]}
        inputs: [{include: [/x/*.log], parser: xml}]
        """);
    int[] exit = {-1};
    String out = run(exit, "validate", "--config", cfg.toString());
    assertThat(exit[0]).isEqualTo(2);
    assertThat(out).startsWith("sluice-agent validate: 3 problems in the configuration:\n").contains(
        "  agent.yaml:1: spool.maxBytes: \"4 MBs\" is not a size",
        "  agent.yaml:2: colector: unknown key; did you mean collector?",
        "  agent.yaml:3: inputs[0].parser: \"xml\" is not a parser");
  }

  @Test
  void validateInARealProcessExitsZeroOrTwoAndHonoursOtelServiceName() throws Exception {
    Path good = tmp.resolve("good.yaml");
    Files.writeString(good, "collector: {endpoints: [\"${SLUICE_TEST_EP}\"]}\nspool: {dir: " + tmp.resolve("spool")
        + "}\ninputs: [{include: [/var/log/app/*.log]}]\n");
    Path bad = tmp.resolve("bad.yaml");
    Files.writeString(bad, "spool: {maxBytes: lots}\ninputz: []\n");
    String[] good0 = process(good, java.util.Map.of("SLUICE_TEST_EP", "collector-b:4417",
        "OTEL_SERVICE_NAME", "checkout", "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod"));
    assertThat(good0[0]).isEqualTo("0");
    assertThat(good0[1]).startsWith("good.yaml: valid").contains("service checkout, resource "
        + "{deployment.environment=prod}", "collector collector-b:4417");
    String[] bad2 = process(bad, java.util.Map.of());
    assertThat(bad2[0]).isEqualTo("2");
    assertThat(bad2[1]).contains("sluice-agent validate: 3 problems in the configuration:",
        "bad.yaml:1: spool.maxBytes: \"lots\" is not a size", "bad.yaml:2: inputz: unknown key; did you mean inputs?",
        "inputs: a list of at least one input is required");
  }

  /** Runs {@code AgentMain validate --config file} in a JVM of its own: exit code and output. */
  private String[] process(Path file, java.util.Map<String, String> env) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(javaBin, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
        System.getProperty("java.class.path"), AgentMain.class.getName(), "validate", "--config", file.toString());
    pb.environment().remove("OTEL_SERVICE_NAME");
    pb.environment().remove("OTEL_RESOURCE_ATTRIBUTES");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new String[] {Integer.toString(p.exitValue()), out};
  }

  @Test
  void dryRunPrintsParsedRecordsOfKubernetesCriLogs() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("pods/shop_web-1_0a1b2c3d-0000-1111-2222-333344445555/app"));
    Files.writeString(dir.resolve("0.log"), String.join("\n",
        "2024-05-01T12:00:00.000000001Z stdout P {\"level\":\"error\",",
        "2024-05-01T12:00:00.000000002Z stdout F \"msg\":\"payment failed\",\"order\":17}",
        "2024-05-01T12:00:01Z stderr F {\"level\":\"info\",\"msg\":\"retrying\"}", ""));
    Path cfg = tmp.resolve("agent.yaml");
    Files.writeString(cfg, "inputs: [{include: [\"" + tmp + "/pods/**/*.log\"], container: cri, parser: json}]\n");
    int[] exit = {-1};
    String out = run(exit, "--config", cfg.toString(), "--dry-run");
    assertThat(exit[0]).isZero();
    assertThat(out).contains("error payment failed", "order=17", "k8s.namespace.name=shop", "k8s.pod.name=web-1",
        "k8s.container.name=app", "log.iostream=stdout", "info retrying", "log.iostream=stderr",
        "# 1 files, 2 records");
  }

  @Test
  void servesMetricsLivenessAndReadiness() throws Exception {
    Path logs = Files.createDirectories(tmp.resolve("logs"));
    append(logs.resolve("a.log"), lines("m-", 0, 10) + "x".repeat(5000) + "\n");
    try (TestCollector collector = new TestCollector()) {
      AgentConfig.Builder b = Harness.config(collector, tmp.resolve("spool"), InputConfig.plain("app", logs + "/*.log"))
          .http("127.0.0.1", 0).maxLineBytes(1024);
      try (Agent agent = Agent.start(b.build())) {
        await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 11);
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + agent.httpPort();
        await().atMost(Duration.ofSeconds(5)).until(() -> get(http, base + "/readyz").statusCode() == 200);
        assertThat(get(http, base + "/livez").statusCode()).isEqualTo(200);
        String metrics = get(http, base + "/metrics").body();
        assertThat(metrics).contains("# TYPE sluice_agent_lines_read_total counter", "sluice_agent_lines_read_total 11",
            "sluice_agent_lines_truncated_total 1", "sluice_agent_spool_bytes ",
            "sluice_agent_oldest_unacked_age_seconds ", "sluice_agent_abandoned_bytes_total{reason=\"deleted\"} 0",
            "sluice_agent_file_lag_bytes{path=\"" + logs.resolve("a.log") + "\",state=\"active\"} 0");
        await().atMost(Duration.ofSeconds(5))
            .until(() -> get(http, base + "/metrics").body().contains("sluice_agent_records_acknowledged_total 11"));
      }
    }
  }

  private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void sigtermDrainsAndExits() throws Exception {
    Path logs = Files.createDirectories(tmp.resolve("logs"));
    append(logs.resolve("app.log"), lines("s-", 0, 2000));
    try (TestCollector collector = new TestCollector()) {
      Path cfg = tmp.resolve("agent.yaml");
      Files.writeString(cfg, AgentCrashTest.yaml(collector, tmp.resolve("spool"), logs + "/*.log"));
      Process p = AgentCrashTest.startAgent(cfg, tmp.resolve("out.txt"));
      try {
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() >= 2000);
        p.destroy(); // SIGTERM
        assertThat(p.waitFor(15, TimeUnit.SECONDS)).isTrue();
      } finally {
        p.destroyForcibly();
      }
      assertThat(Files.readString(tmp.resolve("out.txt"))).contains("sluice-agent: started");
    }
  }
}
