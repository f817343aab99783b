package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.util.EnvironmentInformation;

/**
 * A Flink standalone session cluster as a real deployment runs it: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and a TaskManager ({@code TaskManagerRunner}) in two JVMs of their
 * own, on the class path of Flink's distribution (flink-runtime, -clients, -streaming-java, the Pekko RPC loader and
 * log4j, resolved by Maven from {@code src/test/flink-cluster/pom.xml} in the version of the flink-runtime Beam's
 * runner brought onto this class path; flink-dist is not on Maven Central). No Beam or Sluice class is on the
 * cluster's class path: a job's classes arrive only in the jars it stages, loaded child-first, as in production.
 *
 * <p>Configuration in {@code <work>/conf/config.yaml}: loopback only; the JobManager's RPC and REST ports are free
 * ports picked here (the TaskManager must know the RPC port before it starts, so 0 is not possible for it), every
 * other port 0; a small fixed memory layout (~0.6 GB for both JVMs). Logs go to {@code <work>/jobmanager.log} and
 * {@code taskmanager.log} and are printed when start-up fails. {@link #close()} kills both processes (and a JVM
 * shutdown hook does, if the test JVM ends first).
 */
final class FlinkSessionCluster implements AutoCloseable {
  static final Duration START_PATIENCE = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The add-opens/exports flink-dist 1.19's config.yaml puts in env.java.opts.all for Java 17. */
  static final List<String> JAVA_17_OPTS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  /**
   * For a short test run on 2 shared cores, not for production: C1 only (start-up and a few thousand records do not
   * repay C2's compile time) and the serial collector (no GC threads competing for the cores).
   */
  static final List<String> TEST_JVM_OPTS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

  private final Path work;
  private final int restPort;
  private final int slots;
  private final List<Process> processes = new ArrayList<>();
  private final Thread reaper = new Thread(this::kill, "flink-session-cluster-reaper");
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private FlinkSessionCluster(Path work, int restPort, int slots) {
    this.work = work;
    this.restPort = restPort;
    this.slots = slots;
  }

