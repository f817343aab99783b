package io.sluice.agent.parse;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code service.name} of a container log from its kubelet path ({@link KubernetesPath}), so that a node agent
 * (one process, every pod of the node) names each pod's lines by their service instead of one name per node.
 * Stateless.
 *
 * <p>{@link Mode#WORKLOAD} strips what controllers append to pod names: a Deployment's pod-template hash and random
 * suffix ({@code checkout-7d9f8b6c5d-x2k4p} → {@code checkout}), a DaemonSet's or Job's random suffix
 * ({@code fluent-x2k4p} → {@code fluent}), a CronJob's schedule time ({@code report-29061420-x2k4p} → {@code report}),
 * a StatefulSet's ordinal ({@code kafka-2} → {@code kafka}). A bare pod keeps its name. Labels and annotations are
 * not in the path: name the container after the service and use {@link Mode#CONTAINER} where pod names do not say it.
 */
public final class PodServiceName {
  /** Where the service name comes from. */
  public enum Mode {
    /** The configured {@code serviceName} for every line (the default). */
    CONFIG,
    /** The container name. */
    CONTAINER,
    /** The pod's controller (Deployment, StatefulSet, DaemonSet, Job, CronJob) name, from the pod name. */
    WORKLOAD,
    /** {@code <namespace>/<workload>}. */
    NAMESPACE_WORKLOAD;

    /** {@code config}, {@code container}, {@code workload}, {@code namespace-workload}; null if none of them. */
    public static Mode parse(String s) {
      for (Mode m : values()) {
        if (m.name().replace('_', '-').equalsIgnoreCase(s.trim())) return m;
      }
      return null;
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Kubernetes' generated-name alphabet (no vowels, no 0 1 3): random suffixes and pod-template hashes. */
  private static final String SAFE = "[bcdfghjklmnpqrstvwxz2456789]";
  private static final Pattern RANDOM_SUFFIX = Pattern.compile("-" + SAFE + "{5}$");
  private static final Pattern TEMPLATE_HASH = Pattern.compile("-" + SAFE + "{6,10}$");
  private static final Pattern CRON_TIME = Pattern.compile("-\\d{8,}$");
  private static final Pattern ORDINAL = Pattern.compile("-\\d+$");

  private PodServiceName() {}

  /** The service name of {@code path} under {@code mode}, or {@code fallback} when the path is not a pod log. */
  public static String of(Mode mode, Path path, String fallback) {
    if (mode == Mode.CONFIG) return fallback;
    Map<String, String> a = KubernetesPath.attributes(path);
    if (a.isEmpty()) return fallback;
    return switch (mode) {
      case CONTAINER -> a.get("k8s.container.name");
      case WORKLOAD -> workload(a.get("k8s.pod.name"));
      case NAMESPACE_WORKLOAD -> a.get("k8s.namespace.name") + "/" + workload(a.get("k8s.pod.name"));
      case CONFIG -> fallback;
    };
  }

  /** The controller's name in a generated pod name (see the class comment); the pod name itself if none is found. */
  public static String workload(String pod) {
    String s = pod;
    var random = RANDOM_SUFFIX.matcher(s);
    if (random.find() && random.start() > 0) {
      s = s.substring(0, random.start());
      var hash = TEMPLATE_HASH.matcher(s);
      var cron = CRON_TIME.matcher(s);
      if (hash.find() && hash.start() > 0) {
        s = s.substring(0, hash.start());
      } else if (cron.find() && cron.start() > 0) {
        s = s.substring(0, cron.start());
      }
      return s;
    }
    var ordinal = ORDINAL.matcher(s);
    if (ordinal.find() && ordinal.start() > 0) s = s.substring(0, ordinal.start());
    return s;
  }
}
