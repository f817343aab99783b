package io.sluice.agent;

import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaFormatException;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What a Kafka topic holds, read from the beginning with a plain consumer: every line (the record body) with the
 * identity (source/epoch/sequence/index from the {@code sluice.*} headers) of each copy that arrived. Not
 * thread-safe; one instance per test.
 */
final class KafkaLines implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  /** body -> identity of each copy, in arrival order. */
  private final Map<String, List<String>> copies = new HashMap<>();
  private long total;

  KafkaLines(String bootstrap, String topic) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    consumer = new KafkaConsumer<>(props);
    List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }

  /** Polls until {@code done} holds for this or {@code timeout} passed, then half a second more (late copies). */
  KafkaLines readUntil(Predicate<KafkaLines> done, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.test(this) && System.nanoTime() < deadline) pollOnce(200);
    long grace = System.nanoTime() + Duration.ofMillis(500).toNanos();
    while (System.nanoTime() < grace) pollOnce(100);
    return this;
  }

  private void pollOnce(long ms) {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(ms))) {
      for (KafkaLine line : lines(r)) { // either Kafka record format
        total++;
        copies.computeIfAbsent(line.record().getBody().getStringValue(), k -> new ArrayList<>(1))
            .add(line.source() + "/" + line.epoch() + "/" + line.sequence() + "/" + line.index());
      }
    }
  }

  Set<String> distinct() {
    return copies.keySet();
  }

  /** Records beyond the first copy of each line. */
  long duplicates() {
    return total - copies.size();
  }

  /** Lines that arrived more than once under different identities: read twice, not resent (must be empty). */
  List<String> duplicatesWithNewIdentity() {
    List<String> out = new ArrayList<>();
    copies.forEach((body, ids) -> {
      if (new HashSet<>(ids).size() > 1) out.add(body + " " + ids);
    });
    return out;
  }

  long total() {
    return total;
  }

  /** The lines of a Kafka record of either format, with their identities. */
  static List<KafkaLine> lines(ConsumerRecord<byte[], byte[]> r) {
    try {
      return new KafkaRecordReader().read(name -> {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : h.value();
      }, r.value());
    } catch (KafkaFormatException e) {
      throw new AssertionError("record at offset " + r.offset() + " is not a Sluice record: " + e.getMessage(), e);
    }
  }

  static String body(byte[] value) {
    try {
      return LogRecord.parseFrom(value).getBody().getStringValue();
    } catch (IOException e) {
      throw new AssertionError("value is not a LogRecord", e);
    }
  }

  /** source/epoch/sequence/index from the Kafka headers. */
  static String identity(ConsumerRecord<byte[], byte[]> r) {
    Map<String, byte[]> h = new HashMap<>();
    for (Header header : r.headers()) h.put(header.key(), header.value());
    byte[] source = h.get("sluice.source");
    byte[] epoch = h.get("sluice.epoch");
    byte[] seq = h.get("sluice.seq");
    byte[] idx = h.get("sluice.idx");
    if (source == null || epoch == null || seq == null || idx == null) {
      throw new AssertionError("record without identity headers: " + h.keySet());
    }
    return new String(source, StandardCharsets.UTF_8) + "/" + ByteBuffer.wrap(epoch).getLong() + "/"
        + ByteBuffer.wrap(seq).getLong() + "/" + ByteBuffer.wrap(idx).getInt();
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(2));
  }
}
