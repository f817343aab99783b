package io.sluice.backend.alerts;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.Sink;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes alerts as JSON ({@link AlertJson}) to the alerts topic, keyed by {@link Alert#id()} so every copy of an
 * alert lands in one partition, in order. {@link #write} returns when Kafka acknowledged every alert (acks=all,
 * idempotent producer). A replay publishes the same alert again; the {@link Notifier} drops copies by id, so the
 * sink is idempotent end to end. One thread at a time; blocks up to the producer's delivery timeout.
 */
public final class KafkaAlertSink implements Sink<Alert> {
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  KafkaAlertSink(Map<String, Object> producerConfig, String topic) {
    this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    this.topic = topic;
  }

  @Override
  public void write(List<Alert> alerts) throws Exception {
    List<Future<RecordMetadata>> acks = new ArrayList<>(alerts.size());
    for (Alert alert : alerts) {
      acks.add(producer.send(new ProducerRecord<>(
          topic, alert.id().getBytes(StandardCharsets.UTF_8), AlertJson.encode(alert))));
    }
    producer.flush();
    for (Future<RecordMetadata> ack : acks) {
      ack.get(); // throws the send's failure: the pipeline retries the whole list, copies are dropped downstream
    }
  }

  @Override
  public void close() {
    producer.close();
  }
}
