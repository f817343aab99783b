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
 * <p>Then OpenTelemetry's standard variables, as every OTel SDK reads them: {@code OTEL_RESOURCE_ATTRIBUTES}
 * ({@code key=value,key2=value2}, values percent-decoded; they override the Kubernetes names above) and
 * {@code OTEL_SERVICE_NAME} (as {@code service.name}, over one in {@code OTEL_RESOURCE_ATTRIBUTES}). A malformed
 * pair is skipped, as the OTel SDKs do.
 *
 * Appenders add these before the configured {@code serviceName} and {@code resourceAttributes}, so configuration
 * wins; {@link PipelineConfig.Builder#resourceAttribute} takes {@code service.name} as the service name.
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
    String otel = env.apply("OTEL_RESOURCE_ATTRIBUTES");
    if (otel != null) {
      for (String pair : otel.split(",")) {
        int eq = pair.indexOf('=');
        if (eq <= 0) continue;
        String key = pair.substring(0, eq).trim();
        String value = decode(pair.substring(eq + 1).trim());
        if (!key.isEmpty() && value != null) out.put(key, value);
      }
    }
    String service = env.apply("OTEL_SERVICE_NAME");
    if (service != null && !service.isBlank()) out.put("service.name", service.trim());
    return out;
  }

  /** W3C Baggage-style percent-decoding; null when malformed. */
  private static String decode(String v) {
    try {
      return java.net.URLDecoder.decode(v.replace("+", "%2B"), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
