package io.sluice.backend.alerts;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sluice-notifier}: runs a {@link Notifier} until SIGTERM/SIGINT. Run two or more for availability; the
 * ZooKeeper election lets one of them send.
 */
@Command(
    name = "sluice-notifier",
    mixinStandardHelpOptions = true,
    description = "Delivers each alert of the alerts topic once to a Mattermost-compatible webhook; instances elect"
        + " one sender through ZooKeeper.")
public final class NotifierMain implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", required = true, description = "Kafka host:port[,host:port]")
  String bootstrapServers;

  @Option(names = "--topic", defaultValue = KafkaAlertSinkFactory.DEFAULT_TOPIC,
      description = "alerts topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--group-id", defaultValue = "sluice-notifier",
      description = "consumer group holding the delivered offsets (default: ${DEFAULT-VALUE})")
  String groupId;

  @Option(names = "--webhook-url", required = true, description = "incoming webhook URL (http or https)")
  String webhookUrl;

  @Option(names = "--username", defaultValue = "sluice", description = "poster name (default: ${DEFAULT-VALUE})")
  String username;

  @Option(names = "--zookeeper", required = true, description = "ZooKeeper connect string, e.g. zk1:2181,zk2:2181")
  String zookeeper;

  @Option(names = "--leader-path", defaultValue = "/sluice/notifier/leader",
      description = "election znode, one per deployment (default: ${DEFAULT-VALUE})")
  String leaderPath;

  @Option(names = "--instance-id", description = "this instance's name in the election (default: host + random)")
  String instanceId;

  @Option(names = "--initial-backoff-ms", defaultValue = "200",
      description = "first retry wait after a 5xx/429/connection failure, doubled per attempt (default: ${DEFAULT-VALUE})")
  long initialBackoffMs;

  @Option(names = "--max-backoff-ms", defaultValue = "30000",
      description = "retry wait cap; retries go on while this instance leads (default: ${DEFAULT-VALUE})")
  long maxBackoffMs;

  @Option(names = "--request-timeout-ms", defaultValue = "10000",
      description = "per webhook request (default: ${DEFAULT-VALUE})")
  long requestTimeoutMs;

  @Option(names = "--dedup-records", defaultValue = "10000",
      description = "records per partition re-read on taking over, to learn delivered ids (default: ${DEFAULT-VALUE})")
  int dedupRecords;

  @Option(names = "--consumer-property", paramLabel = "KEY=VALUE",
      description = "extra Kafka consumer setting, repeatable (e.g. security.protocol=SSL)")
  Map<String, String> consumerProperties = Map.of();

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new NotifierMain());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("sluice-notifier: " + e.getMessage());
      return 1;
    });
    return cl.execute(args);
  }

  /** The validated config; a bad value is reported as a usage error naming the option. */
  NotifierConfig config() {
    NotifierConfig.Builder b = NotifierConfig.builder()
        .bootstrapServers(bootstrapServers).topic(topic).groupId(groupId).webhookUrl(webhookUrl).username(username)
        .zookeeper(zookeeper).leaderPath(leaderPath).instanceId(instanceId)
        .initialBackoff(Duration.ofMillis(initialBackoffMs)).maxBackoff(Duration.ofMillis(maxBackoffMs))
        .requestTimeout(Duration.ofMillis(requestTimeoutMs)).dedupRecords(dedupRecords);
    consumerProperties.forEach(b::consumerProperty);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
  }

  @Override
  public Integer call() throws Exception {
    NotifierConfig config = config();
    CountDownLatch done = new CountDownLatch(1);
    Notifier notifier = new Notifier(config);
    Thread hook = new Thread(() -> {
      try {
        notifier.close();
      } catch (Exception e) {
        spec.commandLine().getErr().println("sluice-notifier: close failed: " + e);
      } finally {
        done.countDown();
      }
    }, "sluice-notifier-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    notifier.start();
    spec.commandLine().getOut().println("sluice-notifier " + config.instanceId() + " started: " + config.topic()
        + " -> " + config.webhookUrl().getHost() + ", election " + config.zookeeper() + config.leaderPath());
    done.await();
    return 0;
  }
}
