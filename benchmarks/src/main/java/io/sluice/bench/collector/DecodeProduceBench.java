package io.sluice.bench.collector;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.data.LogLines;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.collector.ingest.BatchDecoder;
import io.sluice.collector.ingest.BatchRejectedException;
import io.sluice.collector.ingest.RecordEnricher;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The collector's per-record work on one realistic batch (2,048 {@code data.LogLines} records, ~200-byte messages,
 * zstd level 3 as sdk-core sends it, four resource attributes): time per record.
 *
 * <ul>
 *   <li>{@code decodeSplice}: what the ingest path does today — bounded zstd decode, a scan of the LogBatch bytes
 *       that checks every field as protobuf would but builds no record objects ({@code DecodedBatch.scan}), and each
 *       Kafka value spliced from the record's own bytes plus the resource attributes.
 *   <li>{@code decodeParseSplice}: the same with {@code LogBatch.parseFrom} in place of the scan (the path before
 *       it), for comparison in the same run.
 *   <li>{@code decodeRebuild}: the path before splicing, for comparison in the same run — parse, rebuild each record
 *       with the resource attributes ({@code toBuilder()/build()}), and {@code toByteArray()} it again.
 *   <li>{@code decodeSpliceProduce}: {@code decodeSplice}, then {@link KafkaPublisher} to a real KRaft broker in this
 *       JVM ({@code EmbeddedKafka}, 3 partitions) with the collector's producer defaults (acks=all, idempotent,
 *       linger 5 ms, 1 MiB batches), the {@code compression} parameter and the Kafka record {@code format}
 *       ({@code batch}: one Kafka record per batch, {@code record}: one per line), keeping up to four batches in flight
 *       as a stream does; an operation ends when Kafka acknowledged the oldest batch. The difference to
 *       {@code decodeSplice} is the producer's and the broker's cost per record (the broker shares the cores).
 *       At the end of each trial it prints the CPU time per record of the publishing thread, of the whole process,
 *       and of each group of threads (producer, broker, the decoding JMH worker). CPU time depends less than the
 *       wall-clock score on what else runs on the machine, but still moves by +-30 % on a loaded 2-core machine.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class DecodeProduceBench {
  static final int RECORDS = 2048;
  static final int IN_FLIGHT = 4;

  /** One compressed Batch frame and the decoder with the collector's default bounds. */
  @State(Scope.Benchmark)
  public static class Input {
    Batch batch;
    BatchDecoder decoder;
    List<KeyValue> hello;
    long sequence;

    @Setup
    public void setUp() {
      LogBatch logBatch = LogBatch.newBuilder()
          .addResource(kv("service.name", "checkout")).addResource(kv("host.name", "checkout-7d9f8-abcde"))
          .addResource(kv("service.version", "2.14.1")).addResource(kv("deployment.environment", "production"))
          .addAllRecords(LogLines.records(11, RECORDS, 200)).build();
      byte[] raw = logBatch.toByteArray();
      byte[] compressed = Zstd.compress(raw, 3);
      batch = Batch.newBuilder().setSequence(1).setCodec(Codec.CODEC_ZSTD)
          .setPayload(ByteString.copyFrom(compressed)).setRecordCount(RECORDS).setUncompressedSize(raw.length)
          .build();
      decoder = new BatchDecoder(4 << 20, 32 << 20);
      hello = List.of(kv("telemetry.sdk.name", "sluice"));
      System.out.printf("%n  batch: %d records, %d bytes decoded, %d compressed (ratio %.2f)%n", RECORDS,
          raw.length, compressed.length, raw.length / (double) compressed.length);
    }
  }

  /** A broker in this JVM and the collector's publisher with the producer compression under test. */
  @State(Scope.Benchmark)
  public static class Broker {
    @Param({"zstd", "lz4", "none"})
    public String compression;

    /** The Kafka record format ({@code io.sluice.wire.kafka.KafkaFormat}): one record per batch, or per line. */
    @Param({"batch", "record"})
    public String format;

    EmbeddedKafka kafka;
    KafkaPublisher publisher;
    Path dir;
    final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    long published;
    long processCpu0;
    Map<Long, Long> threadCpu0;

    @Setup(Level.Trial)
    public void start() {
      dir = BenchSupport.tempDir("sluice-decode-produce");
      PrintStream out = System.out;
      System.setOut(new PrintStream(OutputStream.nullOutputStream())); // the test kit prints its config
      try {
        kafka = EmbeddedKafka.builder().baseDir(dir).start();
      } finally {
        System.setOut(out);
      }
      kafka.createTopic("logs", 3, 1);
      Map<String, Object> p = KafkaPublisher.producerDefaults(kafka.bootstrapServers());
      p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
      publisher = new KafkaPublisher(p, "logs", null, KafkaPublisher.Options.DEFAULTS,
          io.sluice.collector.publish.TopicFormats.all(io.sluice.wire.kafka.KafkaFormat.parse(format)));
      processCpu0 = processCpuNanos();
      threadCpu0 = threadCpus();
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
      for (CompletableFuture<Void> f : inFlight) {
        f.get(30, TimeUnit.SECONDS);
      }
      // CPU time, unlike wall time, hardly depends on what else runs on the machine: the figure to compare
      long publishCpu = threadCpuNanos("sluice-publish");
      System.out.printf("%n  compression=%s format=%s: %,d records; CPU per record: sluice-publish thread %,.0f ns, "
          + "whole process (decode + producer + broker) %,.0f ns%n", compression, format, published,
          publishCpu / (double) published, (processCpuNanos() - processCpu0) / (double) published);
      System.out.printf("  CPU per record by thread group: %s%n", threadGroups(threadCpu0, published));
      publisher.close(Duration.ofSeconds(30));
      kafka.close();
      BenchSupport.deleteTree(dir);
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[][] decodeSplice(Input in) throws BatchRejectedException {
    DecodedBatch decoded = in.decoder.decodeWithRanges(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    return RecordEnricher.spliceValues(decoded, resource);
  }

  /** The ingest path before the scan, for comparison in the same run: zstd, {@code LogBatch.parseFrom}, splice. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[][] decodeParseSplice(Input in) throws Exception {
    byte[] raw = Zstd.decompress(in.batch.getPayload().toByteArray(), (int) in.batch.getUncompressedSize());
    DecodedBatch decoded = DecodedBatch.of(raw, LogBatch.parseFrom(raw));
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    return RecordEnricher.spliceValues(decoded, resource);
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[][] decodeRebuild(Input in) throws BatchRejectedException {
    LogBatch batch = in.decoder.decode(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, batch.getResourceList());
    List<LogRecord> records = RecordEnricher.enrich(batch, resource);
    byte[][] out = new byte[records.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = records.get(i).toByteArray();
    }
    return out;
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void decodeSpliceProduce(Input in, Broker broker) throws Exception {
    DecodedBatch decoded = in.decoder.decodeWithRanges(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    byte[][] values = RecordEnricher.spliceValues(decoded, resource);
    PublishBatch batch = PublishBatch.ofValues("bench", 1, "", ++in.sequence,
        RecordEnricher.partitionKey(resource, "bench"), Arrays.asList(values), decoded.bytes().length, List.of(),
        List.of());
    broker.inFlight.add(broker.publisher.publish(batch));
    broker.published += values.length;
    if (broker.inFlight.size() > IN_FLIGHT) {
      broker.inFlight.poll().get(30, TimeUnit.SECONDS);
    }
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * CPU per record of each group of threads, by name with digits dropped (the broker's handler pools, the JMH worker
   * that decodes, the producer's I/O thread, ...), largest first: where the process figure goes.
   */
  private static String threadGroups(Map<Long, Long> before, long records) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Long> byGroup = new java.util.TreeMap<>();
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null) {
        long cpu = threads.getThreadCpuTime(t.getThreadId()) - before.getOrDefault(t.getThreadId(), 0L);
        if (cpu > 0) {
          byGroup.merge(t.getThreadName().replaceAll("[0-9]+", "N"), cpu, Long::sum);
        }
      }
    }
    return byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(10)
        .map(e -> String.format("%s %,.0f ns", e.getKey(), e.getValue() / (double) records))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  private static Map<Long, Long> threadCpus() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<Long, Long> out = new java.util.HashMap<>();
    for (long id : threads.getAllThreadIds()) {
      out.put(id, threads.getThreadCpuTime(id));
    }
    return out;
  }

  private static long threadCpuNanos(String name) {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().equals(name)) {
        return threads.getThreadCpuTime(t.getThreadId());
      }
    }
    return -1;
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }
}
