package io.sluice.agent.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.collector.deploy.Charts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One container of a rendered pod template, laid out on this machine as the kubelet would lay it out in the
 * container: every mount under {@code root} at its mount path (ConfigMap and Secret volumes written from the rendered
 * objects, emptyDirs 0777, hostPaths root:root 0755 as {@code DirectoryOrCreate} makes them), the env with its
 * {@code secretKeyRef}s and {@code fieldRef}s resolved, the args with mount paths moved under {@code root}. What
 * Kubernetes itself would not do is not done: a Secret or ConfigMap no rendered object provides is an error, as the
 * pod would not start.
 *
 * <p>The process runs as the container's user: uid 0 with every capability dropped runs here as exactly that
 * ({@code setpriv}); another uid cannot (this machine's class path is readable by root only), so for such a pod the
 * file permissions it would meet are checked instead ({@link #problemsAsNonRoot}). With {@code readOnlyRootFilesystem}
 * the rest of {@code root} is owned by nobody and read-only, so a write outside the mounts fails as in the pod.
 */
final class RenderedPod {
  /** The user of the Jib images (the parent pom's {@code <user>}), when the pod does not say. */
  static final long IMAGE_USER = 65532;

  final JsonNode podSpec;
  final JsonNode container;
  private final List<JsonNode> objects;

  RenderedPod(List<JsonNode> objects, String kind, String name, String container) {
    this.objects = objects;
    JsonNode workload = Charts.find(objects, kind, name)
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " rendered"));
    this.podSpec = workload.at("/spec/template/spec");
    JsonNode c = null;
    for (JsonNode each : podSpec.path("containers")) {
      if (each.path("name").asText().equals(container)) c = each;
    }
    if (c == null) throw new AssertionError(kind + " " + name + " has no container " + container);
    this.container = c;
  }

  long uid() {
    JsonNode u = container.at("/securityContext/runAsUser");
    if (u.isMissingNode()) u = podSpec.at("/securityContext/runAsUser");
    return u.isMissingNode() ? IMAGE_USER : u.asLong();
  }

  boolean readOnlyRoot() {
    return container.at("/securityContext/readOnlyRootFilesystem").asBoolean(false);
  }

  boolean dropsAllCapabilities() {
    for (JsonNode c : container.at("/securityContext/capabilities/drop")) if (c.asText().equals("ALL")) return true;
    return false;
  }

  JsonNode volume(String name) {
    for (JsonNode v : podSpec.path("volumes")) if (v.path("name").asText().equals(name)) return v;
    throw new AssertionError("volume " + name + " is mounted but not declared");
  }

  /** mount path -> volume. */
  Map<String, JsonNode> mounts() {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    for (JsonNode vm : container.path("volumeMounts")) m.put(vm.path("mountPath").asText(), vm);
    return m;
  }

  /** Whether {@code path} (in the container) lies on a mount, and that mount's volumeMount, else null. */
  JsonNode mountOf(String path) {
    JsonNode best = null;
    int bestLength = -1;
    for (Map.Entry<String, JsonNode> e : mounts().entrySet()) {
      String mp = e.getKey();
      if ((path.equals(mp) || path.startsWith(mp.endsWith("/") ? mp : mp + "/")) && mp.length() > bestLength) {
        best = e.getValue();
        bestLength = mp.length();
      }
    }
    return best;
  }

  /** Whether the container could write below {@code path} (a directory it creates files in). */
  List<String> problemsWriting(String path) {
    List<String> out = new ArrayList<>();
    JsonNode vm = mountOf(path);
    if (vm == null) {
      if (readOnlyRoot()) out.add(path + " is on the read-only root file system (no volume mounted there)");
      return out;
    }
    if (vm.path("readOnly").asBoolean(false)) out.add(path + " is mounted read-only");
    JsonNode v = volume(vm.path("name").asText());
    if (v.has("hostPath") && uid() != 0) {
      out.add(path + " is the hostPath " + v.at("/hostPath/path").asText() + ", root:root 0755 on the node, and the"
          + " container runs as uid " + uid() + ": not writable");
    }
    if (v.has("configMap") || v.has("secret")) out.add(path + " is a ConfigMap/Secret volume: read-only");
    return out;
  }

  /** Whether the container could read files below {@code path} that the kubelet writes root:root 0640. */
  List<String> problemsReadingRootFiles(String path) {
    List<String> out = new ArrayList<>();
    long gid = container.at("/securityContext/runAsGroup").asLong(podSpec.at("/securityContext/runAsGroup").asLong(-1));
    if (uid() != 0 && gid != 0) {
      out.add(path + " holds files root:root 0640 and the container runs as uid " + uid() + ": not readable");
    }
    if (mountOf(path) == null) out.add(path + " is not mounted");
    return out;
  }

  /** Lays the container's mounts out under {@code root}; returns the env (secretKeyRef, fieldRef resolved). */
  Map<String, String> layOut(Path root, Map<String, String> fieldRefs) throws IOException {
    for (Map.Entry<String, JsonNode> e : mounts().entrySet()) {
      Path at = under(root, e.getKey());
      JsonNode vm = e.getValue();
      JsonNode v = volume(vm.path("name").asText());
      if (v.has("configMap") || v.has("secret")) {
        boolean secret = v.has("secret");
        String name = secret ? v.at("/secret/secretName").asText() : v.at("/configMap/name").asText();
        JsonNode obj = Charts.find(objects, secret ? "Secret" : "ConfigMap", name).orElseThrow(() -> new AssertionError(
            "the pod mounts " + (secret ? "Secret " : "ConfigMap ") + name + ", which no rendered object provides"));
        JsonNode data = obj.path(secret && obj.has("data") ? "data" : secret ? "stringData" : "data");
        if (vm.has("subPath")) {
          write(at, value(data.path(vm.path("subPath").asText()), secret && obj.has("data")));
        } else {
          Files.createDirectories(at);
          for (var f : (Iterable<Map.Entry<String, JsonNode>>) data::fields) {
            write(at.resolve(f.getKey()), value(f.getValue(), secret && obj.has("data")));
          }
        }
      } else if (v.has("emptyDir")) {
        Files.createDirectories(at);
        Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rwxrwxrwx"));
      } else if (v.has("hostPath")) {
        Files.createDirectories(at); // root:root 0755, as DirectoryOrCreate (this JVM runs as root)
        Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rwxr-xr-x"));
      } else {
        throw new AssertionError("volume type of " + v + " not emulated");
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (JsonNode e : container.path("env")) {
      String name = e.path("name").asText();
      if (e.has("value")) {
        env.put(name, e.path("value").asText());
      } else if (e.has("valueFrom") && e.at("/valueFrom/secretKeyRef").isObject()) {
        JsonNode ref = e.at("/valueFrom/secretKeyRef");
        JsonNode secret =
            Charts.find(objects, "Secret", ref.path("name").asText()).orElseThrow(() -> new AssertionError(
                "env " + name + " reads Secret " + ref.path("name").asText() + ", which no rendered object provides"));
        env.put(name, value(secret.at("/data/" + ref.path("key").asText()), true));
      } else if (e.at("/valueFrom/fieldRef").isObject()) {
        String field = e.at("/valueFrom/fieldRef/fieldPath").asText();
        env.put(name, fieldRefs.getOrDefault(field, "unset-" + field));
      }
    }
    return env;
  }

  /** The container's args with every path on a mount moved under {@code root}. */
  List<String> args(Path root) {
    List<String> out = new ArrayList<>();
    for (JsonNode a : container.path("args")) {
      String s = a.asText();
      out.add(s.startsWith("/") && mountOf(s) != null ? under(root, s).toString() : s);
    }
    return out;
  }

  /** Makes everything in {@code root} that is not a mount owned by nobody and read-only, as a read-only root. */
  void sealRoot(Path root) throws IOException {
    Files.createDirectories(root.resolve("tmp")); // the image's /tmp, if no volume is mounted there
    if (!readOnlyRoot()) return;
    List<Path> mountPoints = new ArrayList<>();
    for (String mp : mounts().keySet()) mountPoints.add(under(root, mp));
    try (var all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        boolean insideMount = mountPoints.stream().anyMatch(m -> p.startsWith(m));
        if (!insideMount && Files.isDirectory(p)) {
          Files.setAttribute(p, "unix:uid", 65534);
          Files.setAttribute(p, "unix:gid", 65534);
          Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("r-xr-xr-x"));
        }
      }
    }
  }

  /** The command prefix that runs as the container's user with its capabilities. */
  List<String> runAs() {
    if (uid() != 0) {
      throw new AssertionError("the container runs as uid " + uid() + ", which this machine cannot emulate; its file"
          + " permissions are checked by AgentChartTest");
    }
    List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=0", "--regid=0", "--clear-groups"));
    if (dropsAllCapabilities()) cmd.addAll(List.of("--inh-caps=-all", "--bounding-set=-all"));
    return cmd;
  }

  static Path under(Path root, String absolute) {
    return root.resolve(absolute.substring(1));
  }

  private static String value(JsonNode n, boolean base64) {
    if (n.isMissingNode()) throw new AssertionError("a key the pod reads is missing");
    return base64 ? new String(Base64.getDecoder().decode(n.asText()), StandardCharsets.UTF_8) : n.asText();
  }

  private static void write(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }
}
