package io.sluice.agent;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar sluice-agent.jar --config agent.yaml}: runs the agent until SIGTERM/SIGINT, then drains within
 * {@code drainTimeoutMs}. Exit codes: 0 clean stop, 2 bad configuration (the message names the key), 1 other
 * failure.
 */
@Command(name = "sluice-agent", mixinStandardHelpOptions = true, version = "sluice-agent 0.2.0",
    description = "Tails log files (rotation, truncation, multiline, CRI/Docker) and ships them to a Sluice collector.")
public final class AgentMain implements Callable<Integer> {

  @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "YAML configuration file.")
  Path config;

  @Option(names = "--dry-run", description = "Read the matched files once from the start and print the parsed records; ship nothing.")
  boolean dryRun;

  @Option(names = "--max-records", defaultValue = "100", paramLabel = "N", description = "Records printed by --dry-run (default ${DEFAULT-VALUE}).")
  int maxRecords;

  private static final String NETTY_JFR = "io.grpc.netty.shaded.io.netty.jfr.enabled";

  public static void main(String[] args) {
    // Netty (inside grpc-netty-shaded) otherwise loads ~100 JFR classes at start for allocator events nobody records.
    if (System.getProperty(NETTY_JFR) == null) System.setProperty(NETTY_JFR, "false");
    System.exit(new CommandLine(new AgentMain()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    AgentConfig cfg;
    try {
      cfg = AgentConfig.load(config);
    } catch (AgentConfigException e) {
      System.err.println("sluice-agent: bad configuration in " + config + ": " + e.getMessage());
      return 2;
    }
    if (dryRun) {
      Agent.dryRun(cfg, System.out, maxRecords);
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
}
