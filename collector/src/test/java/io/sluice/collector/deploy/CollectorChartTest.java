package io.sluice.collector.deploy;

import static io.sluice.collector.deploy.Charts.find;
import static io.sluice.collector.deploy.Charts.only;
import static io.sluice.collector.deploy.Charts.render;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.CollectorConfigYaml;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The collector chart as a platform team installs it: rendered with its defaults and with the documented overrides,
 * every object valid against the Kubernetes (and CRD) schemas, objects of optional APIs only where the cluster serves
 * them, a default configuration that authenticates clients, and the image of the project's version. (The rendered
 * chart is started for real, with an agent and Kafka, in the agent module's {@code ChartsDeployIT}.)
 */
class CollectorChartTest {
  static final Path CHART = Path.of("helm/sluice-collector");
  static final List<String> OPTIONAL_APIS = List.of("monitoring.coreos.com/v1", "custom.metrics.k8s.io/v1beta1",
      "networking.istio.io/v1", "security.istio.io/v1", "gateway.networking.k8s.io/v1");

  static Set<String> kinds(List<JsonNode> docs) {
    Set<String> kinds = new TreeSet<>();
    docs.forEach(d -> kinds.add(d.path("kind").asText()));
    return kinds;
  }

  /** The collector.yaml of the ConfigMap read as the pod would: env from the Deployment, secretKeyRefs resolved. */
  static CollectorConfig configAsThePodReadsIt(List<JsonNode> docs) {
    JsonNode deployment = only(docs, "Deployment");
    Map<String, String> env = new HashMap<>();
    for (JsonNode e : deployment.at("/spec/template/spec/containers/0/env")) {
      if (e.has("value")) {
        env.put(e.path("name").asText(), e.path("value").asText());
      } else {
        JsonNode ref = e.at("/valueFrom/secretKeyRef");
        JsonNode secret = find(docs, "Secret", ref.path("name").asText()).orElseThrow(
            () -> new AssertionError("env " + e.path("name").asText() + " reads Secret " + ref.path("name").asText()
                + ", which the chart does not create"));
        env.put(e.path("name").asText(), new String(Base64.getDecoder().decode(
            secret.at("/data/" + ref.path("key").asText()).asText()), StandardCharsets.UTF_8));
      }
    }
    String yaml = only(docs, "ConfigMap").at("/data/collector.yaml").asText();
    CollectorConfig.Builder b = CollectorConfig.builder();
    CollectorConfigYaml.applyText("collector.yaml", yaml, b, (Function<String, String>) env::get);
    CollectorConfig c = b.build();
    c.checkAuthentication(); // what CollectorMain does before it starts: exit 2 (a crash loop) when it throws
    return c;
  }

  static String projectVersion() throws Exception {
    Properties p = new Properties();
    try (InputStream in = io.sluice.collector.CollectorMain.class.getResourceAsStream("version.properties")) {
      p.load(in);
    }
    return p.getProperty("version");
  }

