package io.sluice.backend.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestKafka;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** The alert sink against a real broker, opened from a factory that went through Java serialization (as on a worker). */
class KafkaAlertSinkIT {

  @Test
  void publishesJsonAlertsKeyedByIdAndEveryCopyInTheSamePartition() throws Exception {
    TestKafka kafka = TestKafka.shared();
    String topic = "alerts-sink";
    kafka.createTopic(topic, 4);
    List<Alert> alerts = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      alerts.add(new Alert("r", "new_fingerprint", "t", "svc" + (i % 3), "fp" + i, 1_700_000_000_000L + i, 1, 0,
          "new error " + i));
    }
    SinkFactory<Alert> factory = roundTrip(new KafkaAlertSinkFactory(kafka.bootstrapServers(), topic));
    try (Sink<Alert> sink = factory.open()) {
      sink.write(alerts);
      sink.write(alerts); // a replay: the notifier drops these copies by key
    }

    Map<String, Set<Integer>> partitionsById = new HashMap<>();
    List<Alert> decoded = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
        Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
            ConsumerConfig.GROUP_ID_CONFIG, "sink-check", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(topic));
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Alert a = AlertJson.decode(r.value());
          assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(a.id());
          partitionsById.computeIfAbsent(a.id(), k -> new java.util.HashSet<>()).add(r.partition());
          decoded.add(a);
        }
        return decoded.size() >= 40;
      });
    }
    assertThat(decoded).hasSize(40);
    assertThat(Set.copyOf(decoded)).isEqualTo(Set.copyOf(alerts));
    assertThat(partitionsById.values()).allSatisfy(p -> assertThat(p).hasSize(1));
  }

  @SuppressWarnings("unchecked")
  private static SinkFactory<Alert> roundTrip(SinkFactory<Alert> factory) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(factory);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (SinkFactory<Alert>) in.readObject();
    }
  }
}
