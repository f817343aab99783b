package io.sluice.backend.alerts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * One real KRaft broker per test JVM (Kafka's own test kit, the shape of the collector's EmbeddedKafka), started on
 * first use and closed by a shutdown hook (the test kit's threads are not daemons).
 */
final class TestKafka {
  private static TestKafka instance;

  private final KafkaClusterTestKit cluster;
  private final Path dir;

  private TestKafka(KafkaClusterTestKit cluster, Path dir) {
    this.cluster = cluster;
    this.dir = dir;
  }

  static synchronized TestKafka get() throws Exception {
    if (instance == null) {
      Path dir = Files.createTempDirectory("sluice-alerts-kafka-");
      TestKitNodes nodes = new TestKitNodes.Builder()
          .setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir).build();
      KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes)
          .setConfigProp("offsets.topic.replication.factor", "1")
          .setConfigProp("transaction.state.log.replication.factor", "1")
          .setConfigProp("transaction.state.log.min.isr", "1")
          .setConfigProp("group.initial.rebalance.delay.ms", "0")
          .setConfigProp("auto.create.topics.enable", "false")
          .build();
      java.io.PrintStream stdout = System.out;
      System.setOut(System.err); // format() prints the bootstrap metadata
      try {
        cluster.format();
      } finally {
        System.setOut(stdout);
      }
      cluster.startup();
      cluster.waitForReadyBrokers();
      instance = new TestKafka(cluster, dir);
      Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "test-kafka-stop"));
    }
    return instance;
  }

  String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    }
  }

  private void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      System.err.println("closing the test Kafka cluster failed: " + e);
    } finally {
      try (var paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException ignored) {
        // best effort: a temp dir
      }
    }
  }
}