  @Test
  void defaultInstallAuthenticatesWithTheGeneratedApiKeyAndEveryObjectIsSchemaValid() throws Exception {
    List<JsonNode> docs = render(CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092"));
    assertThat(KubernetesSchemas.problems(docs)).isEmpty();
    CollectorConfig config = configAsThePodReadsIt(docs);
    assertThat(config.anonymous()).isFalse();
    JsonNode secret = only(docs, "Secret");
    String key = new String(Base64.getDecoder().decode(secret.at("/data/api-key").asText()), StandardCharsets.UTF_8);
    assertThat(key).hasSizeGreaterThanOrEqualTo(32);
    String sha =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    assertThat(config.tenants().get("default").apiKeySha256()).containsExactly(sha);
    // the ConfigMap holds no key material: the digest comes from the Secret through the env
    assertThat(only(docs, "ConfigMap").toString()).doesNotContain(sha).doesNotContain(key);
  }

  @Test
  void objectsOfOptionalApisAreRenderedOnlyWhereTheClusterServesThem() {
    // a cluster without the Prometheus Operator or a custom metrics API (helm's default capabilities)
    List<JsonNode> plain = render(CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092",
        "istio.enabled", true, "gateway.enabled", true));
    assertThat(kinds(plain)).containsExactlyInAnyOrder("ConfigMap", "Deployment", "NetworkPolicy",
        "PodDisruptionBudget", "Secret", "Service");
    // without an HPA the Deployment says how many replicas
    assertThat(only(plain, "Deployment").at("/spec/replicas").asInt()).isEqualTo(2);

    List<JsonNode> all = render(CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092",
        "apiVersions", OPTIONAL_APIS, "istio.enabled", true, "gateway.enabled", true));
    assertThat(kinds(all)).contains("ServiceMonitor", "HorizontalPodAutoscaler", "DestinationRule",
        "PeerAuthentication", "Gateway", "GRPCRoute", "HTTPRoute");
    assertThat(only(all, "Deployment").at("/spec/replicas").isMissingNode()).isTrue();
    assertThat(KubernetesSchemas.problems(all)).isEmpty();
    // the samples point at the chart's own Service and ports
    String service = only(all, "Service").at("/metadata/name").asText();
    assertThat(only(all, "DestinationRule").at("/spec/host").asText()).isEqualTo(service + ".sluice.svc.cluster.local");
    assertThat(only(all, "DestinationRule").at("/spec/trafficPolicy/connectionPool/tcp/maxConnectionDuration").asText())
        .isEqualTo("1800s");
    assertThat(only(all, "GRPCRoute").at("/spec/rules/0/backendRefs/0/name").asText()).isEqualTo(service);
    assertThat(only(all, "GRPCRoute").at("/spec/rules/0/backendRefs/0/port").asInt()).isEqualTo(4417);
    assertThat(only(all, "HTTPRoute").at("/spec/rules/0/backendRefs/0/port").asInt()).isEqualTo(4418);
  }

  @Test
  void everyDocumentedOverrideRendersSchemaValidObjectsAndAConfigTheCollectorAccepts() {
    Map<String, Object> set = new HashMap<>(Map.of("kafka.bootstrap", "k-0:9092,k-1:9092", "apiVersions", OPTIONAL_APIS,
        "tls.enabled", true, "tls.clientCa", true, "oidc.enabled", true, "oidc.issuer", "https://idp/realms/r",
        "oidc.jwksUrl", "https://idp/realms/r/protocol/openid-connect/certs", "zookeeper.connect", "zk-0.zk:2181"));
    set.putAll(Map.of("image.tag", "0.2.0-custom", "autoscaling.enabled", false, "networkPolicy.enabled", false,
        "podDisruptionBudget.enabled", false, "serviceMonitor.enabled", false, "apiKey.tenant", "platform",
        "config.tenants.acme.apiKeys", List.of("sha256:" + "ab".repeat(32)), "config.auth.anonymous", false));
    List<JsonNode> docs = render(CHART, "r", "logging", set);
    assertThat(KubernetesSchemas.problems(docs)).isEmpty();
    assertThat(kinds(docs)).doesNotContain("ServiceMonitor", "HorizontalPodAutoscaler", "NetworkPolicy",
        "PodDisruptionBudget");
    assertThat(only(docs, "Deployment").at("/spec/template/spec/containers/0/image").asText())
        .isEqualTo("sluice/collector:0.2.0-custom");
    String yaml = only(docs, "ConfigMap").at("/data/collector.yaml").asText();
    CollectorConfig.Builder b = CollectorConfig.builder();
    CollectorConfigYaml.applyText("collector.yaml", yaml, b,
        name -> name.equals("SLUICE_API_KEY_SHA256") ? "cd".repeat(32) : null);
    CollectorConfig c = b.build();
    assertThat(c.tenants().keySet()).containsExactlyInAnyOrder("acme", "platform");
    assertThat(c.oidc().issuer()).isEqualTo("https://idp/realms/r");
    assertThat(c.tls()).isNotNull();

    // an existing Secret instead of a generated one: nothing generated, the Deployment reads the named Secret
    List<JsonNode> existing = render(CHART, "r", "logging", Map.of("kafka.bootstrap", "k:9092",
        "apiKey.existingSecret", "my-sluice-key"));
    assertThat(kinds(existing)).doesNotContain("Secret");
    assertThat(only(existing, "Deployment").toString()).contains("my-sluice-key");
  }

  @Test
  void imageTagIsTheProjectVersion() throws Exception {
    String version = projectVersion();
    JsonNode chart = new YAMLMapper().readTree(CHART.resolve("Chart.yaml").toFile());
    assertThat(chart.path("appVersion").asText()).isEqualTo(version);
    assertThat(chart.path("version").asText()).isEqualTo(version);
    List<JsonNode> docs = render(CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092"));
    assertThat(only(docs, "Deployment").at("/spec/template/spec/containers/0/image").asText())
        .isEqualTo("sluice/collector:" + version);
    // and the image the build writes is tagged with the same version (the parent pom's Jib configuration)
    assertThat(java.nio.file.Files.readString(Path.of("../pom.xml")))
        .contains("<image>${image.name}:${project.version}</image>");
  }

  @Test
  void valuesSchemaRejectsATypoAndAWrongType() {
    assertThatThrownBy(
        () -> render(CHART, "r", "n", Map.of("kafka.bootstrap", "k:9092", "serviceMonitr.enabled", true)))
        .hasMessageContaining("serviceMonitr");
    assertThatThrownBy(() -> render(CHART, "r", "n", Map.of("kafka.bootstrap", "k:9092", "service.grpcPort", 0)))
        .hasMessageContaining("grpcPort");
  }

  @Test
  void schemasCatchAnUnknownFieldAWrongTypeAndAKindWithoutSchema() {
    List<JsonNode> docs = render(CHART, "sluice", "sluice", Map.of("kafka.bootstrap", "kafka:9092",
        "apiVersions", OPTIONAL_APIS, "istio.enabled", true));
    com.fasterxml.jackson.databind.node.ObjectNode deployment = only(docs, "Deployment").deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) deployment.at("/spec/template/spec")).put("hostNetwrk", true);
    assertThat(KubernetesSchemas.problems(deployment)).singleElement().asString().contains("hostNetwrk");
    com.fasterxml.jackson.databind.node.ObjectNode rule = only(docs, "DestinationRule").deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) rule.at("/spec/trafficPolicy/loadBalancer")).put("simple", 3);
    assertThat(KubernetesSchemas.problems(rule)).isNotEmpty();
    com.fasterxml.jackson.databind.node.ObjectNode monitor = only(docs, "ServiceMonitor").deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) monitor.at("/spec")).put("endpointz", "x");
    assertThat(KubernetesSchemas.problems(monitor)).isNotEmpty();
    com.fasterxml.jackson.databind.node.ObjectNode unknown = deployment.deepCopy().put("kind", "Rollout");
    assertThat(KubernetesSchemas.problems(unknown)).singleElement().asString().contains("no schema");
  }
}
