package io.sluice.sdk.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container image tar (Docker {@code save} format, as Jib's {@code buildTar} writes it) unpacked into a root file
 * system and run the way a container runtime would — its entrypoint, environment, working directory and user —
 * under {@code chroot}, since no container engine runs on the build machines. Needs Linux, root and
 * {@code /usr/sbin/chroot}: {@link #runnableHere()} says whether a test can use it.
 */
public final class ContainerImage {
  private static final Path CHROOT = Path.of("/usr/sbin/chroot");

  private final Path rootfs;
  private final List<String> entrypoint;
  private final List<String> env;
  private final String user;
  private final String workingDir;

  private ContainerImage(Path rootfs, List<String> entrypoint, List<String> env, String user, String workingDir) {
    this.rootfs = rootfs;
    this.entrypoint = entrypoint;
    this.env = env;
    this.user = user;
    this.workingDir = workingDir;
  }

  /** Whether images can be run here: Linux, root (chroot needs it) and a chroot binary. */
  public static boolean runnableHere() {
    return System.getProperty("os.name").startsWith("Linux")
        && "root".equals(System.getProperty("user.name"))
        && Files.isExecutable(CHROOT);
  }

  /** Unpacks {@code imageTar}'s layers, in order, into {@code dir/rootfs}. */
  public static ContainerImage unpack(Path imageTar, Path dir) throws IOException, InterruptedException {
    Path raw = Files.createDirectories(dir.resolve("raw"));
    Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
    tar(raw, "-xf", imageTar.toAbsolutePath().toString());
    String manifest = Files.readString(raw.resolve("manifest.json"));
    String configName = first(manifest, "\"Config\"\\s*:\\s*\"([^\"]+)\"");
    for (String layer : strings(array(manifest, "Layers"))) {
      tar(rootfs, "-xzf", raw.resolve(layer).toString());
    }
    String config = Files.readString(raw.resolve(configName));
    return new ContainerImage(
        rootfs,
        strings(array(config, "Entrypoint")),
        strings(array(config, "Env")),
        first(config, "\"User\"\\s*:\\s*\"([^\"]*)\""),
        first(config, "\"WorkingDir\"\\s*:\\s*\"([^\"]*)\""));
  }

  public Path rootfs() {
    return rootfs;
  }

  public List<String> entrypoint() {
    return entrypoint;
  }

  public String user() {
    return user;
  }

  /** A started container: its process and its output (stdout and stderr merged) in a file. */
  public record Running(Process process, Path log) implements AutoCloseable {
    /** What the container printed so far, line by line. */
    public List<String> output() {
      try {
        return Files.readAllLines(log);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** SIGTERM (as {@code docker stop}), then SIGKILL after {@code graceSeconds}; the exit code. */
    public int stop(int graceSeconds) throws InterruptedException {
      process.destroy();
      if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      return process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        stop(30);
      }
    }
  }

  /**
   * Starts the image's entrypoint with {@code args} (as {@code docker run image args...} would), as the image's
   * user, with only the image's environment; its output goes to a file beside the root file system.
   */
  public Running start(List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(CHROOT.toString());
    if (!user.isEmpty()) {
      String id = user.contains(":") ? user : user + ":" + user;
      command.add("--userspec=" + id);
    }
    command.add(rootfs.toString());
    command.addAll(entrypoint);
    command.addAll(args);
    Path log = rootfs.resolveSibling("output.log");
    ProcessBuilder pb =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().clear();
    for (String e : env) {
      int eq = e.indexOf('=');
      pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
    }
    // chroot starts the process in the new root's "/", not in WorkingDir: Sluice's entrypoints use absolute paths
    return new Running(pb.start(), log);
  }

  public String workingDir() {
    return workingDir;
  }

  private static void tar(Path into, String mode, String file) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("tar", "--warning=no-unknown-keyword", mode, file, "-C", into.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IOException("tar " + mode + " " + file + " failed: " + out);
    }
  }

  private static String first(String json, String regex) {
    Matcher m = Pattern.compile(regex).matcher(json);
    return m.find() ? m.group(1) : "";
  }

  private static String array(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\\[(.*?)]", Pattern.DOTALL).matcher(json);
    if (!m.find()) {
      throw new IllegalArgumentException("no \"" + key + "\" array in " + json);
    }
    return m.group(1);
  }

  private static List<String> strings(String arrayBody) {
    List<String> out = new ArrayList<>();
    Matcher m = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(arrayBody);
    while (m.find()) {
      out.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    return out;
  }
}
