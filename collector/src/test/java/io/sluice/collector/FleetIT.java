package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.Diagnostics;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet: a three-broker KRaft cluster (topic replication factor 3, min.insync.replicas 2), two collectors on
 * port 0 and one sdk-core Pipeline (RocksDB spool, GrpcShipper) given both collectors as its endpoint list. While a
 * thread logs, collector 1 is closed (its streams get GoAway; the client moves to collector 2), then one broker is
 * stopped (partition leaders move; acks=all still has two in-sync replicas) and started again (it catches up to
 * the in-sync set). Everything logged must be in Kafka:
 * the set of record bodies equals the set sent, every body carries exactly one identity (source, epoch, seq, idx)
 * however often it was delivered, and there is one identity per record sent.
 */
class FleetIT {
  @Test
  void oneCollectorAndThenOneBrokerStopUnderLoadAndNothingIsLost(@TempDir Path dir) throws Exception {
    String topic = "fleet";
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().numBrokers(3)
        .brokerProperty("min.insync.replicas", "2")
        // the default 128 MiB log-cleaner buffer per broker would take a third of the test JVM's heap
        .brokerProperty("log.cleaner.dedupe.buffer.size", String.valueOf(8 << 20)).start()) {
      String bootstrap = kafka.bootstrapServers();
      Collector c1 = Collector.start(collectorConfig(bootstrap, topic, true));
      try (Collector c2 = Collector.start(collectorConfig(bootstrap, topic, false))) {
        assertReplicatedThreeTimes(kafka, topic);
        PipelineConfig pc = PipelineConfig.builder()
            .endpoint("127.0.0.1:" + c1.port() + ",127.0.0.1:" + c2.port())
            .serviceName("fleet").spoolDir(dir.resolve("spool")).lingerMs(20).batchMaxRecords(500)
            .reconnectMinMs(20).reconnectMaxMs(200).diagnostics(Diagnostics.NONE).build();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger sent = new AtomicInteger();
        int minRecords = 50_000;
        int maxRecords = 150_000; // bounds the test's memory if the events take long
        try (Pipeline pipeline = Pipeline.start(pc)) {
          Thread logger = new Thread(() -> {
            for (int i = 0; i < maxRecords && (i < minRecords || !stop.get()); i++) {
              LogRecord r = Frames.record("fleet-" + i);
              while (!pipeline.offer(r)) {
                LockSupport.parkNanos(1_000_000); // the queue is full: back off, then offer the same record again
              }
              sent.incrementAndGet();
              if (i % 20 == 19) {
                LockSupport.parkNanos(4_000_000); // pacing (at most ~5,000 records/s): a steady load, not one burst
              }
            }
          }, "fleet-logger");
          logger.setDaemon(true);
          logger.start();
          try {
            await("collector 1 carries the load").atMost(Duration.ofSeconds(30))
                .until(() -> c1.metrics().recordsPublished() >= 5_000);
            assertThat(logger.isAlive()).as("collector 1 stops under load").isTrue();
            c1.close();
            long c2Before = c2.metrics().recordsPublished();
            await("collector 2 takes over").atMost(Duration.ofSeconds(30))
                .until(() -> c2.metrics().recordsPublished() >= c2Before + 5_000);

            int stopped = kafka.brokerIds().iterator().next();
            assertThat(logger.isAlive()).as("the broker stops under load").isTrue();
            kafka.stopBroker(stopped);
            long c2AfterBrokerStop = c2.metrics().recordsPublished();
            await("progress on two brokers").atMost(Duration.ofSeconds(30))
                .until(() -> c2.metrics().recordsPublished() >= c2AfterBrokerStop + 5_000);

            assertThat(logger.isAlive()).as("the broker comes back under load").isTrue();
            kafka.startBroker(stopped);
            long c2AfterBrokerStart = c2.metrics().recordsPublished();
            await("progress with the broker back").atMost(Duration.ofSeconds(30))
                .until(() -> c2.metrics().recordsPublished() >= c2AfterBrokerStart + 2_000);
          } finally {
            stop.set(true);
          }
          logger.join(Duration.ofSeconds(60).toMillis());
          assertThat(logger.isAlive()).as("the logging thread finished").isFalse();

          int total = sent.get();
          try {
            await("every record acknowledged").atMost(Duration.ofSeconds(60))
                .until(() -> pipeline.stats().acknowledged() >= total);
          } catch (Throwable t) {
            throw new AssertionError("pipeline: " + pipeline.stats() + "\ncollector 2: " + c2.metrics(), t);
          }
          assertThat(pipeline.stats().dropped()).isZero();
          await("the restarted broker is in sync again").atMost(Duration.ofSeconds(30))
              .until(() -> inSyncReplicas(kafka, topic) == 3 * 3);
        } finally {
          c1.close();
        }

        int total = sent.get();
        // streamed rather than collected: only each record's body number and identity are kept
        Map<Integer, String> identityOf = new HashMap<>();
        Set<String> identities = new HashSet<>();
        List<String> conflicts = new ArrayList<>();
        long[] inKafka = {0};
        readAll(bootstrap, topic, total, r -> {
          inKafka[0]++;
          String body = parse(r.value()).getBody().getStringValue();
          int n = Integer.parseInt(body.substring("fleet-".length()));
          String id = identity(r);
          identities.add(id);
          String first = identityOf.putIfAbsent(n, id);
          if (first != null && !first.equals(id) && conflicts.size() < 10) {
            conflicts.add(body + ": " + first + " and " + id);
          }
        });
        Set<Integer> expected = new HashSet<>();
        for (int i = 0; i < total; i++) {
          expected.add(i);
        }
        Set<Integer> lost = new TreeSet<>(expected);
        lost.removeAll(identityOf.keySet());
        assertThat(lost).as("sent but not in Kafka").isEmpty();
        assertThat(identityOf.keySet()).as("bodies in Kafka vs sent").isEqualTo(expected);
        assertThat(conflicts).as("a duplicate carries its original's identity").isEmpty();
        assertThat(identities).hasSize(total);
        long duplicates = inKafka[0] - total;
        System.out.printf("fleet: sent %d, in Kafka %d records, %d duplicates, 0 lost%n", total, inKafka[0],
            duplicates);
        assertThat(duplicates).isNotNegative();
      }
    }
  }

  private static CollectorConfig collectorConfig(String bootstrap, String topic, boolean createTopic) {
    return CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap(bootstrap).topic(topic).topicPartitions(3).topicReplicationFactor(3)
        .createTopic(createTopic).shutdownTimeout(Duration.ofSeconds(10)).build();
  }

  private static void assertReplicatedThreeTimes(EmbeddedKafka kafka, String topic) throws Exception {
    try (Admin admin = kafka.admin()) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      assertThat(d.partitions()).allSatisfy(p -> assertThat(p.replicas()).hasSize(3));
    }
  }

  /** The sum over the topic's partitions of their in-sync replicas. */
  private static int inSyncReplicas(EmbeddedKafka kafka, String topic) throws Exception {
    try (Admin admin = kafka.admin()) {
      TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
      return d.partitions().stream().mapToInt(p -> p.isr().size()).sum();
    }
  }

  private static LogRecord parse(byte[] value) {
    try {
      return LogRecord.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("a record in Kafka is not a LogRecord", e);
    }
  }

  /** Every record of {@code topic} from the beginning, until {@code expected} were seen and one more poll is empty. */
  private static void readAll(String bootstrap, String topic, int expected,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long seen = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (System.nanoTime() < deadline) {
        var batch = consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          List<ConsumerRecord<byte[], byte[]>> lines = KafkaRecords.lines(r); // either Kafka record format
          lines.forEach(each);
          seen += lines.size();
        }
        if (seen >= expected && batch.isEmpty()) {
          return;
        }
      }
    }
  }

  private static String identity(ConsumerRecord<byte[], byte[]> r) {
    return new String(r.headers().lastHeader(KafkaHeaders.SOURCE).value(), StandardCharsets.UTF_8) + "/"
        + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.EPOCH).value()) + "/"
        + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.SEQ).value()) + "/"
        + KafkaHeaders.readInt32(r.headers().lastHeader(KafkaHeaders.IDX).value());
  }
}
