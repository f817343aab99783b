package io.sluice.backend.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real KRaft broker in this JVM (Kafka's own test kit, the shape of the collector's EmbeddedKafka), on a free port
 * of 127.0.0.1 with its logs in a temp directory; topics are not created automatically. Either {@link #start()} one
 * and {@link #close()} it, or use the JVM's {@link #shared()} one, which a shutdown hook closes. The test kit's
 * threads are not daemons: an unclosed broker keeps the JVM alive. Users need kafka_2.13, kafka-test-common-runtime,
 * kafka-clients' {@code test} jar and bcpkix-jdk18on on their test classpath (see backend/alerts' pom).
 */
public final class TestKafka implements AutoCloseable {
  private static TestKafka shared;

  private final KafkaClusterTestKit cluster;
  private final Path dir;

  private TestKafka(KafkaClusterTestKit cluster, Path dir) {
    this.cluster = cluster;
    this.dir = dir;
  }

  /** A new broker, ready to use; the caller closes it. */
  public static TestKafka start() throws Exception {
    Path dir = Files.createTempDirectory("sluice-kafka-");
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
    return new TestKafka(cluster, dir);
  }

  /** The broker of this JVM, started on first use and closed when the JVM exits. */
  public static synchronized TestKafka shared() throws Exception {
    if (shared == null) {
      shared = start();
      TestKafka broker = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "test-kafka-stop"));
    }
    return shared;
  }

  public String bootstrapServers() {
    return cluster.bootstrapServers();
  }

  /** A new admin client; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  public void createTopic(String topic, int partitions) throws Exception {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Sends the records in order (acks=all) with their headers and keys, as the collector would, to the partition
   * Kafka's default partitioner picks for the key; returns when every one is acknowledged. Like the collector, the
   * Kafka timestamp is the send time, not the record's event time: records dated days ago would otherwise be deleted
   * by the broker's retention (7 days) while a test runs, and records dated ahead refused
   * ({@code message.timestamp.after.max.ms}). {@link #produceAt} sends chosen timestamps.
   */
  public void produce(List<RawRecord> records) throws Exception {
    send(records, true);
  }

  /** As {@link #produce}, with each record's {@link RawRecord#timestampMs()} as its Kafka timestamp. */
  public void produceAt(List<RawRecord> records) throws Exception {
    send(records, false);
  }

  private void send(List<RawRecord> records, boolean sendTimes) throws Exception {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (RawRecord r : records) {
        ProducerRecord<byte[], byte[]> pr =
            new ProducerRecord<>(r.topic(), null, sendTimes ? null : r.timestampMs(), r.key(), r.value());
        r.headers().forEach((k, v) -> pr.headers().add(k, v));
        producer.send(pr);
      }
      producer.flush();
    }
  }

  /** Every record of partition 0 of {@code topic}, from the start, as {@link RawRecord}s (at least {@code expected}). */
  public List<RawRecord> consumeAll(String topic, int expected) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    List<RawRecord> out = new ArrayList<>(expected);
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (out.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          Map<String, byte[]> headers = new HashMap<>();
          r.headers().forEach(h -> headers.put(h.key(), h.value()));
          out.add(new RawRecord(r.topic(), r.key(), headers, r.value(), r.timestamp()));
        }
      }
    }
    return out;
  }

  /** Stops the broker and deletes its directory; never throws (reports to stderr). */
  @Override
  public void close() {
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
