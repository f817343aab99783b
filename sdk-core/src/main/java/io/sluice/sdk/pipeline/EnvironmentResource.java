package io.sluice.sdk.pipeline;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * Resource attributes an application process can learn from its environment without any I/O: the Kubernetes pod,
 * namespace and node that the Downward API (or the platform) exposes as environment variables. {@code host.name}
 * is added by {@link PipelineConfig#resource()} itself. Stateless and thread-safe.
 *
 * <p>Read, for each attribute, the first non-blank variable of:
 *
 * <ul>
 *   <li>{@code k8s.pod.name} ← {@code K8S_POD_NAME}, {@code POD_NAME}
 *   <li>{@code k8s.namespace.name} ← {@code K8S_NAMESPACE}, {@code POD_NAMESPACE}
 *   <li>{@code k8s.node.name} ← {@code K8S_NODE_NAME}, {@code NODE_NAME}
 * </ul>
 *
 * Appenders add these before the configured {@code resourceAttributes}, so configuration wins.
 */
public final class EnvironmentResource {
  private static final String[][] SOURCES = {
      {"k8s.pod.name", "K8S_POD_NAME", "POD_NAME"},
      {"k8s.namespace.name", "K8S_NAMESPACE", "POD_NAMESPACE"},
      {"k8s.node.name", "K8S_NODE_NAME", "NODE_NAME"},
  };

  private EnvironmentResource() {}

  /** The attributes found in this process's environment. */
  public static Map<String, String> detect() {
    return detect(System::getenv);
  }

  /** The attributes found in {@code env} (a variable name → value or null), in a fixed order. */
  public static Map<String, String> detect(Function<String, String> env) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String[] source : SOURCES) {
      for (int i = 1; i < source.length; i++) {
        String v = env.apply(source[i]);
        if (v != null && !v.isBlank()) {
          out.put(source[0], v.trim());
          break;
        }
      }
    }
    return out;
  }
}
