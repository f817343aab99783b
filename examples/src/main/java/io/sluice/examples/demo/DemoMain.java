package io.sluice.examples.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./sluice demo}: runs {@link Demo} and exits 0 only when nothing was lost. */
@Command(name = "sluice demo", mixinStandardHelpOptions = true, version = "sluice 0.2.0",
    description = "Runs Sluice end to end on embedded defaults: in-process Kafka, a collector, an app logging "
        + "through the Logback appender, the collector restarted mid-run, and a consumer counting what arrived.")
public final class DemoMain implements Callable<Integer> {
  @Option(names = "--records", defaultValue = "200000", description = "records to log (default: ${DEFAULT-VALUE})")
  int records;

  @Option(names = "--rate", defaultValue = "50000",
      description = "records per second on the logging thread, 0 for as fast as possible (default: ${DEFAULT-VALUE})")
  int rate;

  @Option(names = "--outage-seconds", defaultValue = "3",
      description = "how long the collector stays down (default: ${DEFAULT-VALUE})")
  double outageSeconds;

  @Option(names = "--work-dir",
      description = "keep the broker's data and the spool here (default: a temp dir, removed)")
  Path workDir;

  @Option(names = "--backend-jar", paramLabel = "JAR",
      description = "then run the backend's streaming job on embedded engines over the demo's topic (a JVM of its "
          + "own from this jar; ./sluice demo --backend builds it) and print the aggregates it wrote to Cassandra")
  Path backendJar;

  @Option(names = "--ui", paramLabel = "HOST:PORT", arity = "0..1", fallbackValue = "127.0.0.1:8080",
      description = "with --backend-jar: then serve the query service and web UI (default 127.0.0.1:8080) over the "
          + "job's Cassandra and the demo's topic, with the app logging on, until Ctrl-C")
  String ui;

  @Override
  public Integer call() throws Exception {
    if (records < 3) throw new CommandLine.ParameterException(new CommandLine(this), "--records must be at least 3");
    if (rate < 0) throw new CommandLine.ParameterException(new CommandLine(this), "--rate must be >= 0");
    if (outageSeconds < 0)
      throw new CommandLine.ParameterException(new CommandLine(this), "--outage-seconds must be >= 0");
    if (backendJar != null && !Files.isRegularFile(backendJar)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--backend-jar " + backendJar
          + " is not a file: build it with ./mvnw -pl backend/demo -am package -DskipTests, or use ./sluice demo --backend");
    }
    int[] backendExit = {0};
    if (ui != null && backendJar == null) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--ui needs --backend-jar (./sluice demo --ui "
          + "builds and passes it)");
    }
    Demo.AfterDelivery backend = backendJar == null ? null : (bootstrap, topic, delivered, live) -> {
      System.out.println();
      System.out.println("Backend: the streaming job (Beam on Flink [local]) over topic " + topic
          + " into an embedded Cassandra, in a JVM of its own");
      // Cassandra's add-opens are in the jar's manifest; allowAttachSelf is read at JVM start only
      java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx1536m", "-Djdk.attach.allowAttachSelf=true", "-jar", backendJar.toString(),
          "--bootstrap-servers", bootstrap, "--topics", topic, "--expect", Long.toString(delivered)));
      if (ui == null) {
        backendExit[0] = new ProcessBuilder(cmd).inheritIO().start().waitFor();
        return;
      }
      cmd.add("--ui=" + ui);
      Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT)
          .redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Runtime.getRuntime().addShutdownHook(new Thread(p::destroy));
      try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
          java.nio.charset.StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null;) {
          System.out.println(line);
          if (line.contains("Sluice UI: http")) {
            // the bounded job has counted the demo's records: new lines now go to the live tail
            live.run();
            System.out.println("  the demo app logs on (a line a second, every fifth an error); Ctrl-C stops it all");
          }
        }
      }
      backendExit[0] = p.waitFor();
    };
    Demo.Result r = Demo.run(new Demo.Options(records, rate, Duration.ofMillis((long) (outageSeconds * 1000)),
        workDir, workDir != null), System.out, backend);
    return r.lost() == 0 && backendExit[0] == 0 ? 0 : 1;
  }

  public static void main(String[] args) {
    int code = new CommandLine(new DemoMain()).execute(args);
    System.exit(code);
  }
}
