package io.sluice.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A standalone example project under {@code examples/<name>} (its own pom, not a module of this build): built with
 * this repository's Maven wrapper, then run as a plain {@code java} process on the classpath Maven resolved. The
 * Sluice appender comes from the jar this build just packaged ({@code -Dsluice.appender.jar}), so nothing needs to
 * be installed first. Maven's local repository is the one of the build that runs the test.
 */
final class ExampleProject {
  /** This repository's root: failsafe runs in {@code examples/}. */
  static final Path ROOT = Paths.get("").toAbsolutePath().getParent();

  private final Path dir;
  private final String classpath;

  private ExampleProject(Path dir, String classpath) {
    this.dir = dir;
    this.classpath = classpath;
  }

  /** The shaded or plain jar of an appender module of this build, e.g. ("appender-logback", "shaded"). */
  static Path appenderJar(String module, String classifier) {
    String version = System.getProperty("sluice.version");
    assertThat(version).as("failsafe sets sluice.version").isNotNull();
    Path jar = ROOT.resolve(module).resolve("target")
        .resolve("sluice-" + module + "-" + version + (classifier == null ? "" : "-" + classifier) + ".jar");
    assertThat(jar).as("packaged by this build before examples' integration tests (run ./mvnw verify)").exists();
    return jar;
  }

  /** {@code mvnw package dependency:build-classpath} in {@code examples/<name>}; fails with Maven's output. */
  static ExampleProject build(String name, Path appenderJar, Path log) throws IOException, InterruptedException {
    Path dir = ROOT.resolve("examples").resolve(name);
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("mvnw").toString(), "-B", "-q", "-ntp",
        "-Dsluice.appender.jar=" + appenderJar, "package", "dependency:build-classpath",
        "-Dmdep.outputFile=target/classpath.txt", "-DskipTests"));
    String repo = System.getProperty("sluice.maven.repo.local");
    if (repo != null && !repo.isBlank() && !repo.startsWith("${")) cmd.add("-Dmaven.repo.local=" + repo);
    String tail = System.getProperty("sluice.maven.repo.local.tail");
    if (tail != null && !tail.isBlank() && !tail.startsWith("${")) cmd.add("-Dmaven.repo.local.tail=" + tail);
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    boolean done = p.waitFor(5, TimeUnit.MINUTES);
    if (!done) p.destroyForcibly();
    assertThat(done && p.exitValue() == 0).as("building %s:%n%s", dir, read(log)).isTrue();
    String classpath = Files.readString(dir.resolve("target/classpath.txt"), StandardCharsets.UTF_8).trim();
    return new ExampleProject(dir, dir.resolve("target/classes") + java.io.File.pathSeparator + classpath);
  }

  /** Runs {@code mainClass} in a JVM of its own; returns the process, its output going to {@code out}. */
  Process start(String mainClass, Path out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-cp", classpath, mainClass));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile())
        .start();
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
