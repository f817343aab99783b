package io.sluice.agent.deploy;

import static io.sluice.collector.deploy.Charts.find;
import static io.sluice.collector.deploy.Charts.only;
import static io.sluice.collector.deploy.Charts.render;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sluice.agent.AgentConfig;
import io.sluice.agent.parse.PodServiceName;
import io.sluice.collector.deploy.KubernetesSchemas;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent chart as a platform team installs it beside the collector chart, checked for each way the earlier
 * manifests failed: every object schema-valid, the agent dials the collector chart's Service, its credentials come
 * from a Secret the collector chart creates (mounted as a file, and in the env the config reads), spool and /tmp are
 * writable and /var/log/pods readable for the user it runs as, each pod's lines get their own service.name, and the
 * requests cover the measured memory. Each check is a static method taking the rendered objects, so it applies to
 * any manifests (it was run against the earlier collector/deploy/agent/*.yaml, which fail it). The rendered charts
 * are started for real in {@link ChartsDeployIT}.
 */
class AgentChartTest {
  static final Path AGENT_CHART = Path.of("helm/sluice-agent");
  static final Path COLLECTOR_CHART = Path.of("../collector/helm/sluice-collector");
  /** Peak RSS of the agent at 10 MiB/s and at full speed, benchmarks/RESULTS.md (agent runs 7-9). */
  static final long MEASURED_PEAK_RSS_MIB = 116;

  static List<JsonNode> collector() {
    return render(COLLECTOR_CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092"));
  }

  static List<JsonNode> agent(Map<String, ?> values) {
    return render(AGENT_CHART, "agent", "sluice", values);
  }

  static List<JsonNode> both(List<JsonNode> a, List<JsonNode> b) {
    return Stream.concat(a.stream(), b.stream()).toList();
  }

  static AgentConfig agentConfig(List<JsonNode> objects, RenderedPod pod, Map<String, String> env) throws Exception {
    JsonNode vm = pod.mountOf("/etc/sluice/agent.yaml");
    String cm = pod.volume(vm.path("name").asText()).at("/configMap/name").asText();
    String yaml = find(objects, "ConfigMap", cm).orElseThrow().at("/data/agent.yaml").asText();
    return AgentConfig.parse("agent.yaml", yaml, env::get);
  }

  // ------------------------------------------------------------------------------- checks, one per earlier failure

  /** The endpoint is the collector chart's Service (name.namespace, gRPC port), as cluster DNS resolves it. */
  static void dialsTheCollectorService(List<JsonNode> collector, AgentConfig agent) {
    JsonNode service = only(collector, "Service");
    String expected = service.at("/metadata/name").asText() + "." + "sluice" + ":"
        + service.at("/spec/ports/0/port").asInt();
    assertThat(agent.pipeline().endpoints()).as("the collector chart's Service").map(Object::toString)
        .containsExactly(expected);
  }

  /** Credentials: from a Secret the collector chart creates, mounted as a file and read by the config (env). */
  static void readsCredentialsFromTheCollectorsSecret(List<JsonNode> objects, RenderedPod pod) throws Exception {
    Map<String, String> env = pod.layOut(Files.createTempDirectory("layout"), Map.of("spec.nodeName", "n"));
    AgentConfig config = agentConfig(objects, pod, env);
    String key = new String(java.util.Base64.getDecoder().decode(
        only(objects, "Secret").at("/data/api-key").asText()), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(config.pipeline().credentials()).as("the credentials the agent sends").isEqualTo(key);
    JsonNode mount = pod.mountOf("/etc/sluice/credentials/api-key");
    assertThat(mount).as("the API key mounted as a file").isNotNull();
    assertThat(pod.volume(mount.path("name").asText()).at("/secret/secretName").asText())
        .isEqualTo(only(objects, "Secret").at("/metadata/name").asText());
  }

  /** The spool and /tmp (RocksDB and zstd natives) are writable, /var/log/pods readable, for the pod's user. */
  static void spoolTmpAndPodLogsAreUsable(RenderedPod pod, AgentConfig config) {
    List<String> problems = new ArrayList<>();
    problems.addAll(pod.problemsWriting(config.pipeline().spoolDir().getParent().toString()));
    problems.addAll(pod.problemsWriting("/tmp"));
    if (config.inputs().get(0).include().get(0).startsWith("/var/log/pods")) {
      problems.addAll(pod.problemsReadingRootFiles("/var/log/pods"));
    }
    assertThat(problems).isEmpty();
  }

  /** A node agent names each pod's lines by the pod, not one name for the node. */
  static void namesEachPodsService(AgentConfig config) {
    assertThat(config.serviceNameFrom()).isNotEqualTo(PodServiceName.Mode.CONFIG);
  }

  // ------------------------------------------------------------------------------------------------------- tests

  @Test
  void defaultInstallIsSchemaValidAndDialsTheCollectorReleasesService() throws Exception {
    List<JsonNode> agent = agent(Map.of());
    List<JsonNode> collector = collector();
    assertThat(KubernetesSchemas.problems(agent)).isEmpty();
    assertThat(agent.stream().map(d -> d.path("kind").asText()).toList())
        .containsExactlyInAnyOrder("ServiceAccount", "ConfigMap", "DaemonSet");
    RenderedPod pod = new RenderedPod(both(agent, collector), "DaemonSet", "agent-sluice-agent", "agent");
    Map<String, String> env = pod.layOut(Files.createTempDirectory("layout"), Map.of("spec.nodeName", "node-1"));
    dialsTheCollectorService(collector, agentConfig(both(agent, collector), pod, env));
  }

  @Test
  void credentialsComeFromTheCollectorsGeneratedSecretAsAFileAndTheEnv() throws Exception {
    List<JsonNode> objects = both(agent(Map.of()), collector());
    readsCredentialsFromTheCollectorsSecret(objects,
        new RenderedPod(objects, "DaemonSet", "agent-sluice-agent", "agent"));
  }

  @Test
  void spoolAndTmpAreWritableAndPodLogsReadableForTheUserItRunsAs() throws Exception {
    List<JsonNode> objects = both(agent(Map.of()), collector());
    RenderedPod pod = new RenderedPod(objects, "DaemonSet", "agent-sluice-agent", "agent");
    Map<String, String> env = pod.layOut(Files.createTempDirectory("layout"), Map.of("spec.nodeName", "n"));
    AgentConfig config = agentConfig(objects, pod, env);
    spoolTmpAndPodLogsAreUsable(pod, config);
    assertThat(pod.readOnlyRoot()).isTrue();
    assertThat(pod.dropsAllCapabilities()).isTrue();
    assertThat(pod.container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
  }

  @Test
  void aNodeAgentNamesEachPodsServiceFromItsLogPath() throws Exception {
    List<JsonNode> objects = both(agent(Map.of()), collector());
    RenderedPod pod = new RenderedPod(objects, "DaemonSet", "agent-sluice-agent", "agent");
    Map<String, String> env = pod.layOut(Files.createTempDirectory("layout"), Map.of("spec.nodeName", "n"));
    namesEachPodsService(agentConfig(objects, pod, env));
  }

  @Test
  void resourceRequestsCoverTheMeasuredPeakRssAndImageTagIsTheProjectVersion() throws Exception {
    JsonNode ds = only(agent(Map.of()), "DaemonSet");
    JsonNode res = ds.at("/spec/template/spec/containers/0/resources");
    assertThat(mib(res.at("/requests/memory").asText())).isGreaterThanOrEqualTo(MEASURED_PEAK_RSS_MIB);
    assertThat(mib(res.at("/limits/memory").asText())).isGreaterThanOrEqualTo(MEASURED_PEAK_RSS_MIB * 3 / 2);
    String version =
        new YAMLMapper().readTree(COLLECTOR_CHART.resolve("Chart.yaml").toFile()).path("appVersion").asText();
    assertThat(new YAMLMapper().readTree(AGENT_CHART.resolve("Chart.yaml").toFile()).path("appVersion").asText())
        .isEqualTo(version);
    assertThat(ds.at("/spec/template/spec/containers/0/image").asText()).isEqualTo("sluice/agent:" + version);
  }

  @Test
  void documentedOverridesRenderSchemaValidObjects() throws Exception {
    List<JsonNode> collectorElsewhere = render(COLLECTOR_CHART, "logs", "logging", Map.of("kafka.bootstrap", "k:9092"));
    List<JsonNode> agent = agent(Map.of("collector.release", "logs", "collector.namespace", "logging",
        "credentials.secretName", "sluice-key", "serviceNameFrom", "container", "daemonset.multiline", "none",
        "daemonset.exclude", List.of("/var/log/pods/kube-system_*/**"), "sidecarExample.enabled", true,
        "javaOpts", "-XX:+PrintCommandLineFlags", "image.tag", "0.2.0-custom"));
    assertThat(KubernetesSchemas.problems(agent)).isEmpty();
    JsonNode cm = find(agent, "ConfigMap", "agent-sluice-agent").orElseThrow();
    AgentConfig config = AgentConfig.parse("agent.yaml", cm.at("/data/agent.yaml").asText(),
        k -> k.equals("SLUICE_CREDENTIALS") || k.equals("NODE_NAME") ? "v" : null);
    assertThat(config.pipeline().endpoints()).map(Object::toString)
        .containsExactly(only(collectorElsewhere, "Service").at("/metadata/name")
            .asText() + ".logging:4417");
    assertThat(config.serviceNameFrom()).isEqualTo(PodServiceName.Mode.CONTAINER);
    assertThat(config.inputs().get(0).exclude()).containsExactly("/var/log/pods/kube-system_*/**");
    assertThat(only(agent, "DaemonSet").toString()).contains("sluice-key").contains("sluice/agent:0.2.0-custom");
    // the sidecar example: the agent as a second container of an app's Deployment, non-root with fsGroup
    RenderedPod sidecar = new RenderedPod(agent, "Deployment", "checkout", "sluice-agent");
    assertThat(sidecar.uid()).isEqualTo(65532);
    AgentConfig sc = AgentConfig.parse("agent.yaml", find(agent, "ConfigMap", "checkout-sluice-agent").orElseThrow()
        .at("/data/agent.yaml").asText(), k -> k.startsWith("OTEL_") ? null : "v");
    assertThat(sc.pipeline().serviceName()).isEqualTo("checkout");
    assertThat(sidecar.problemsWriting(sc.pipeline().spoolDir().getParent().toString())).isEmpty();
    assertThat(sidecar.problemsWriting("/tmp")).isEmpty();
  }

  static long mib(String quantity) {
    if (quantity.endsWith("Mi")) return Long.parseLong(quantity.substring(0, quantity.length() - 2));
    if (quantity.endsWith("Gi")) return Long.parseLong(quantity.substring(0, quantity.length() - 2)) * 1024;
    throw new AssertionError("unexpected quantity " + quantity);
  }
}
