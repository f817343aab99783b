package io.sluice.collector.route;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.CollectorConfigYaml;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Routing rules (tenant, service, severity; first match wins; default topic), the dead-letter topic with its
 * {@code sluice.reason} header, and a reload of tenants and routes from the YAML file without a restart, all
 * against the in-JVM broker.
 */
class RoutingIT {
  static ClientFrame hello(String key, String service) {
    return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClientId("route-" + service).setEpoch(1)
        .setCredentials(key).setProtocolVersion(1).addResource(Frames.kv("service.name", service))).build();
  }

  @Test
  void rulesPickTopicsInvalidRecordsAreDeadLetteredAndTheFileReloads(@TempDir Path dir) throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 6);
    String def = "def-" + id;
    String alerts = "alerts-" + id;
    String checkout = "checkout-" + id;
    String dlq = "dlq-" + id;
    String later = "later-" + id;
    for (String t : List.of(def, alerts, checkout, dlq, later)) {
      SharedKafka.get().createTopic(t, 1, 1);
    }
    String yaml = """
        tenants:
          acme: {apiKeys: ["sha256:%s"]}
        routes:
          - {tenant: acme, minSeverity: ERROR, topic: %s}
          - {service: "check*", topic: %s}
        """.formatted(Authenticator.sha256Hex("acme-key"), alerts, checkout);
    Path file = dir.resolve("collector.yaml");
    Files.writeString(file, yaml);
    CollectorConfig config = CollectorConfigYaml.load(file, CollectorConfig.builder().listen("127.0.0.1:0")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(def).deadLetterTopic(dlq).createTopic(false))
        .configFile(file).reloadInterval(Duration.ofMillis(100)).build();
    try (Collector collector = Collector.start(config);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(hello("acme-key", "checkout"));
      LogBatch batch = LogBatch.newBuilder()
          .addRecords(Frames.record("info"))
          .addRecords(Frames.record("boom").toBuilder().setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_ERROR))
          .addRecords(Frames.record("bad trace").toBuilder().setTraceId(ByteString.copyFromUtf8("short")))
          .build();
      s.send(Frames.zstdBatch(1, batch));
      assertThat(s.next().hasAck()).isTrue();
      IngestClient.Stream other = client.open().send(hello("acme-key", "search"));
      other.send(Frames.zstdBatch(1, Frames.logBatch("plain", 1)));
      assertThat(other.next().hasAck()).isTrue();

      assertThat(bodies(KafkaRecords.read(SharedKafka.bootstrap(), checkout, 1, Duration.ofSeconds(20))))
          .containsExactly("info");
      assertThat(bodies(KafkaRecords.read(SharedKafka.bootstrap(), alerts, 1, Duration.ofSeconds(20))))
          .containsExactly("boom");
      assertThat(bodies(KafkaRecords.read(SharedKafka.bootstrap(), def, 1, Duration.ofSeconds(20))))
          .containsExactly("plain-0");
      List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.read(SharedKafka.bootstrap(), dlq, 1,
          Duration.ofSeconds(20));
      assertThat(bodies(dead)).containsExactly("bad trace");
      assertThat(new String(dead.get(0).headers().lastHeader(KafkaHeaders.REASON).value(), StandardCharsets.UTF_8))
          .startsWith("INVALID_TRACE_ID");
      assertThat(java.util.Arrays.stream(dead.get(0).headers().toArray()).map(h -> h.key()))
          .containsExactly(KafkaHeaders.SOURCE, KafkaHeaders.EPOCH, KafkaHeaders.SEQ, KafkaHeaders.IDX,
              KafkaHeaders.TENANT, KafkaHeaders.SCHEMA, KafkaHeaders.REASON);

      // reload: a new tenant, and a catch-all route to a new topic; the old key keeps working, no restart
      Files.writeString(file, yaml.replace("tenants:\n", "tenants:\n  globex: {apiKeys: [\"sha256:"
          + Authenticator.sha256Hex("globex-key") + "\"]}\n") + "  - {topic: " + later + "}\n");
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.policy().config().tenants().size() == 2);
      IngestClient.Stream g = client.open().send(hello("globex-key", "search"));
      g.send(Frames.zstdBatch(1, Frames.logBatch("globex", 1)));
      assertThat(g.next().hasAck()).isTrue();
      assertThat(bodies(KafkaRecords.read(SharedKafka.bootstrap(), later, 1, Duration.ofSeconds(20))))
          .containsExactly("globex-0");

      // a broken file is refused as a whole: the running policy stays
      Files.writeString(file, "tenants: [not, a, mapping]\n");
      await().atMost(Duration.ofSeconds(15)).until(() -> collector.metrics().configReloadFailures() >= 1);
      assertThat(collector.policy().config().tenants()).containsKeys("acme", "globex");
      Status unknown = client.open().send(hello("nobody", "x")).awaitClose();
      assertThat(unknown.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    }
  }

  static List<String> bodies(List<ConsumerRecord<byte[], byte[]>> records) throws Exception {
    java.util.ArrayList<String> out = new java.util.ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      out.add(io.sluice.proto.v1.LogRecord.parseFrom(r.value()).getBody().getStringValue());
    }
    return out;
  }
}
