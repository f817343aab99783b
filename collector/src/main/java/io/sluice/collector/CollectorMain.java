package io.sluice.collector;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.CollectorConfigYaml;
import io.sluice.collector.config.ConfigException;
import io.sluice.config.ConfigProblem;
import io.sluice.config.ConfigReader;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code collector [--config collector.yaml] [flags]}: starts a {@link Collector} and runs until SIGTERM/SIGINT,
 * which closes it gracefully (see {@link Collector#close()}) in a shutdown hook. Flags override the file. Exit codes:
 * 143 after SIGTERM (the JVM's; the hook has drained by then), 0 for --help/--version or a {@link #stop()}, 2 for
 * a configuration error (every problem, each naming file, line and key), 1 if start-up failed.
 * {@code collector validate --config collector.yaml} checks the same configuration without starting (0 or 2).
 */
@Command(name = "collector", mixinStandardHelpOptions = true, versionProvider = CollectorMain.Version.class,
    sortOptions = false, subcommands = {CollectorMain.Validate.class, io.sluice.collector.tail.TailCommand.class},
    description = "Receives log batches from Sluice clients over gRPC and publishes each record to Kafka, "
        + "acknowledging a batch only after Kafka has acknowledged all of its records.")
public final class CollectorMain implements Callable<Integer> {
  @Mixin
  Flags flags = new Flags();

  /** The configuration flags, shared by the collector and {@code collector validate}. */
  static final class Flags {
    @Option(names = "--config", paramLabel = "FILE", description = "collector.yaml (see the README for its keys)")
    Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
        description = "gRPC address to bind; port 0 picks a free one (default: " + CollectorConfig.DEFAULT_LISTEN + ")")
    String listen;

    @Option(names = "--kafka-bootstrap", paramLabel = "HOST:PORT[,...]", description = "Kafka bootstrap servers")
    String kafkaBootstrap;

    @Option(names = "--topic", paramLabel = "NAME",
        description = "Kafka topic (default: " + CollectorConfig.DEFAULT_TOPIC + "), created if missing")
    String topic;

    @Option(names = "--anonymous", description = "let clients in without credentials (auth.anonymous: true); for "
        + "demos and tests, not for a shared collector")
    boolean anonymous;

    @Option(names = "--embedded-kafka", description = "start a Kafka broker in this process and publish to it")
    boolean embeddedKafka;

    @Option(names = "--embedded-kafka-dir", paramLabel = "DIR",
        description = "data directory of the embedded broker, formatted when empty and reopened with its data after a "
            + "restart (default: a temp dir, deleted on exit)")
    Path embeddedKafkaDir;

    /**
     * Defaults, then the file, then the flags, validated. Problems of the file come all at once, each with the file,
     * line and key; a flag's problem says "command line".
     */
    CollectorConfig config(Function<String, String> env) {
      CollectorConfig.Builder b = CollectorConfig.builder();
      ConfigReader doc = null;
      if (configFile != null) {
        doc = CollectorConfigYaml.read(configFile, b, env);
        b.configFile(configFile); // tenants, auth, limits and routes are re-read from it while running
      }
      try {
        if (listen != null) b.listen(listen);
        if (kafkaBootstrap != null) b.kafkaBootstrap(kafkaBootstrap);
        if (topic != null) b.topic(topic);
        if (embeddedKafka) b.embeddedKafka(true);
        if (embeddedKafkaDir != null) b.embeddedKafkaDir(embeddedKafkaDir);
        if (anonymous) b.anonymous(true);
      } catch (ConfigException e) {
        throw e.from("command line");
      }
      try {
        CollectorConfig config = b.build();
        config.checkAuthentication();
        return config;
      } catch (ConfigException e) {
        throw doc == null ? e.from("command line") : CollectorConfigYaml.locate(e, doc);
      }
    }
  }

  /**
   * {@code collector validate --config FILE [flags]}: reads and checks the configuration exactly as a start would,
   * starts nothing, prints a short summary and exits 0, or prints every problem and exits 2.
   */
  @Command(name = "validate", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Check collector.yaml (and flags) as a start would, without starting: exit 0 and a summary when "
          + "valid, 2 and every problem (file:line: key: what to write) when not.")
  static final class Validate implements Callable<Integer> {
    @ParentCommand
    CollectorMain parent;

    @Mixin
    Flags flags = new Flags();

    @Override
    public Integer call() {
      if (flags.configFile == null) {
        parent.err.println("collector validate: --config FILE is required");
        return 2;
      }
      CollectorConfig c;
      try {
        c = flags.config(System::getenv);
      } catch (ConfigException e) {
        printProblems(parent.err, "collector validate", e);
        return 2;
      }
      parent.out.println(summary(flags.configFile, c));
      parent.out.flush();
      return 0;
    }
  }

  /** One short paragraph saying what the configuration will do. */
  static String summary(Path file, CollectorConfig c) {
    long keyed = c.tenants().values().stream().filter(t -> !t.apiKeySha256().isEmpty()).count();
    return file.getFileName() + ": valid\n"
        + "  listen " + c.listen() + " (gRPC)" + (c.httpListen() == null ? "" : ", " + c.httpListen() + " (HTTP)")
        + (c.tls() == null ? ", plaintext" : ", TLS") + "\n"
        + "  kafka " + (c.embeddedKafka() ? "embedded" : c.kafkaBootstrap()) + ", topic " + c.topic()
        + ", dead letters " + c.deadLetterTopic() + "\n"
        + "  auth: " + c.tenants().size() + " tenants (" + keyed + " with API keys)"
        + (c.oidc() == null ? "" : ", OIDC") + (c.anonymous() ? ", anonymous allowed" : "") + "; " + c.routes().size()
        + " routes\n"
        + "  limits: frame " + c.maxFrameBytes() + " B, decompressed " + c.maxDecompressedBytes() + " B, in flight "
        + c.maxInFlightBytes() + " B (" + c.maxInFlightBytesPerStream() + " B per stream)";
  }

  static void printProblems(PrintWriter err, String who, ConfigException e) {
    err.println(who + ": " + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems")
        + " in the configuration:");
    for (ConfigProblem p : e.problems()) {
      err.println("  " + p);
    }
    err.flush();
  }

  private final CountDownLatch stop = new CountDownLatch(1);
  private volatile Collector collector;
  private PrintWriter out = new PrintWriter(System.out, true);
  private PrintWriter err = new PrintWriter(System.err, true);

  public static void main(String[] args) {
    // first thing: the JDK HTTP server reads its timeouts and connection cap once, and an OutOfMemoryError in any
    // thread must fail /livez (the launcher also passes -XX:+ExitOnOutOfMemoryError)
    io.sluice.collector.ops.HttpListenerDefaults.apply();
    io.sluice.collector.ops.Liveness.installUncaughtHandler();
    System.exit(execute(new CollectorMain(), args, new PrintWriter(System.out, true),
        new PrintWriter(System.err, true), true));
  }

  /** Runs {@code main} with {@code args}; with {@code hook} a JVM shutdown hook triggers {@link #stop()}. */
  static int execute(CollectorMain main, String[] args, PrintWriter out, PrintWriter err, boolean hook) {
    main.out = out;
    main.err = err;
    if (hook) {
      Thread t = new Thread(() -> {
        main.stop();
        main.awaitStopped();
      }, "sluice-shutdown");
      Runtime.getRuntime().addShutdownHook(t);
    }
    CommandLine cl = new CommandLine(main).setOut(out).setErr(err);
    return cl.execute(args);
  }

  /** Builds the config: defaults, then the file, then the flags. */
  CollectorConfig config() {
    return flags.config(System::getenv);
  }

  @Override
  public Integer call() {
    CollectorConfig config;
    try {
      config = config();
    } catch (ConfigException e) {
      printProblems(err, "collector", e);
      return 2;
    }
    Collector c;
    try {
      c = Collector.start(config);
    } catch (Exception e) {
      err.println("collector: could not start: " + e.getMessage());
      return 1;
    }
    collector = c;
    out.println("sluice collector listening on " + config.listenHost() + ":" + c.port() + ", publishing to topic "
        + config.topic() + " at bootstrap " + c.bootstrapServers());
    if (c.httpPort() >= 0) {
      out.println("sluice collector serving /livez /readyz /metrics on port " + c.httpPort());
    }
    if (c.fluentPort() >= 0) {
      out.println("sluice collector accepting the Fluent forward protocol on " + config.fluent().listenHost() + ":"
          + c.fluentPort());
    }
    out.flush();
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    c.close();
    out.println("sluice collector stopped: " + c.metrics());
    out.flush();
    stopped.countDown();
    return 0;
  }

  private final CountDownLatch stopped = new CountDownLatch(1);

  /** Asks a running {@link #call()} to shut down gracefully and return. */
  public void stop() {
    stop.countDown();
  }

  /** The running collector, null before start. */
  Collector collector() {
    return collector;
  }

  private void awaitStopped() {
    if (collector == null) {
      return; // never started: nothing to drain
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** --version: the project version baked in at build time. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      Properties p = new Properties();
      try (InputStream in = CollectorMain.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      }
      return new String[] {"sluice collector " + p.getProperty("version", "unknown")};
    }
  }
}
