package io.sluice.agent.bench;

import io.sluice.wire.kafka.KafkaHeaders;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A consumer of one topic from its beginning (assigned partitions, no group), for the bench's clock and its loss
 * check. {@link #poll} counts lines cheaply: a Sluice batch-format record counts its {@code sluice.count} header,
 * any other record (rsyslog's, Sluice's record format) one line. {@link #check} reads every line and marks its
 * {@code seq=N} (see {@link LogLines}) in a bit set: lines lost, duplicates, lines of other runs. Not thread-safe.
 */
final class TopicLines implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private long lines;
  private long records;

  TopicLines(String bootstrap, String topic, int partitions) {
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", bootstrap);
    props.put("enable.auto.commit", "false");
    props.put("auto.offset.reset", "earliest");
    props.put("max.poll.records", "20000");
    props.put("fetch.max.bytes", Integer.toString(64 << 20));
    props.put("max.partition.fetch.bytes", Integer.toString(16 << 20));
    consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    List<TopicPartition> tps = new ArrayList<>();
    for (int p = 0; p < partitions; p++) tps.add(new TopicPartition(topic, p));
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
  }

  /** Lines seen so far, after one poll of at most {@code wait}. */
  long poll(Duration wait) {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(wait)) {
      records++;
      Header count = r.headers().lastHeader(KafkaHeaders.COUNT);
      lines += count == null ? 1 : KafkaHeaders.readInt32(count.value());
    }
    return lines;
  }

  long records() {
    return records;
  }

  /** What {@link #check} found: every line numbered below {@code expected} at least once is {@code lost == 0}. */
  record Check(long expected, long distinct, long duplicates, long foreign, long unnumbered) {
    long lost() {
      return expected - distinct;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "%d of %d lines at Kafka, %d lost, %d duplicates%s%s", distinct, expected,
          lost(), duplicates, foreign > 0 ? ", " + foreign + " lines of the warm-up" : "",
          unnumbered > 0 ? ", " + unnumbered + " lines without seq=" : "");
    }
  }

  /**
   * Reads the whole topic (a fresh consumer), up to the end offsets it has when the check starts, decoding Sluice's
   * records with the proto module's reader; gives up after {@code timeout}.
   */
  static Check check(String bootstrap, String topic, int partitions, long expected, Duration timeout)
      throws Exception {
    BitSet seen = new BitSet((int) expected);
    long duplicates = 0;
    long foreign = 0;
    long unnumbered = 0;
    KafkaRecordReader reader = new KafkaRecordReader();
    try (TopicLines t = new TopicLines(bootstrap, topic, partitions)) {
      Map<TopicPartition, Long> end = t.consumer.endOffsets(t.consumer.assignment());
      long deadline = System.nanoTime() + timeout.toNanos();
      while (System.nanoTime() < deadline && !t.atEnd(end)) {
        var batch = t.consumer.poll(Duration.ofMillis(500));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          List<byte[]> bodies = new ArrayList<>();
          if (r.headers().lastHeader(KafkaHeaders.SCHEMA) == null) {
            bodies.add(r.value()); // rsyslog: the raw line
          } else {
            for (KafkaLine l : reader.read(name -> {
              Header h = r.headers().lastHeader(name);
              return h == null ? null : h.value();
            }, r.value())) {
              bodies.add(l.record().getBody().getStringValueBytes().toByteArray());
            }
          }
          for (byte[] body : bodies) {
            long seq = seq(body);
            if (seq < 0) {
              unnumbered++;
            } else if (seq >= expected) {
              foreign++;
            } else if (seen.get((int) seq)) {
              duplicates++;
            } else {
              seen.set((int) seq);
            }
          }
        }
      }
    }
    return new Check(expected, seen.cardinality(), duplicates, foreign, unnumbered);
  }

  private boolean atEnd(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }

  /** The number after the last "seq=" of the line, or -1. */
  static long seq(byte[] line) {
    for (int i = line.length - 5; i >= 0; i--) {
      if (line[i] == 's' && line[i + 1] == 'e' && line[i + 2] == 'q' && line[i + 3] == '=') {
        long v = 0;
        int j = i + 4;
        for (; j < line.length && line[j] >= '0' && line[j] <= '9'; j++) v = v * 10 + (line[j] - '0');
        return j == i + 4 ? -1 : v;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    consumer.close(Duration.ofSeconds(5));
  }
}
