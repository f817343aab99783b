package io.sluice.collector.publish;

import io.sluice.wire.kafka.KafkaFormat;
import java.util.Map;
import java.util.Objects;

/**
 * Which {@link KafkaFormat} the collector writes to each topic: one default ({@code kafka.format}) and exceptions
 * per topic ({@code kafka.topicFormats}), e.g. the record format for a topic read by a consumer that needs one
 * Kafka record per line. Immutable and thread-safe.
 *
 * @param defaultFormat the format of every topic not named in {@code byTopic}
 * @param byTopic exceptions, topic name to format
 */
public record TopicFormats(KafkaFormat defaultFormat, Map<String, KafkaFormat> byTopic) {
  /**
   * The collector's default: the batch format. Measured in the same run through one broker (collector/README.md,
   * "Kafka record formats"), it moved more records per second for less collector CPU than the record format.
   */
  public static final KafkaFormat DEFAULT_FORMAT = KafkaFormat.BATCH;
  public static final TopicFormats DEFAULT = new TopicFormats(DEFAULT_FORMAT, Map.of());

  public TopicFormats {
    Objects.requireNonNull(defaultFormat, "defaultFormat");
    byTopic = Map.copyOf(byTopic);
  }

  /** Every topic in {@code format}. */
  public static TopicFormats all(KafkaFormat format) {
    return new TopicFormats(format, Map.of());
  }

  /** The format of {@code topic}. */
  public KafkaFormat of(String topic) {
    return byTopic.getOrDefault(topic, defaultFormat);
  }
}
