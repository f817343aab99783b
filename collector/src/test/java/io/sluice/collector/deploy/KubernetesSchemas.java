package io.sluice.collector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Validates Kubernetes objects against the JSON schemas in {@code src/test/resources/kubernetes-schemas} (origin in
 * its ORIGIN.md): Kubernetes v1.32 "standalone-strict" schemas (unknown fields fail) and the CRD schemas of
 * ServiceMonitor, Istio and Gateway API objects. An object of a kind without a bundled schema fails too: add its
 * schema rather than skip it. Thread-safe; schemas are loaded once.
 */
public final class KubernetesSchemas {
  private static final Map<String, JsonSchema> SCHEMAS = new ConcurrentHashMap<>();
  private static final ObjectMapper JSON = new ObjectMapper();

  private KubernetesSchemas() {}

  /**
   * The file of {@code apiVersion}/{@code kind}: {@code <kind>-<version>.json} for the core group,
   * {@code <kind>-<group's first label>-<version>.json} for other built-in groups, {@code <group>_<kind>_<version>.json}
   * for CRDs (groups with a dot that are not *.k8s.io built-ins).
   */
  static String file(String apiVersion, String kind) {
    String k = kind.toLowerCase(Locale.ROOT);
    int slash = apiVersion.indexOf('/');
    if (slash < 0) return k + "-" + apiVersion + ".json";
    String group = apiVersion.substring(0, slash);
    String version = apiVersion.substring(slash + 1);
    boolean builtIn =
        !group.contains(".") || group.equals("networking.k8s.io") || group.equals("rbac.authorization.k8s.io");
    return builtIn ? k + "-" + group.split("\\.")[0] + "-" + version + ".json"
        : group + "_" + k + "_" + version + ".json";
  }

  /** Every problem of {@code object} (empty when valid), each prefixed with its kind and name. */
  public static List<String> problems(JsonNode object) {
    String apiVersion = object.path("apiVersion").asText();
    String kind = object.path("kind").asText();
    String what = kind + " " + object.at("/metadata/name").asText();
    JsonSchema schema;
    try {
      schema = SCHEMAS.computeIfAbsent(file(apiVersion, kind), KubernetesSchemas::load);
    } catch (IllegalArgumentException e) {
      return List.of(what + ": " + e.getMessage());
    }
    List<String> out = new ArrayList<>();
    for (ValidationMessage m : schema.validate(object)) out.add(what + ": " + m.getMessage());
    return out;
  }

  /** Every problem of every object. */
  public static List<String> problems(List<JsonNode> objects) {
    List<String> out = new ArrayList<>();
    for (JsonNode o : objects) out.addAll(problems(o));
    return out;
  }

  private static JsonSchema load(String file) {
    try (InputStream in = KubernetesSchemas.class.getResourceAsStream("/kubernetes-schemas/" + file)) {
      if (in == null) throw new IllegalArgumentException("no schema kubernetes-schemas/" + file + " bundled; add it");
      ObjectNode node = (ObjectNode) JSON.readTree(in);
      node.remove("$schema"); // "http://json-schema.org/schema#" names no draft; they are written for draft 4-7
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(node);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
