package io.sluice.backend.alerts;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Serializable recipe for a {@link KafkaAlertSink}: bootstrap servers, topic and extra producer properties (e.g.
 * security settings). The durability settings are fixed: acks=all, idempotence on.
 */
public final class KafkaAlertSinkFactory implements SinkFactory<Alert> {
  private static final long serialVersionUID = 1L;
  public static final String DEFAULT_TOPIC = "sluice-alerts";

  private final String bootstrapServers;
  private final String topic;
  private final HashMap<String, String> producerProperties;

  /**
   * @param bootstrapServers host:port list of the Kafka cluster
   * @param topic the alerts topic (see {@link #DEFAULT_TOPIC})
   * @param producerProperties extra producer settings; acks and enable.idempotence may not be overridden
   */
  public KafkaAlertSinkFactory(String bootstrapServers, String topic, Map<String, String> producerProperties) {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      throw new IllegalArgumentException(
          "bootstrap servers are empty; give the Kafka cluster as host:port[,host:port]");
    }
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("alerts topic is empty; give a topic name, e.g. " + DEFAULT_TOPIC);
    }
    for (String fixed : new String[] {ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG}) {
      if (producerProperties.containsKey(fixed)) {
        throw new IllegalArgumentException("producer property " + fixed
            + " is fixed by the alert sink (acks=all, idempotence on); remove it");
      }
    }
    this.bootstrapServers = bootstrapServers;
    this.topic = topic;
    this.producerProperties = new HashMap<>(producerProperties);
  }

  public KafkaAlertSinkFactory(String bootstrapServers, String topic) {
    this(bootstrapServers, topic, Map.of());
  }

  @Override
  public Sink<Alert> open() {
    Map<String, Object> config = new HashMap<>(producerProperties);
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "sluice-alert-sink");
    return new KafkaAlertSink(config, topic);
  }
}
