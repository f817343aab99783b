package io.sluice.agent;

import io.sluice.config.ConfigProblem;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar sluice-agent.jar --config agent.yaml}: runs the agent until SIGTERM/SIGINT, then drains within
 * {@code drainTimeoutMs}. {@code sluice-agent validate --config agent.yaml} reads and checks the file as a start
 * would, starts nothing, and prints a summary. Exit codes: 0 clean stop (or a valid file), 2 bad configuration (every
 * problem, each naming file, line and key), 1 other failure.
 */
@Command(name = "sluice-agent", mixinStandardHelpOptions = true, version = "sluice-agent 0.2.0",
    subcommands = AgentMain.Validate.class,
    description = "Tails log files (rotation, truncation, multiline, CRI/Docker) and ships them to a Sluice collector.")
public final class AgentMain implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "YAML configuration file (required).")
  Path config;

  @Option(names = "--dry-run",
      description = "Read the matched files once from the start and print the parsed records; ship nothing.")
  boolean dryRun;

  @Option(names = "--max-records", defaultValue = "100", paramLabel = "N",
      description = "Records printed by --dry-run (default ${DEFAULT-VALUE}).")
  int maxRecords;

  private static final String NETTY_JFR = "io.grpc.netty.shaded.io.netty.jfr.enabled";

  public static void main(String[] args) {
    // Netty (inside grpc-netty-shaded) otherwise loads ~100 JFR classes at start for allocator events nobody records.
    if (System.getProperty(NETTY_JFR) == null) System.setProperty(NETTY_JFR, "false");
    System.exit(new CommandLine(new AgentMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (config == null) {
      System.err.println("sluice-agent: --config FILE is required (check a file with: sluice-agent validate --config "
          + "FILE)");
      return 2;
    }
    AgentConfig cfg;
    try {
      cfg = AgentConfig.load(config);
    } catch (AgentConfigException e) {
      printProblems("sluice-agent", e);
      return 2;
    }
    if (dryRun) {
      DryRun.run(cfg, System.out, maxRecords);
      return 0;
    }
    Agent agent = Agent.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      agent.close();
      stopped.countDown();
    }, "sluice-agent-shutdown"));
    System.err.println("sluice-agent: started (client " + agent.hello().getClientId() + ", epoch "
        + Long.toUnsignedString(agent.hello().getEpoch()) + ")" + (agent.httpPort() >= 0
            ? ", http on port " + agent.httpPort() : ""));
    stopped.await();
    return 0;
  }

  static void printProblems(String who, AgentConfigException e) {
    System.err.println(who + ": " + e.problems().size() + (e.problems().size() == 1 ? " problem" : " problems")
        + " in the configuration:");
    for (ConfigProblem p : e.problems()) {
      System.err.println("  " + p);
    }
  }

  /** {@code sluice-agent validate --config FILE}: 0 and a summary, or 2 and every problem. */
  @Command(name = "validate", mixinStandardHelpOptions = true,
      description = "Check agent.yaml as a start would, without starting: exit 0 and a summary when valid, 2 and every "
          + "problem (file:line: key: what to write) when not.")
  static final class Validate implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration file.")
    Path config;

    @Override
    public Integer call() {
      AgentConfig cfg;
      try {
        cfg = AgentConfig.load(config);
      } catch (AgentConfigException e) {
        printProblems("sluice-agent validate", e);
        return 2;
      }
      System.out.println(summary(config, cfg));
      return 0;
    }
  }

  /** A few lines saying what the configuration will do. */
  static String summary(Path file, AgentConfig c) {
    StringBuilder s = new StringBuilder().append(file.getFileName()).append(": valid\n");
    s.append("  service ").append(c.pipeline().serviceName()).append(", resource ")
        .append(c.pipeline().resourceAttributes()).append('\n');
    s.append("  collector ").append(String.join(", ", c.pipeline().endpoints().stream()
        .map(e -> e.host() + ":" + e.port()).toList()));
    if (!c.pipeline().tenant().isEmpty()) s.append(", tenant ").append(c.pipeline().tenant());
    s.append('\n');
    s.append("  spool ").append(c.pipeline().spoolDir()).append(" (").append(c.pipeline().spoolMaxBytes())
        .append(" B)\n");
    s.append("  ").append(c.inputs().size()).append(c.inputs().size() == 1 ? " input:" : " inputs:");
    for (InputConfig i : c.inputs()) {
      s.append("\n    ").append(i.name()).append(' ').append(i.include()).append(", ")
          .append(i.container().name().toLowerCase(java.util.Locale.ROOT)).append(", ")
          .append(i.parser().name().toLowerCase(java.util.Locale.ROOT));
      if (i.multiline().mode() != io.sluice.agent.multiline.MultilineMode.NONE) {
        s.append(", multiline ").append(i.multiline().mode().name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    return s.toString();
  }
}
