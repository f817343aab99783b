package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The latest alerts of a tenant from the job's alerts topic (backend/alerts' {@code KafkaAlertSink}: key = alert id,
 * value = {@code AlertJson}): reads at most {@link #SCAN_PER_PARTITION} records back from the end of each partition,
 * keeps the caller's tenant's, one per id, newest first. A fresh consumer per call (no group, nothing committed),
 * bounded by the timeout. Thread-safe.
 */
final class KafkaAlerts {
  static final int SCAN_PER_PARTITION = 5_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private final String bootstrap;
  private final String topic;
  private final Duration timeout;

  KafkaAlerts(String bootstrap, String topic, Duration timeout) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.timeout = timeout;
  }

  Map<String, Object> latest(String tenant, int limit) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
    int undecodable = 0;
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      List<PartitionInfo> infos = c.partitionsFor(topic, timeout);
      if (infos != null) {
        infos.forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      }
      c.assign(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      Map<TopicPartition, Long> begin = c.beginningOffsets(parts, timeout);
      long remaining = 0;
      for (TopicPartition tp : parts) {
        long start = Math.max(begin.get(tp), end.get(tp) - SCAN_PER_PARTITION);
        c.seek(tp, start);
        remaining += end.get(tp) - start;
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      while (remaining > 0 && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() < end.get(new TopicPartition(r.topic(), r.partition()))) {
            remaining--;
            try {
              JsonNode a = JSON.readTree(r.value());
              if (tenant.equals(a.path("tenant").asText())) {
                byId.put(a.path("id").asText(), JSON.convertValue(a, Map.class));
              }
            } catch (java.io.IOException | RuntimeException e) {
              undecodable++;
            }
          }
        }
      }
    }
    List<Map<String, Object>> alerts = new ArrayList<>(byId.values());
    alerts.sort(Comparator.comparing((Map<String, Object> a) -> -((Number) a.getOrDefault("windowEndMillis", 0))
        .longValue()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("alerts", alerts.size() > limit ? alerts.subList(0, limit) : alerts);
    out.put("undecodable", undecodable);
    return out;
  }
}
