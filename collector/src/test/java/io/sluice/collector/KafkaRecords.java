package io.sluice.collector;

import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaFormatException;
import io.sluice.wire.kafka.KafkaHeaders;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads a topic from the beginning with a fresh consumer (no group), for assertions. {@link #read} gives one record
 * per log line whatever format the collector wrote ({@link #lines}); {@link #readRaw} gives the Kafka records as
 * they are.
 */
public final class KafkaRecords {
  private static final KafkaRecordReader READER = new KafkaRecordReader();

  private KafkaRecords() {}

  /**
   * Every line of {@code topic}, as record-format records ({@link #lines}), polling until at least {@code expected}
   * lines arrived or {@code timeout} passed.
   */
  public static List<ConsumerRecord<byte[], byte[]>> read(String bootstrap, String topic, int expected,
      Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    readRaw(bootstrap, topic, expected, timeout, r -> out.addAll(lines(r)), out::size);
    return out;
  }

  /** Every Kafka record of {@code topic} as written, polling until {@code expected} records arrived or timeout. */
  public static List<ConsumerRecord<byte[], byte[]>> readRaw(String bootstrap, String topic, int expected,
      Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    readRaw(bootstrap, topic, expected, timeout, out::add, out::size);
    return out;
  }

  /**
   * The lines of {@code r}: itself for a record-format record; for a batch-format one, one record per line with
   * the record format's value (the line's LogRecord) and headers (source, epoch, seq, idx, tenant, schema, and the
   * reason if any), the batch record's topic, partition, offset, timestamp and key.
   */
  public static List<ConsumerRecord<byte[], byte[]>> lines(ConsumerRecord<byte[], byte[]> r) {
    KafkaRecordReader.Headers h = name -> {
      Header last = r.headers().lastHeader(name);
      return last == null ? null : last.value();
    };
    try {
      if (KafkaRecordReader.format(h) == KafkaFormat.RECORD) {
        return List.of(r);
      }
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      for (KafkaLine line : READER.read(h, r.value())) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(KafkaHeaders.SOURCE, h.get(KafkaHeaders.SOURCE));
        headers.add(KafkaHeaders.EPOCH, h.get(KafkaHeaders.EPOCH));
        headers.add(KafkaHeaders.SEQ, h.get(KafkaHeaders.SEQ));
        headers.add(KafkaHeaders.IDX, KafkaHeaders.int32(line.index()));
        headers.add(KafkaHeaders.TENANT, h.get(KafkaHeaders.TENANT));
        headers.add(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_RECORD));
        if (h.get(KafkaHeaders.REASON) != null) {
          headers.add(KafkaHeaders.REASON, h.get(KafkaHeaders.REASON));
        }
        byte[] value = line.record().toByteArray();
        out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(), r.timestampType(),
            r.serializedKeySize(), value.length, r.key(), value, headers, r.leaderEpoch()));
      }
      return out;
    } catch (KafkaFormatException e) {
      throw new AssertionError("a record in " + r.topic() + " is not a Sluice record: " + e.getMessage(), e);
    }
  }

  /** Lines in {@code topic} now: what Kafka has acknowledged, counted in lines whatever the format. */
  public static long lineCount(String bootstrap, String topic) {
    long records = endOffsetSum(bootstrap, topic);
    long[] lines = {0};
    int[] seen = {0};
    readRaw(bootstrap, topic, (int) records, Duration.ofSeconds(60), r -> {
      seen[0]++;
      lines[0] += lines(r).size();
    }, () -> seen[0]);
    return lines[0];
  }

  private static void readRaw(String bootstrap, String topic, int expected, Duration timeout,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each, java.util.function.IntSupplier seen) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seen.getAsInt() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(each);
      }
      // one more short poll to catch records beyond the expected count (duplicates would show here)
      consumer.poll(Duration.ofMillis(200)).forEach(each);
    }
  }

  /** Sum of end offsets of {@code topic}: how many records Kafka has acknowledged so far. */
  public static long endOffsetSum(String bootstrap, String topic) {
    Map<String, Object> props = Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
        ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
      return consumer.endOffsets(parts, Duration.ofSeconds(30)).values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
