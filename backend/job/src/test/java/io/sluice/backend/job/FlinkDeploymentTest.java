package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.sluice.backend.streaming.StreamingJobMain;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.beam.runners.flink.FlinkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code backend/deploy/flink/flinkdeployment.yaml} against the Flink Kubernetes Operator's CRD, as the API server
 * with strict field validation ({@code kubectl apply}'s default) would judge it: the CRD's {@code openAPIV3Schema}
 * for {@code flink.apache.org/v1beta1} (read from the operator's api jar on Maven Central,
 * {@code org.apache.flink:flink-kubernetes-operator-api}, {@code META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml})
 * with every object that lists its properties closed to others, so a misspelt field fails instead of being pruned.
 * Then what the schema cannot say: checkpoints, savepoints and HA on durable storage, an upgrade mode that keeps
 * state, JobMain as the entry class with arguments its own parser and Beam accept, and every password variable
 * the arguments name set from a Secret.
 */
class FlinkDeploymentTest {
  private static final Path FILE = Path.of("../deploy/flink/flinkdeployment.yaml");
  private static final String CRD = "META-INF/fabric8/flinkdeployments.flink.apache.org-v1.yml";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static JsonNode crd;
  private static JsonSchema schema;
  private static JsonNode deployment;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = FlinkDeploymentTest.class.getClassLoader().getResourceAsStream(CRD)) {
      assertThat(in).as(CRD + " on the test class path (flink-kubernetes-operator-api)").isNotNull();
      crd = YAML.readTree(in);
    }
    schema = strictSchema(crd, "v1beta1");
    deployment = YAML.readTree(FILE.toFile());
  }

  @Test
  void theFileIsAValidFlinkDeploymentForTheOperatorsCrd() {
    assertThat(deployment.path("apiVersion").asText())
        .isEqualTo(crd.at("/spec/group").asText() + "/v1beta1");
    assertThat(deployment.path("kind").asText()).isEqualTo(crd.at("/spec/names/kind").asText());
    assertThat(messages(deployment)).isEmpty();
  }

  @Test
  void theStrictSchemaRejectsAMisspeltFieldAndAnUnknownUpgradeMode() {
    ObjectNode typo = deployment.deepCopy();
    ((ObjectNode) typo.path("spec")).set("taskManagr", typo.path("spec").path("taskManager"));
    assertThat(messages(typo)).anyMatch(m -> m.contains("taskManagr"));

    ObjectNode badMode = deployment.deepCopy();
    ((ObjectNode) badMode.path("spec").path("job")).put("upgradeMode", "savepoints");
    assertThat(messages(badMode)).anyMatch(m -> m.contains("upgradeMode"));
  }

  @Test
  void stateAndHaLiveOnDurableStorageAndUpgradesKeepState() {
    JsonNode conf = deployment.at("/spec/flinkConfiguration");
    for (String key : List.of("state.checkpoints.dir", "state.savepoints.dir", "high-availability.storageDir")) {
      String scheme = URI.create(conf.path(key).asText()).getScheme();
      assertThat(scheme).as(key + " on storage that outlives the pods").isIn("s3", "s3p", "hdfs", "gs", "abfss");
    }
    assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
    assertThat(conf.path("execution.checkpointing.externalized-checkpoint-retention").asText())
        .isEqualTo("RETAIN_ON_CANCELLATION");
    assertThat(deployment.at("/spec/job/upgradeMode").asText()).isIn("savepoint", "last-state");
    assertThat(deployment.at("/spec/flinkVersion").asText()).as("the Flink minor Beam's runner is built for")
        .isEqualTo("v1_" + org.apache.flink.runtime.util.EnvironmentInformation.getVersion().split("\\.")[1]);
  }

  @Test
  void theJobIsJobMainWithArgumentsItsParserAndBeamAccept() {
    JsonNode job = deployment.at("/spec/job");
    assertThat(job.path("entryClass").asText()).isEqualTo(JobMain.class.getName());
    assertThat(job.path("jarURI").asText()).isEqualTo("local:///opt/flink/usrlib/sluice-backend-job.jar");
    List<String> args = new ArrayList<>();
    job.path("args").forEach(a -> args.add(a.asText()));

    CommandLine cl = JobMain.commandLine();
    cl.parseArgs(args.toArray(String[]::new));
    JobMain main = cl.getCommand();
    main.streaming.config(false); // throws on a bad duration, topic list, ...
    assertThat(main.streaming.cassandra()).isNotEmpty();
    assertThat(main.opensearch).isNotEmpty();
    assertThat(main.archive).isNotNull();
    assertThat(main.archive.getScheme()).isEqualTo("hdfs");
    assertThat(main.alertsTopic).isNotNull();
    assertThat(main.rulesUrl).startsWith("jdbc:postgresql://");
    assertThat(main.bounded).as("the deployed job is the unbounded one").isFalse();
    // what is left for Beam: only options Beam knows, and the runner uses the cluster it runs in
    PipelineOptions options = StreamingJobMain.beamOptions(main.beamArgs);
    assertThat(options.as(FlinkPipelineOptions.class).getFlinkMaster()).isEqualTo("[auto]");
    assertThat(options.as(FlinkPipelineOptions.class).getCheckpointingInterval()).isPositive();

    // every password variable the arguments name is set in the main container, from a Secret
    Map<String, JsonNode> env = new java.util.HashMap<>();
    for (JsonNode c : deployment.at("/spec/podTemplate/spec/containers")) {
      if (c.path("name").asText().equals("flink-main-container")) {
        c.path("env").forEach(e -> env.put(e.path("name").asText(), e));
      }
    }
    for (String variable : List.of(main.opensearchPasswordEnv, main.rulesPasswordEnv)) {
      assertThat(variable).isNotNull();
      assertThat(env).containsKey(variable);
      assertThat(env.get(variable).at("/valueFrom/secretKeyRef/name").asText()).as(variable).isNotEmpty();
    }
  }

  private static List<String> messages(JsonNode doc) {
    Set<ValidationMessage> errors = schema.validate(doc);
    return errors.stream().map(ValidationMessage::getMessage).sorted().collect(Collectors.toList());
  }

  /**
   * The served version's {@code openAPIV3Schema}, with {@code additionalProperties: false} added to every object
   * schema that lists its properties and neither allows others nor preserves unknown fields: the API server's strict
   * field validation, which JSON schema's open objects would otherwise let through. The root gains the
   * {@code apiVersion}, {@code kind} and {@code metadata} every custom object has implicitly.
   */
  static JsonSchema strictSchema(JsonNode crd, String version) {
    JsonNode openApi = null;
    for (JsonNode v : crd.at("/spec/versions")) {
      if (v.path("name").asText().equals(version)) {
        assertThat(v.path("served").asBoolean()).as(version + " is served").isTrue();
        openApi = v.at("/schema/openAPIV3Schema").deepCopy();
      }
    }
    assertThat(openApi).as("version " + version + " in the CRD").isNotNull();
    close(openApi);
    // what every object of a CRD has without the CRD listing it (ObjectMeta is the API server's to check)
    ObjectNode root = (ObjectNode) openApi.path("properties");
    root.putObject("apiVersion").put("type", "string");
    root.putObject("kind").put("type", "string");
    root.putObject("metadata").put("type", "object");
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApi);
  }

  private static void close(JsonNode node) {
    if (!(node instanceof ObjectNode o)) {
      return;
    }
    if (o.has("properties") && !o.has("additionalProperties")
        && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)) {
      o.put("additionalProperties", false);
    }
    o.path("properties").forEach(FlinkDeploymentTest::close);
    close(o.path("items"));
    close(o.path("additionalProperties"));
    for (String combinator : List.of("allOf", "anyOf", "oneOf")) {
      o.path(combinator).forEach(FlinkDeploymentTest::close);
    }
  }
}
