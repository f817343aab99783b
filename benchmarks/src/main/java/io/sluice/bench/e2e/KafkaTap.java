package io.sluice.bench.e2e;

import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The far end: one consumer thread reading a topic from the beginning. For each line — a Kafka record of the
 * record format, or each line of a Sluice batch-format record (walked in place with {@code KafkaRecordReader}'s
 * {@code forEachLine}, the lines not parsed) — it decodes the id and the intended send time, records {@code arrival − intended} in an HdrHistogram (microseconds, 3 digits), and marks the
 * id in a per-load-thread bitmap, so delivered (distinct), duplicated and lost are exact. Records of the warm-up
 * slot (thread index = number of load threads) are only counted, apart. The arrival time is when
 * the consumer's poll returned it, so the latency includes the consumer's fetch wait (at most ~{@code fetch.max.wait}
 * of 50 ms here). Counters are written by the tap thread only and read after {@link #stop} or as volatile
 * snapshots.
 */
public final class KafkaTap implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Emitter decoder;
  private final int loadThreads;
  private final BitSet[] seen;
  private final Histogram latencyMicros = new Histogram(TimeUnit.MINUTES.toMicros(30), 3);
  private final Thread thread;
  private volatile boolean running = true;
  private volatile long total;
  private volatile long distinct;
  private volatile long bytes;
  private volatile long lastArrivalNanos;
  private volatile long undecodable;
  private volatile long warmup;

  KafkaTap(String bootstrap, String topic, int loadThreads, Emitter decoder) {
    this.decoder = decoder;
    this.loadThreads = loadThreads;
    this.seen = new BitSet[loadThreads + 1]; // the last slot is the warm-up's
    for (int i = 0; i <= loadThreads; i++) seen[i] = new BitSet(1 << 20);
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
    props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-tap");
    consumer = new KafkaConsumer<>(props);
    List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
        .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::run, "bench-tap");
    thread.setDaemon(true);
    thread.start();
  }

  // written by the tap thread only, published to the volatiles above after each poll
  private final long[] decoded = new long[2];
  private long t;
  private long d;
  private long bad;
  private long w;
  private long now;

  private void run() {
    long b = 0;
    while (running) {
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(50));
      if (batch.isEmpty()) continue;
      now = System.nanoTime();
      for (ConsumerRecord<byte[], byte[]> r : batch) {
        long before = d;
        if (isSluiceBatch(r)) {
          // a Sluice batch-format record holds many lines: walk them in place, nothing parsed but the two attributes
          try {
            SLUICE.forEachLine(name -> {
              org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
              return h == null ? null : h.value();
            }, r.value(), (index, b0, offset, length) -> line(AttributeDecoder.decode(b0, offset, length, decoded)));
          } catch (io.sluice.wire.kafka.KafkaFormatException e) {
            bad++;
          }
        } else {
          line(decoder.decode(r.value(), decoded));
        }
        if (d > before) {
          b += r.serializedValueSize();
        }
      }
      total = t;
      distinct = d;
      bytes = b;
      undecodable = bad;
      warmup = w;
      if (d > 0) lastArrivalNanos = now;
    }
  }

  /** Counts one line whose id and intended time were just decoded into {@link #decoded} ({@code ok}) or not. */
  private void line(boolean ok) {
    t++;
    if (!ok) {
      bad++;
      return;
    }
    int loadThread = (int) (decoded[0] >>> Harness.ID_THREAD_SHIFT);
    int index = (int) (decoded[0] & ((1L << Harness.ID_THREAD_SHIFT) - 1));
    if (loadThread < 0 || loadThread >= seen.length) {
      bad++;
      return;
    }
    if (loadThread == loadThreads) {
      if (!seen[loadThread].get(index)) {
        seen[loadThread].set(index);
        w++;
      }
      return;
    }
    if (!seen[loadThread].get(index)) {
      seen[loadThread].set(index);
      d++;
    }
    latencyMicros.recordValue(Math.min(latencyMicros.getHighestTrackableValue(),
        Math.max(0, (now - decoded[1]) / 1_000)));
  }

  private static boolean isSluiceBatch(ConsumerRecord<byte[], byte[]> r) {
    org.apache.kafka.common.header.Header schema = r.headers().lastHeader(io.sluice.wire.kafka.KafkaHeaders.SCHEMA);
    return schema != null && io.sluice.wire.kafka.KafkaHeaders.SCHEMA_BATCH.equals(
        new String(schema.value(), java.nio.charset.StandardCharsets.UTF_8));
  }

  private static final io.sluice.wire.kafka.KafkaRecordReader SLUICE = new io.sluice.wire.kafka.KafkaRecordReader();

  /**
   * The values of the lines in {@code r}: the value itself, unless it is a Sluice batch-format record
   * ({@code sluice.schema} 2), whose lines are each returned as an encoded LogRecord (none if it does not decode).
   */
  public static List<byte[]> lineValues(ConsumerRecord<byte[], byte[]> r) {
    org.apache.kafka.common.header.Header schema = r.headers().lastHeader(io.sluice.wire.kafka.KafkaHeaders.SCHEMA);
    if (schema == null || !io.sluice.wire.kafka.KafkaHeaders.SCHEMA_BATCH.equals(
        new String(schema.value(), java.nio.charset.StandardCharsets.UTF_8))) {
      return List.of(r.value());
    }
    try {
      return SLUICE.read(name -> {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null ? null : h.value();
      }, r.value()).stream().map(l -> l.record().toByteArray()).toList();
    } catch (io.sluice.wire.kafka.KafkaFormatException e) {
      return List.of();
    }
  }

  /** Distinct warm-up records seen (not part of any figure). */
  long warmup() {
    return warmup;
  }

  long total() {
    return total;
  }

  long distinct() {
    return distinct;
  }

  long bytes() {
    return bytes;
  }

  long undecodable() {
    return undecodable;
  }

  long lastArrivalNanos() {
    return lastArrivalNanos;
  }

  long threadId() {
    return thread.getId();
  }

  /** Stops the tap thread; afterwards {@link #latency()} is safe to read. */
  void stop() {
    running = false;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  Histogram latency() {
    return latencyMicros;
  }

  @Override
  public void close() {
    stop();
    consumer.close();
  }
}