  /**
   * Launches a JobManager and one TaskManager with {@code slots} slots and returns at once (they start while the
   * caller prepares its input); {@link #awaitReady()} waits for them.
   */
  static FlinkSessionCluster start(Path work, int slots) throws Exception {
    String classpath = classpath(work);
    Path conf = Files.createDirectories(work.resolve("conf"));
    int rpcPort = freePort();
    int restPort = freePort();
    Files.writeString(conf.resolve("config.yaml"), String.join("\n",
        "jobmanager.rpc.address: 127.0.0.1",
        "jobmanager.rpc.port: " + rpcPort,
        "jobmanager.bind-host: 127.0.0.1",
        "jobmanager.memory.heap.size: 256m",
        "rest.address: 127.0.0.1",
        "rest.bind-address: 127.0.0.1",
        "rest.port: " + restPort,
        "blob.server.port: \"0\"",
        "metrics.internal.query-service.port: \"0\"",
        "taskmanager.host: 127.0.0.1",
        "taskmanager.bind-host: 127.0.0.1",
        "taskmanager.rpc.port: \"0\"",
        "taskmanager.data.port: 0",
        "taskmanager.numberOfTaskSlots: " + slots,
        "taskmanager.cpu.cores: " + slots,
        // what taskmanager.sh would compute from taskmanager.memory.process.size; TaskManagerRunner started
        // directly wants every part given
        "taskmanager.memory.framework.heap.size: 64m",
        "taskmanager.memory.task.heap.size: 320m",
        "taskmanager.memory.managed.size: 32m",
        "taskmanager.memory.framework.off-heap.size: 64m",
        "taskmanager.memory.task.off-heap.size: 0m",
        "taskmanager.memory.network.min: 32m",
        "taskmanager.memory.network.max: 32m",
        "taskmanager.memory.jvm-metaspace.size: 256m",
        "taskmanager.memory.jvm-overhead.min: 64m",
        "taskmanager.memory.jvm-overhead.max: 64m",
        // a TaskManager that starts before the ResourceManager retries after this, not after the default 10 s
        "cluster.registration.error-delay: 500",
        "io.tmp.dirs: " + Files.createDirectories(work.resolve("tmp")),
        ""), StandardCharsets.UTF_8);
    Files.writeString(conf.resolve("log4j2.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = File",
        "appender.file.type = File",
        "appender.file.name = File",
        "appender.file.fileName = ${sys:log.file}",
        "appender.file.layout.type = PatternLayout",
        "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
        ""), StandardCharsets.UTF_8);

    FlinkSessionCluster cluster = new FlinkSessionCluster(work, restPort, slots);
    Runtime.getRuntime().addShutdownHook(cluster.reaper);
    try {
      // heap and direct memory as the start-up scripts derive them from the layout above
      cluster.launch("jobmanager", classpath, List.of("-Xmx256m", "-Xms256m"),
          "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
      cluster.launch("taskmanager", classpath,
          List.of("-Xmx384m", "-Xms384m", "-XX:MaxDirectMemorySize=96m", "-XX:MaxMetaspaceSize=256m"),
          "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
      return cluster;
    } catch (Throwable e) {
      cluster.close();
      throw e;
    }
  }

  /** Returns once the TaskManager registered with all its slots; on failure closes the cluster, with its logs. */
  FlinkSessionCluster awaitReady() {
    try {
      await().atMost(START_PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> {
        checkAlive();
        JsonNode overview = getOrNull("/overview");
        return overview != null && overview.path("taskmanagers").asInt() == 1
            && overview.path("slots-total").asInt() == slots;
      });
      return this;
    } catch (Throwable e) {
      String logs = logTails();
      close();
      throw new AssertionError("the Flink session cluster did not start:\n" + logs, e);
    }
  }

  /** {@code 127.0.0.1:<rest port>}: Beam's {@code --flinkMaster}. */
  String master() {
    return "127.0.0.1:" + restPort;
  }

  /** GET on the REST API, parsed. */
  JsonNode get(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("http://" + master() + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode getOrNull(String path) throws InterruptedException {
    try {
      return get(path);
    } catch (IOException | AssertionError e) {
      return null; // not listening yet
    }
  }

  /** The last lines of both processes' logs, for a failure message. */
  String logTails() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("jobmanager", "taskmanager")) {
      for (String suffix : List.of(".log", ".out")) {
        out.append("--- ").append(name).append(suffix).append(" (last 40 lines)\n")
            .append(tail(work.resolve(name + suffix), 40));
      }
    }
    return out.toString();
  }

  /** The processes, for the test to check they are separate JVMs. */
  List<ProcessHandle> processes() {
    return processes.stream().map(Process::toHandle).toList();
  }

  @Override
  public void close() {
    kill();
    try {
      Runtime.getRuntime().removeShutdownHook(reaper);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: the hook runs anyway
    }
  }

  private void kill() {
    for (Process p : processes) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : processes) {
      try {
        p.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void checkAlive() {
    for (Process p : processes) {
      if (!p.isAlive()) {
        throw new IllegalStateException("a Flink process exited with " + p.exitValue());
      }
    }
  }

  private void launch(String name, String classpath, List<String> jvm, String mainClass) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.addAll(jvm);
    cmd.addAll(TEST_JVM_OPTS);
    cmd.addAll(JAVA_17_OPTS);
    cmd.add("-Dlog.file=" + work.resolve(name + ".log"));
    cmd.add("-Dlog4j.configurationFile=" + work.resolve("conf/log4j2.properties").toUri());
    cmd.addAll(List.of("-cp", classpath, mainClass, "--configDir", work.resolve("conf").toString()));
    processes.add(new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
        .redirectOutput(work.resolve(name + ".out").toFile()).start());
  }

  static String javaBin() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  /**
   * The distribution's class path: {@code mvnw dependency:build-classpath} of {@code src/test/flink-cluster/pom.xml}
   * at the flink-runtime version on this class path (Beam's runner's), kept in target/ per version.
   */
  static String classpath(Path work) throws IOException, InterruptedException {
    String version = EnvironmentInformation.getVersion();
    assertThat(version).as("flink-runtime's version").matches("\\d+\\.\\d+\\.\\d+");
    Path module = Paths.get("").toAbsolutePath(); // failsafe runs in backend/job
    Path file = module.resolve("target/flink-cluster-" + version + ".classpath");
    if (!Files.exists(file)) {
      Path root = module.getParent().getParent();
      Path log = work.resolve("flink-classpath-mvn.log");
      List<String> cmd = new ArrayList<>(List.of(root.resolve("mvnw").toString(), "-B", "-q", "-ntp",
          "-f", module.resolve("src/test/flink-cluster/pom.xml").toString(), "-Dflink.version=" + version,
          "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
          "-Dmdep.outputFile=" + file));
      String repo = System.getProperty("sluice.maven.repo.local");
      if (repo != null && !repo.isBlank() && !repo.startsWith("${")) {
        cmd.add("-Dmaven.repo.local=" + repo);
      }
      Process p = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      boolean done = p.waitFor(5, TimeUnit.MINUTES);
      if (!done) {
        p.destroyForcibly();
      }
      assertThat(done && p.exitValue() == 0).as("resolving the Flink cluster's class path:%n%s", tail(log, 60))
          .isTrue();
    }
    String classpath = Files.readString(file, StandardCharsets.UTF_8).trim();
    for (String jar : classpath.split(File.pathSeparator)) {
      assertThat(Path.of(jar)).as("a jar of the Flink cluster's class path").exists();
    }
    return classpath;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String tail(Path file, int lines) {
    try {
      if (!Files.exists(file)) {
        return "(none)\n";
      }
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
