package io.sluice.collector.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads collector.yaml into a {@link CollectorConfig.Builder}. Unknown keys and bad values fail with a
 * {@link ConfigException} that names the file and the dotted key. Layout:
 *
 * <pre>
 * listen: 0.0.0.0:4417
 * kafka:
 *   bootstrap: kafka-1:9092
 *   topic: sluice-logs
 *   partitions: 3
 *   replicationFactor: 1
 *   createTopic: true
 *   producer: { linger.ms: 10 }      # any producer property, over the collector's defaults
 * limits:
 *   maxFrameBytes: 4194304
 *   maxDecompressedBytes: 33554432
 *   maxInFlightBytes: 25165824
 *   maxInFlightBytesPerStream: 8388608
 *   retryAfterMs: 1000
 * shutdownTimeoutMs: 10000
 * embeddedKafka:
 *   enabled: false
 *   dir: /var/lib/sluice/kafka
 * </pre>
 */
public final class CollectorConfigYaml {
  private static final Set<String> TOP = Set.of("listen", "kafka", "limits", "shutdownTimeoutMs", "embeddedKafka");
  private static final Set<String> KAFKA =
      Set.of("bootstrap", "topic", "partitions", "replicationFactor", "createTopic", "producer");
  private static final Set<String> LIMITS = Set.of("maxFrameBytes", "maxDecompressedBytes", "maxInFlightBytes",
      "maxInFlightBytesPerStream", "retryAfterMs");
  private static final Set<String> EMBEDDED = Set.of("enabled", "dir");

  private CollectorConfigYaml() {}

  /** Applies {@code file} to {@code builder}; errors are prefixed with the file name. */
  public static CollectorConfig.Builder load(Path file, CollectorConfig.Builder builder) {
    String source = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "file " + file + " does not exist; check the path");
    } catch (IOException e) {
      throw new ConfigException("--config", "cannot read " + file + " (" + e.getMessage() + ")");
    }
    try {
      return apply(text, builder);
    } catch (ConfigException e) {
      throw e.from(source);
    }
  }

  /** Applies YAML text to {@code builder}. */
  public static CollectorConfig.Builder apply(String yaml, CollectorConfig.Builder builder) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException("(file)", "is not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return builder;
    }
    requireObject("(top level)", root);
    checkKeys("", root, TOP);
    JsonNode listen = root.get("listen");
    if (listen != null) {
      builder.listen(text("listen", listen));
    }
    if (root.has("shutdownTimeoutMs")) {
      builder.shutdownTimeout(Duration.ofMillis(number("shutdownTimeoutMs", root.get("shutdownTimeoutMs"))));
    }
    JsonNode kafka = root.get("kafka");
    if (kafka != null) {
      requireObject("kafka", kafka);
      checkKeys("kafka.", kafka, KAFKA);
      if (kafka.has("bootstrap")) builder.kafkaBootstrap(text("kafka.bootstrap", kafka.get("bootstrap")));
      if (kafka.has("topic")) builder.topic(text("kafka.topic", kafka.get("topic")));
      if (kafka.has("partitions")) {
        builder.topicPartitions((int) intRange("kafka.partitions", kafka.get("partitions")));
      }
      if (kafka.has("replicationFactor")) {
        builder.topicReplicationFactor((int) intRange("kafka.replicationFactor", kafka.get("replicationFactor")));
      }
      if (kafka.has("createTopic")) builder.createTopic(bool("kafka.createTopic", kafka.get("createTopic")));
      JsonNode producer = kafka.get("producer");
      if (producer != null) {
        requireObject("kafka.producer", producer);
        for (Iterator<Map.Entry<String, JsonNode>> it = producer.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getValue().isValueNode() || e.getValue().isNull()) {
            throw new ConfigException("kafka.producer." + e.getKey(), "must be a plain value; write e.g. 10");
          }
          builder.producerOverride(e.getKey(), e.getValue().asText());
        }
      }
    }
    JsonNode limits = root.get("limits");
    if (limits != null) {
      requireObject("limits", limits);
      checkKeys("limits.", limits, LIMITS);
      if (limits.has("maxFrameBytes")) {
        builder.maxFrameBytes(number("limits.maxFrameBytes", limits.get("maxFrameBytes")));
      }
      if (limits.has("maxDecompressedBytes")) {
        builder.maxDecompressedBytes(number("limits.maxDecompressedBytes", limits.get("maxDecompressedBytes")));
      }
      if (limits.has("maxInFlightBytes")) {
        builder.maxInFlightBytes(number("limits.maxInFlightBytes", limits.get("maxInFlightBytes")));
      }
      if (limits.has("maxInFlightBytesPerStream")) {
        builder.maxInFlightBytesPerStream(
            number("limits.maxInFlightBytesPerStream", limits.get("maxInFlightBytesPerStream")));
      }
      if (limits.has("retryAfterMs")) {
        builder.retryAfterMs((int) intRange("limits.retryAfterMs", limits.get("retryAfterMs")));
      }
    }
    JsonNode embedded = root.get("embeddedKafka");
    if (embedded != null) {
      requireObject("embeddedKafka", embedded);
      checkKeys("embeddedKafka.", embedded, EMBEDDED);
      if (embedded.has("enabled")) builder.embeddedKafka(bool("embeddedKafka.enabled", embedded.get("enabled")));
      if (embedded.has("dir")) builder.embeddedKafkaDir(Path.of(text("embeddedKafka.dir", embedded.get("dir"))));
    }
    return builder;
  }

  private static void requireObject(String key, JsonNode node) {
    if (!node.isObject()) {
      throw new ConfigException(key, "must be a mapping of keys, found " + describe(node));
    }
  }

  private static void checkKeys(String prefix, JsonNode node, Set<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw new ConfigException(prefix + name,
            "unknown key; remove it or use one of " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  private static String text(String key, JsonNode node) {
    if (!node.isValueNode() || node.isNull()) {
      throw new ConfigException(key, "must be a single value, found " + describe(node));
    }
    return node.asText();
  }

  private static long number(String key, JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isTextual()) {
      try {
        return Long.parseLong(node.asText().trim());
      } catch (NumberFormatException ignored) {
        // fall through to the error naming the key
      }
    }
    throw new ConfigException(key, describe(node) + " is not a whole number; write e.g. 1048576");
  }

  private static long intRange(String key, JsonNode node) {
    long v = number(key, node);
    if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
      throw new ConfigException(key, v + " is too large; write a number below " + Integer.MAX_VALUE);
    }
    return v;
  }

  private static boolean bool(String key, JsonNode node) {
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    if (node.isTextual() && (node.asText().equals("true") || node.asText().equals("false"))) {
      return Boolean.parseBoolean(node.asText());
    }
    throw new ConfigException(key, describe(node) + " is not true or false; write true or false");
  }

  private static String describe(JsonNode node) {
    if (node.isTextual()) return "\"" + node.asText() + "\"";
    if (node.isObject()) return "a mapping";
    if (node.isArray()) return "a list";
    return node.toString();
  }
}
