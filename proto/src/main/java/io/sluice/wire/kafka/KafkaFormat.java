package io.sluice.wire.kafka;

import java.util.Locale;

/**
 * The two shapes of the Kafka records the collector writes. Both carry the same per-line identity (source, epoch,
 * sequence, index), so a consumer de-duplicates either the same way; {@link KafkaRecordReader} reads both.
 */
public enum KafkaFormat {
  /**
   * One Kafka record per line: value = the encoded {@code LogRecord}, {@link KafkaHeaders#IDX} = its index. For
   * consumers that need one Kafka record per line (kcat, Kafka Connect, per-line keys or compaction). Every line pays
   * the producer's, the broker's and each consumer's per-record cost.
   */
  RECORD(KafkaHeaders.SCHEMA_RECORD),
  /**
   * One Kafka record per (client batch, destination topic): value = a zstd-compressed {@code LogBatch} holding that
   * destination's lines in batch order — when the whole batch goes to one topic, the client's own zstd frame as it
   * came — {@link KafkaHeaders#COUNT} lines, their indexes in {@link KafkaHeaders#INDEXES} when the batch was split
   * across topics, the resource the lines share in {@link KafkaHeaders#RESOURCE}.
   */
  BATCH(KafkaHeaders.SCHEMA_BATCH);

  private final String schema;

  KafkaFormat(String schema) {
    this.schema = schema;
  }

  /** The {@link KafkaHeaders#SCHEMA} value of this format. */
  public String schema() {
    return schema;
  }

  /** The name in configuration files: {@code record} or {@code batch}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The format named {@code name} ({@code record} or {@code batch}, any case). */
  public static KafkaFormat parse(String name) {
    for (KafkaFormat f : values()) {
      if (f.name().equalsIgnoreCase(name.trim())) {
        return f;
      }
    }
    throw new IllegalArgumentException("\"" + name + "\" is not a Kafka record format; write record or batch");
  }
}
