package io.sluice.collector.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.sluice.collector.Collector;
import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.config.CollectorConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Helm chart lints and renders (helm-java), agent manifests parse, the dashboard queries real metrics. */
class PackagingTest {
  static final Path CHART = Path.of("helm/sluice-collector");

  static List<JsonNode> yamlDocs(String text) throws Exception {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class)
        .readValues(new YAMLFactory().createParser(text))) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) {
          docs.add(n);
        }
      }
    }
    return docs;
  }

  @Test
  void helmChartLintsAndRendersEveryKindWithAValidCollectorConfig() throws Exception {
    LintResult lint = new Helm(CHART).lint().strict().call();
    assertThat(lint.isFailed()).as("%s", lint.getMessages()).isFalse();
    List<JsonNode> docs = Charts.render(CHART, "r", "default", Map.of("tls.enabled", true, "oidc.enabled", true,
        "oidc.issuer", "https://idp/realms/r", "oidc.jwksUrl", "https://idp/realms/r/protocol/openid-connect/certs",
        "zookeeper.connect", "zk-0.zk:2181", "apiVersions", CollectorChartTest.OPTIONAL_APIS));
    Set<String> kinds = new TreeSet<>();
    docs.forEach(d -> kinds.add(d.path("kind").asText()));
    assertThat(kinds).contains("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
        "ConfigMap", "ServiceMonitor", "NetworkPolicy");
    JsonNode hpa = docs.stream().filter(d -> d.path("kind").asText().equals("HorizontalPodAutoscaler")).findFirst()
        .orElseThrow();
    assertThat(hpa.at("/spec/metrics/0/pods/metric/name").asText()).isEqualTo("sluice_collector_inflight_bytes");
    JsonNode deployment = docs.stream().filter(d -> d.path("kind").asText().equals("Deployment")).findFirst()
        .orElseThrow();
    assertThat(deployment.at("/spec/template/spec/volumes").toString()).contains("sluice-collector-tls");
    // an OutOfMemoryError ends the JVM, so the pod restarts instead of running on with dead threads
    assertThat(deployment.at("/spec/template/spec/containers/0/env").toString())
        .contains("JAVA_TOOL_OPTIONS").contains("-XX:+ExitOnOutOfMemoryError");
    // the ConfigMap is a config the collector accepts (the TLS files only exist in the pod)
    CollectorConfig config = CollectorChartTest.configAsThePodReadsIt(docs);
    assertThat(config.tls()).isNotNull();
    assertThat(config.oidc().issuer()).isEqualTo("https://idp/realms/r");
    assertThat(config.anonymous()).isFalse();
    assertThat(config.zookeeperConnect()).isEqualTo("zk-0.zk:2181");
    assertThat(config.zookeeperPath()).isEqualTo("/sluice/collector/config");
  }

  @Test
  void dashboardIsValidJsonAndQueriesOnlyMetricsTheCollectorExports() throws Exception {
    JsonNode dash = new ObjectMapper().readTree(Files.readString(
        Path.of("deploy/grafana/sluice-collector-dashboard.json")));
    Set<String> queried = new TreeSet<>();
    Matcher m = Pattern.compile("sluice_collector_[a-z_]+").matcher("");
    for (JsonNode p : dash.path("panels")) {
      for (JsonNode t : p.path("targets")) {
        m.reset(t.path("expr").asText());
        while (m.find()) {
          queried.add(m.group());
        }
      }
    }
    assertThat(queried).hasSizeGreaterThan(8);
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .shutdownTimeout(Duration.ofSeconds(1)).build();
    ManualPublisher publisher = new ManualPublisher();
    String exported;
    try (Collector c = Collector.start(config, publisher); IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("dash", 1));
      s.send(Frames.zstdBatch(1, Frames.logBatch("d", 1)));
      org.awaitility.Awaitility.await().until(() -> publisher.completeAll() > 0 || !s.received.isEmpty());
      s.next();
      exported = Http.get("http://127.0.0.1:" + c.httpPort() + "/metrics").body();
    }
    // the Kafka publisher's per-topic series exist only beside a KafkaPublisher (TopicIsolationIT reads them there)
    CollectorMetrics withKafka = new CollectorMetrics();
    withKafka.publisherGauges(() -> Map.of("TOPIC_MISSING", 1L), () -> Map.of("missing", 1L), () -> 0, () -> 0);
    java.io.ByteArrayOutputStream kafkaSeries = new java.io.ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(kafkaSeries, withKafka.registry().scrape());
    Set<String> samples = new HashSet<>();
    for (String line : (exported + "\n" + kafkaSeries.toString(StandardCharsets.UTF_8)).split("\n")) {
      if (!line.startsWith("#") && !line.isBlank()) {
        samples.add(line.split("[{ ]", 2)[0]);
      }
    }
    assertThat(samples).containsAll(queried);
    // every panel and target reads the datasource the operator picks, never a uid of someone else's Grafana
    assertThat(dash.at("/templating/list/0/name").asText()).isEqualTo("datasource");
    for (JsonNode p : dash.path("panels")) {
      assertThat(p.at("/datasource/uid").asText()).as(p.path("title").asText()).isEqualTo("${datasource}");
      for (JsonNode t : p.path("targets")) {
        assertThat(t.path("datasource").isMissingNode() || t.at("/datasource/uid").asText().equals("${datasource}"))
            .as(p.path("title").asText()).isTrue();
      }
    }
  }
}
