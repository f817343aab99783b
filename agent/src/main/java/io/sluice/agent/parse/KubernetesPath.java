package io.sluice.agent.parse;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pod metadata from the kubelet's log path {@code /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log}
 * (the directory may be anywhere, only the last three components count). Namespaces and container names cannot
 * hold {@code _}; pod names cannot either, so the split is unambiguous. Stateless.
 */
public final class KubernetesPath {
  private static final Pattern POD_DIR = Pattern.compile("^([^_]+)_([^_]+)_([0-9a-fA-F-]+)$");
  private static final Pattern FILE = Pattern.compile("^(\\d+)\\.log(?:\\..*)?$");

  private KubernetesPath() {}

  /** Resource-style attributes ({@code k8s.namespace.name}, ...) or an empty map when the path is not a pod log. */
  public static Map<String, String> attributes(Path path) {
    int n = path.getNameCount();
    if (n < 3) return Map.of();
    Matcher file = FILE.matcher(path.getName(n - 1).toString());
    Matcher pod = POD_DIR.matcher(path.getName(n - 3).toString());
    if (!file.matches() || !pod.matches()) return Map.of();
    Map<String, String> a = new LinkedHashMap<>();
    a.put("k8s.namespace.name", pod.group(1));
    a.put("k8s.pod.name", pod.group(2));
    a.put("k8s.pod.uid", pod.group(3));
    a.put("k8s.container.name", path.getName(n - 2).toString());
    a.put("k8s.container.restart_count", file.group(1));
    return a;
  }
}
