package io.sluice.backend.job;

import io.sluice.backend.common.RawRecord;
import io.sluice.backend.streaming.JobAccounting;
import java.io.Serializable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The topics' records from each partition's first offset up to its end offset as seen when the pipeline is built: a
 * bounded read, so the job finishes once it has processed what Kafka held at start-up. One element per partition,
 * spread over the workers; each reads its range with a plain consumer (no group, nothing committed).
 *
 * <p>KafkaIO's own bounded read ({@code withMaxNumRecords}/{@code withStopReadTime}) is not used: it always takes
 * KafkaIO's legacy reader, which calls {@code Consumer.poll(long)}, removed in kafka-clients 4.x.
 */
final class BoundedKafkaRead extends PTransform<PBegin, PCollection<RawRecord>> {
  /** How long one poll may return nothing before the range is declared unreachable. */
  private static final Duration STALL = Duration.ofSeconds(60);

  private final String bootstrapServers;
  private final List<String> topics;

  private BoundedKafkaRead(String bootstrapServers, List<String> topics) {
    this.bootstrapServers = bootstrapServers;
    this.topics = List.copyOf(topics);
  }

  static BoundedKafkaRead of(String bootstrapServers, List<String> topics) {
    return new BoundedKafkaRead(bootstrapServers, topics);
  }

  /** One partition's offsets [from, to). */
  record Range(String topic, int partition, long from, long to) implements Serializable {}

  @Override
  public PCollection<RawRecord> expand(PBegin begin) {
    return begin
        .apply("Partitions", Create.of(split(ranges(bootstrapServers, topics), PIECES_PER_PARTITION, MIN_PIECE))
            .withCoder(SerializableCoder.of(Range.class)))
        .apply("Spread", Reshuffle.viaRandomKey())
        .apply("ReadRange", ParDo.of(new ReadRangeFn(bootstrapServers)));
  }

  /**
   * Each partition's range is read as up to this many pieces, each by its own consumer. The pieces are spread over
   * the workers by random keys: with one piece per partition, two partitions landed on one of two workers about half
   * the time, and that worker read and decoded everything (seen in the job's throughput benchmark). Records of one
   * partition are then processed out of offset order, which nothing downstream depends on: duplicates are equal
   * copies, totals are sums, a fingerprint keeps its earliest occurrence by event time.
   */
  static final int PIECES_PER_PARTITION = 16;

  /** Offsets per piece at least: a piece costs a consumer and its first fetches. */
  static final long MIN_PIECE = 10_000;

  /** The ranges cut into at most {@code pieces} consecutive pieces of at least {@code minPiece} offsets each. */
  static List<Range> split(List<Range> ranges, int pieces, long minPiece) {
    List<Range> out = new ArrayList<>();
    for (Range r : ranges) {
      long length = r.to() - r.from();
      int n = (int) Math.max(1, Math.min(pieces, length / minPiece));
      for (int i = 0; i < n; i++) {
        long from = r.from() + length * i / n;
        long to = r.from() + length * (i + 1) / n;
        out.add(new Range(r.topic(), r.partition(), from, to));
      }
    }
    return out;
  }

  /** Each non-empty partition of {@code topics} with its offsets now; throws naming a topic that does not exist. */
  static List<Range> ranges(String bootstrapServers, List<String> topics) {
    try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (String topic : topics) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
        if (infos == null || infos.isEmpty()) {
          throw new IllegalArgumentException(
              "--topics: topic '" + topic + "' does not exist at " + bootstrapServers + "; check the name");
        }
        infos.forEach(i -> partitions.add(new TopicPartition(i.topic(), i.partition())));
      }
      Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions, Duration.ofSeconds(30));
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      List<Range> ranges = new ArrayList<>();
      for (TopicPartition tp : partitions) {
        if (end.get(tp) > start.get(tp)) {
          ranges.add(new Range(tp.topic(), tp.partition(), start.get(tp), end.get(tp)));
        }
      }
      return ranges;
    }
  }

  static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    // a range whose first offsets were deleted (retention) fails the read instead of skipping to the end
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  static final class ReadRangeFn extends DoFn<Range, RawRecord> {
    private final String bootstrapServers;
    private final Counter read = Metrics.counter("sluice.streaming", JobAccounting.BOUNDED_READ);

    ReadRangeFn(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
    }

    @ProcessElement
    public void process(@Element Range range, OutputReceiver<RawRecord> out) {
      TopicPartition tp = new TopicPartition(range.topic(), range.partition());
      try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers)) {
        consumer.assign(List.of(tp));
        long first = consumer.beginningOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        if (first > range.from()) {
          throw new IllegalStateException(tp + ": offsets [" + range.from() + ", " + first + ") were deleted (retention"
              + " or a topic reset) after the job listed them; " + (first - range.from()) + " records were not read");
        }
        consumer.seek(tp, range.from());
        long idleSince = System.nanoTime();
        // position, not the last offset seen: transaction markers and compacted gaps take offsets too
        while (consumer.position(tp) < range.to()) {
          boolean any = false;
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            any = true;
            if (r.offset() >= range.to()) {
              return;
            }
            Map<String, byte[]> headers = new HashMap<>();
            for (Header h : r.headers()) {
              headers.put(h.key(), h.value()); // last value per name wins, as RawRecord documents
            }
            out.output(new RawRecord(r.topic(), r.key(), headers, r.value(), r.timestamp()));
            read.inc();
          }
          if (any) {
            idleSince = System.nanoTime();
          } else if (System.nanoTime() - idleSince > STALL.toNanos()) {
            throw new IllegalStateException("no record of " + tp + " for " + STALL + " at offset "
                + consumer.position(tp) + " of [" + range.from() + ", " + range.to() + "): is the broker up?");
          }
        }
      }
    }
  }
}
