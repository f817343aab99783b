package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.RouteRule;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * Hostile routing (issue 14, collector findings 3 and 6): a tenant routes itself, through its own
 * {@code service.name} and within its allowed topic glob, to a topic that does not exist (the in-JVM broker does
 * not auto-create topics) or to a name Kafka refuses. That must stall only that tenant's batches, and never earn
 * a retryable Nack the client would resend forever: the records are dead-lettered with a {@code sluice.reason}
 * (the rule in the collector README) and counted. Real broker, real gRPC, raw frames.
 */
class TopicIsolationIT {
  /** How long the producer waits for the metadata of a topic it does not know (the stall to isolate). */
  private static final String METADATA_WAIT_MS = "15000";

  private static ClientFrame hello(String key, String clientId, String service) {
    return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClientId(clientId).setEpoch(1)
        .setCredentials(key).setProtocolVersion(1).addResource(Frames.kv("service.name", service))).build();
  }

  private static TenantConfig tenant(String name, String topicGlob) {
    return new TenantConfig(name, List.of(Authenticator.sha256Hex(name + "-key")), List.of(), List.of(topicGlob),
        RateLimit.UNLIMITED);
  }

  private static CollectorConfig config(String id, String deadLetter) {
    return config(id, deadLetter, METADATA_WAIT_MS);
  }

  private static CollectorConfig config(String id, String deadLetter, String metadataWaitMs) {
    String def = "iso-def-" + id;
    SharedKafka.get().createTopic(def, 1, 1);
    return CollectorConfig.builder().listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(def).deadLetterTopic(deadLetter).createTopic(false)
        .producerOverride("max.block.ms", metadataWaitMs)
        .tenant(tenant("good", "iso-*"))
        .tenant(tenant("bad", "iso-*"))
        .route(new RouteRule(null, null, 0, "iso-{service}-" + id))
        .build();
  }

  @Test
  void aMissingTopicStallsOnlyItsOwnTenantAndItsRecordsAreDeadLettered() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String good = "iso-good-" + id;
    String dlq = "iso-dlq-" + id;
    SharedKafka.get().createTopic(good, 1, 1);
    SharedKafka.get().createTopic(dlq, 1, 1);
    try (Collector collector = Collector.start(config(id, dlq));
        IngestClient client = new IngestClient(collector.port())) {
      // "bad" routes itself to iso-missing-<id>, which does not exist
      IngestClient.Stream bad = client.open().send(hello("bad-key", "bad-client", "missing"));
      bad.send(Frames.zstdBatch(1, Frames.logBatch("bad", 3)));
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.metrics().batchesReceived() >= 1);

      IngestClient.Stream healthy = client.open().send(hello("good-key", "good-client", "good"));
      int batches = 5;
      for (int seq = 1; seq <= batches; seq++) {
        healthy.send(Frames.zstdBatch(seq, Frames.logBatch("good-" + seq, 4)));
      }
      List<ServerFrame> healthyFrames = new ArrayList<>();
      for (int i = 0; i < batches; i++) {
        healthyFrames.add(healthy.next(Duration.ofSeconds(60)));
      }
      // Structural, not a latency figure: every healthy batch was acknowledged while the batch bound for the missing
      // topic was still waiting for that topic's metadata (it settles only after max.block.ms). Before per-topic
      // isolation the one send thread blocked on the missing topic, so the bad batch was settled (nacked) first.
      List<ServerFrame> badSoFar = new ArrayList<>(bad.received);
      assertThat(healthyFrames).allMatch(ServerFrame::hasAck);
      assertThat(badSoFar).as("the bad tenant's batch must still be pending when the healthy tenant's acks arrive")
          .isEmpty();

      // the bad batch is then settled for good: dead-lettered (an Ack), never a retryable Nack
      ServerFrame first = bad.next(Duration.ofSeconds(90));
      assertThat(first.hasNack() ? first.getNack().getReason() : "ack").isEqualTo("ack");
      // the topic is now known to be missing: the next batch is dead-lettered at once, no second metadata wait
      bad.send(Frames.zstdBatch(2, Frames.logBatch("bad2", 2)));
      ServerFrame second = bad.next(Duration.ofSeconds(90));
      assertThat(second.hasNack() ? second.getNack().getReason() : "ack").isEqualTo("ack");

      List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.read(SharedKafka.bootstrap(), dlq, 5,
          Duration.ofSeconds(30));
      assertThat(dead).hasSize(5);
      for (ConsumerRecord<byte[], byte[]> r : dead) {
        assertThat(header(r, KafkaHeaders.TENANT)).isEqualTo("bad");
        assertThat(header(r, KafkaHeaders.REASON)).startsWith("TOPIC_MISSING").contains("iso-missing-" + id);
      }
      assertThat(bodies(dead)).containsExactlyInAnyOrder("bad-0", "bad-1", "bad-2", "bad2-0", "bad2-1");
      assertThat(KafkaRecords.read(SharedKafka.bootstrap(), good, batches * 4, Duration.ofSeconds(30)))
          .hasSize(batches * 4);
      String metrics = Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body();
      assertThat(metrics).contains("sluice_collector_topic_dead_lettered_records_total{reason=\"TOPIC_MISSING\"} 5.0");
      assertThat(metrics).contains("sluice_collector_topic_lookups_total{result=\"missing\"} 1.0");
    }
  }

  @Test
  void anOverlongRoutedTopicNameIsDeadLetteredNeverNackedRetryable() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String dlq = "iso-dlq-" + id;
    SharedKafka.get().createTopic(dlq, 1, 1);
    String service = "s".repeat(300);
    try (Collector collector = Collector.start(config(id, dlq));
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream bad = client.open().send(hello("bad-key", "long-client", service));
      bad.send(Frames.zstdBatch(1, Frames.logBatch("long", 2)));
      ServerFrame answer = bad.next(Duration.ofSeconds(90));
      assertThat(answer.hasNack() && answer.getNack().getRetryable())
          .as("a topic name Kafka can never accept must not be nacked retryable: %s", answer).isFalse();
      assertThat(answer.hasAck()).as("dead-lettered, so acknowledged: %s", answer).isTrue();

      List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.read(SharedKafka.bootstrap(), dlq, 2,
          Duration.ofSeconds(30));
      assertThat(bodies(dead)).containsExactlyInAnyOrder("long-0", "long-1");
      assertThat(header(dead.get(0), KafkaHeaders.REASON)).startsWith("TOPIC_INVALID");
      String metrics = Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body();
      assertThat(metrics).contains("sluice_collector_topic_dead_lettered_records_total{reason=\"TOPIC_INVALID\"} 2.0");
    }
  }

  @Test
  void withoutAUsableDeadLetterTopicAnInvalidTopicGetsANonRetryableNack() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    // the dead-letter topic was never created (kafka.createTopic false, the broker does not auto-create)
    try (Collector collector = Collector.start(config(id, "iso-nodlq-" + id, "2000"));
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream bad = client.open().send(hello("bad-key", "nodlq-client", "s".repeat(300)));
      bad.send(Frames.zstdBatch(1, Frames.logBatch("lost", 2)));
      ServerFrame answer = bad.next(Duration.ofSeconds(90));
      assertThat(answer.hasNack()).as("%s", answer).isTrue();
      assertThat(answer.getNack().getRetryable()).as("%s", answer).isFalse();
      assertThat(answer.getNack().getReason()).startsWith("KAFKA_REJECTED").contains("TOPIC_INVALID")
          .contains("iso-nodlq-" + id);
      assertThat(collector.metrics().nacked(io.sluice.collector.NackReason.KAFKA_REJECTED)).isEqualTo(1);
      assertThat(bad.closed).as("a permanent refusal keeps the stream open").isNotDone();
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private static List<String> bodies(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
    List<String> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      out.add(LogRecord.parseFrom(r.value()).getBody().getStringValue());
    }
    return out;
  }
}
