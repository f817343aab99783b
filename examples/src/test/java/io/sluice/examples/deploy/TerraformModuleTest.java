package io.sluice.examples.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.bertramlabs.plugins.hcl4j.HCLParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/terraform} without a terraform binary (none on these machines): every {@code .tf} file parsed as
 * HCL (hcl4j), then what {@code terraform validate} and a first apply would trip on — references to variables,
 * locals and resources that are not declared, a resource whose provider is not required, the collector chart's
 * path, Helm value names the chart does not have — and that the module agrees with the chart's and the
 * FlinkDeployment's topic and secret names.
 */
class TerraformModuleTest {
  /** This repository's root: surefire runs in {@code examples/}. */
  private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
  private static final Path MODULE = ROOT.resolve("deploy/terraform");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final Map<String, Map<String, Object>> parsed = new LinkedHashMap<>();
  private static String text;

  @BeforeAll
  static void parse() throws Exception {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(MODULE)) {
      for (Path tf : files.filter(p -> p.toString().endsWith(".tf")).sorted().toList()) {
        String source = Files.readString(tf, StandardCharsets.UTF_8);
        parsed.put(tf.getFileName().toString(), new HCLParser().parse(source));
        all.append(source).append('\n');
      }
    }
    text = withoutComments(all.toString());
    assertThat(parsed.keySet()).contains("main.tf", "variables.tf", "outputs.tf", "versions.tf");
  }

  @Test
  void theModuleDeclaresTheCollectorReleaseTheTopicsAndTheSecrets() {
    Map<String, Map<String, Object>> resources = resources();
    assertThat(resources.get("helm_release")).containsKey("collector");
    assertThat(resources.get("kafka_topic")).containsKeys("logs", "dead_letter", "alerts");
    assertThat(resources.get("kubernetes_secret")).containsKeys("api_keys", "collector_tls", "backend");
    assertThat(block("outputs.tf", "output")).containsKeys("collector_grpc_endpoint", "topics", "api_keys_secret");
  }

  @Test
  void everyReferenceNamesSomethingDeclaredAndEveryResourceHasItsProvider() {
    Set<String> variables = block("variables.tf", "variable").keySet();
    assertThat(undeclared("var", variables)).as("var.* without a variable block").isEmpty();
    assertThat(unused(variables)).as("variables nothing uses").isEmpty();
    assertThat(undeclared("local", block("main.tf", "locals").keySet())).as("local.* not in locals").isEmpty();

    Map<String, Map<String, Object>> resources = resources();
    Set<String> missing = new TreeSet<>();
    for (String type : resources.keySet()) {
      Matcher m = Pattern.compile("\\b" + type + "\\.([a-z_][a-z0-9_]*)").matcher(text);
      while (m.find()) {
        if (!resources.get(type).containsKey(m.group(1))) {
          missing.add(type + "." + m.group(1));
        }
      }
    }
    assertThat(missing).as("references to resources not declared").isEmpty();

    @SuppressWarnings("unchecked")
    Map<String, Object> required = (Map<String, Object>) ((Map<String, Object>) block("versions.tf", "terraform")
        .get("required_providers"));
    for (String type : resources.keySet()) {
      assertThat(required).as(type + "'s provider in required_providers").containsKey(type.split("_")[0]);
    }
    assertThat(block("versions.tf", "provider").keySet()).containsAll(required.keySet());
  }

  @Test
  void theReleaseInstallsTheCollectorChartOfThisRepositoryWithValuesItHas() throws IOException {
    Matcher chart = Pattern.compile("\"\\$\\{path\\.module}/([^\"]+)\"").matcher(text);
    assertThat(chart.find()).as("the default chart path, relative to the module").isTrue();
    Path chartDir = MODULE.resolve(chart.group(1)).normalize();
    assertThat(chartDir).isEqualTo(ROOT.resolve("collector/helm/sluice-collector"));
    assertThat(chartDir.resolve("Chart.yaml")).exists();
    JsonNode values = YAML.readTree(chartDir.resolve("values.yaml").toFile());

    Matcher set = Pattern.compile("name\\s*=\\s*\"([^\"]+)\"").matcher(releaseBlock());
    List<String> names = new ArrayList<>();
    while (set.find()) {
      names.add(set.group(1));
    }
    assertThat(names).contains("kafka.bootstrap", "kafka.topic", "kafka.deadLetterTopic", "tls.secretName");
    List<String> unknown = new ArrayList<>();
    for (String name : names) {
      // the part before an interpolation must exist (config.tenants.<tenant>.apiKeys: config.tenants)
      String known = name.replaceFirst("\\.?\\$\\{.*$", "").replaceFirst("\\[\\d+]$", "");
      JsonNode node = values;
      for (String key : known.split("\\.")) {
        node = node.path(key);
      }
      if (node.isMissingNode()) {
        unknown.add(name);
      }
    }
    assertThat(unknown).as("Helm values the collector chart does not define").isEmpty();
  }

  @Test
  void topicAndSecretNamesAgreeWithTheChartAndTheFlinkDeployment() throws IOException {
    Map<String, Object> variables = block("variables.tf", "variable");
    JsonNode chartValues = YAML.readTree(ROOT.resolve("collector/helm/sluice-collector/values.yaml").toFile());
    assertThat(defaultOf(variables, "logs_topic")).isEqualTo(chartValues.at("/kafka/topic").asText());
    assertThat(defaultOf(variables, "dead_letter_topic")).isEqualTo(chartValues.at("/kafka/deadLetterTopic").asText());
    assertThat(defaultOf(variables, "release_name")).isNotBlank();

    JsonNode flink = YAML.readTree(ROOT.resolve("backend/deploy/flink/flinkdeployment.yaml").toFile());
    List<String> args = new ArrayList<>();
    flink.at("/spec/job/args").forEach(a -> args.add(a.asText()));
    assertThat(args).contains("--topics=" + defaultOf(variables, "logs_topic"),
        "--alerts-topic=" + defaultOf(variables, "alerts_topic"));

    @SuppressWarnings("unchecked")
    Map<String, Object> backend = (Map<String, Object>) resources().get("kubernetes_secret").get("backend");
    @SuppressWarnings("unchecked")
    String secretName = (String) ((Map<String, Object>) backend.get("metadata")).get("name");
    @SuppressWarnings("unchecked")
    Set<String> secretKeys = ((Map<String, Object>) backend.get("data")).keySet();
    int refs = 0;
    for (JsonNode container : flink.at("/spec/podTemplate/spec/containers")) {
      for (JsonNode env : container.path("env")) {
        JsonNode ref = env.at("/valueFrom/secretKeyRef");
        if (!ref.isMissingNode()) {
          assertThat(ref.path("name").asText()).as(env.path("name").asText()).isEqualTo(secretName);
          assertThat(secretKeys).as(env.path("name").asText()).contains(ref.path("key").asText());
          refs++;
        }
      }
    }
    assertThat(refs).as("the FlinkDeployment's secret references").isPositive();
  }

  @Test
  void theReadmeSaysThereIsNoTerraformHereAndHowToRunIt() throws IOException {
    String readme = Files.readString(MODULE.resolve("README.md"), StandardCharsets.UTF_8);
    assertThat(readme).contains("terraform init", "terraform apply", "TerraformModuleTest");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> resources() {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (Map<String, Object> file : parsed.values()) {
      Object r = file.get("resource");
      if (r != null) {
        ((Map<String, Object>) r).forEach((type, byName) -> out.computeIfAbsent(type, t -> new LinkedHashMap<>())
            .putAll((Map<String, Object>) byName));
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> block(String file, String kind) {
    Object b = parsed.get(file).get(kind);
    assertThat(b).as(kind + " in " + file).isInstanceOf(Map.class);
    return (Map<String, Object>) b;
  }

  @SuppressWarnings("unchecked")
  private static String defaultOf(Map<String, Object> variables, String name) {
    assertThat(variables).containsKey(name);
    return String.valueOf(((Map<String, Object>) variables.get(name)).get("default"));
  }

  private static Set<String> undeclared(String prefix, Set<String> declared) {
    Set<String> out = new TreeSet<>();
    Matcher m = Pattern.compile("\\b" + prefix + "\\.([A-Za-z_][A-Za-z0-9_]*)").matcher(text);
    while (m.find()) {
      if (!declared.contains(m.group(1))) {
        out.add(prefix + "." + m.group(1));
      }
    }
    return out;
  }

  private static Set<String> unused(Set<String> variables) {
    Set<String> out = new TreeSet<>();
    for (String v : variables) {
      if (!Pattern.compile("\\bvar\\." + v + "\\b").matcher(text).find()) {
        out.add(v);
      }
    }
    return out;
  }

  /** The text of {@code resource "helm_release" "collector" { ... }}, braces balanced. */
  private static String releaseBlock() {
    int start = text.indexOf("resource \"helm_release\" \"collector\"");
    assertThat(start).isNotNegative();
    int depth = 0;
    for (int i = text.indexOf('{', start); i < text.length(); i++) {
      if (text.charAt(i) == '{') {
        depth++;
      } else if (text.charAt(i) == '}' && --depth == 0) {
        return text.substring(start, i + 1);
      }
    }
    throw new AssertionError("unbalanced helm_release block");
  }

  /** HCL's line comments (# and //) removed, so commented-out references do not count. */
  private static String withoutComments(String hcl) {
    StringBuilder out = new StringBuilder();
    for (String line : hcl.split("\n", -1)) {
      out.append(line.replaceFirst("^\\s*(#|//).*$", "").replaceFirst("\\s+#\\s.*$", "")).append('\n');
    }
    return out.toString();
  }
}
