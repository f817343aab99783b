package io.sluice.collector.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.LogRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A broker of its own (not the shared one): stopping it would disturb the other tests. */
class EmbeddedKafkaIT {

  @Test
  @Timeout(120)
  void brokerRestartKeepsDataAndPort() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      String bootstrap = kafka.bootstrapServers();
      kafka.createTopic("restart", 2, 1);
      produce(bootstrap, "restart", "before-", 10);

      int broker = kafka.brokerIds().iterator().next();
      kafka.stopBroker(broker);
      kafka.startBroker(broker);

      assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
      produce(bootstrap, "restart", "after-", 5);
      Set<String> values = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.read(bootstrap, "restart", 15, Duration.ofSeconds(30))) {
        values.add(new String(r.value(), StandardCharsets.UTF_8));
      }
      assertThat(values).hasSize(15).contains("before-0", "before-9", "after-0", "after-4");
    }
  }

  @Test
  @Timeout(120)
  void collectorLosesNothingWhileTheBrokerIsDownAndRestarted() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
          .kafkaBootstrap(kafka.bootstrapServers()).topic("survives").topicPartitions(1).build();
      try (Collector collector = Collector.start(config);
          IngestClient client = new IngestClient(collector.port())) {
        IngestClient.Stream s = client.open().send(Frames.hello("c", 7));
        s.send(Frames.zstdBatch(1, Frames.logBatch("up", 3)));
        assertThat(s.next().getAck().getSequence()).isEqualTo(1);

        int broker = kafka.brokerIds().iterator().next();
        kafka.stopBroker(broker);
        s.send(Frames.zstdBatch(2, Frames.logBatch("down", 4)));
        // not acknowledged while the broker is down
        assertThat(s.received.poll(1, TimeUnit.SECONDS)).isNull();
        kafka.startBroker(broker);
        // the producer retries within delivery.timeout.ms; the ack arrives once Kafka has the records
        assertThat(s.next(Duration.ofSeconds(60)).getAck().getSequence()).isEqualTo(2);

        Set<String> bodies = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.read(kafka.bootstrapServers(), "survives", 7,
            Duration.ofSeconds(30))) {
          bodies.add(LogRecord.parseFrom(r.value()).getBody().getStringValue());
        }
        assertThat(bodies).containsExactlyInAnyOrder("up-0", "up-1", "up-2", "down-0", "down-1", "down-2", "down-3");
      }
    }
  }

  private static void produce(String bootstrap, String topic, String prefix, int n) throws Exception {
    Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.ACKS_CONFIG, "all",
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
        ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int i = 0; i < n; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, prefix + i)).get(30, TimeUnit.SECONDS);
      }
    }
  }
}
