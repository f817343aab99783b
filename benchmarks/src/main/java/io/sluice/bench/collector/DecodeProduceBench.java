package io.sluice.bench.collector;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.data.LogLines;
import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.Policy;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.collector.ingest.Admission;
import io.sluice.collector.ingest.BatchDecoder;
import io.sluice.collector.ingest.BatchRejectedException;
import io.sluice.collector.ingest.InFlightBudget;
import io.sluice.collector.ingest.IngestSpans;
import io.sluice.collector.ingest.RecordEnricher;
import io.sluice.collector.limit.TenantLimiter;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import io.sluice.wire.kafka.KafkaFormat;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

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
 *   <li>{@code decodeSpliceProduce}: the path before issue 15 (each line spliced into a value of its own, the
 *       batch-format value framed from them and compressed again), without admission, for comparison in the same run.
 *   <li>{@code decodeAdmitProduce}: the collector's ingest path after the gRPC frame — the bounded decode and scan
 *       ({@code BatchDecoder}), the collector's {@code Admission} (resource and size limits, routing and
 *       dead-letter checks per line, the tenant's rate limit: unlimited here) and {@link KafkaPublisher} to a real
 *       KRaft broker in this JVM ({@code EmbeddedKafka}, 3 partitions) with the collector's producer defaults for the
 *       Kafka record {@code format} ({@code batch}: one Kafka record per batch, the client's zstd frame passed on,
 *       producer compression none; {@code record}: one per line, lz4), or the {@code compression} parameter when it
 *       is not {@code default}; keeping up to four batches in flight as a stream does; an operation ends when Kafka
 *       acknowledged the oldest batch. At the end of each trial it prints the CPU time per line of the collector's
 *       threads (the decoding JMH worker, {@code sluice-publish}, the producer's network thread), of the whole
 *       process, and of each group of threads, and the collector's CPU-seconds per GiB of log lines (the
 *       {@code LogLines} message bytes). CPU time depends less than the wall-clock score on what else runs on the
 *       machine, but still moves by +-30 % on a loaded 2-core machine.
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
    static double messageBytes = 200;
    Batch batch;
    byte[] payload;
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
      long message = 0;
      for (LogRecord r : logBatch.getRecordsList()) {
        message += r.getBody().getStringValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      }
      messageBytes = message / (double) RECORDS;
      byte[] compressed = Zstd.compress(raw, 3);
      payload = compressed;
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
    /** Producer compression.type, or {@code default}: the collector's default for the format. */
    @Param({"default", "zstd", "lz4", "none"})
    public String compression;

    /** The Kafka record format ({@code io.sluice.wire.kafka.KafkaFormat}): one record per batch, or per line. */
    @Param({"batch", "record"})
    public String format;

    EmbeddedKafka kafka;
    KafkaPublisher publisher;
    Admission admission;
    IngestSpans spans;
    Path dir;
    final ArrayDeque<CompletableFuture<Void>> inFlight = new ArrayDeque<>();
    long published;
    long published0;
    boolean measuring;
    long processCpu0;
    long publishCpu0;
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
      KafkaFormat kafkaFormat = KafkaFormat.parse(format);
      Map<String, Object> p = KafkaPublisher.producerDefaults(kafka.bootstrapServers(), kafkaFormat);
      if (!compression.equals("default")) {
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
      }
      publisher = new KafkaPublisher(p, "logs", null, KafkaPublisher.Options.DEFAULTS,
          io.sluice.collector.publish.TopicFormats.all(kafkaFormat));
      CollectorConfig config = CollectorConfig.builder().anonymous(true).kafkaBootstrap(kafka.bootstrapServers())
          .topic("logs").kafkaFormat(kafkaFormat).build();
      Policy policy = Policy.of(config);
      admission = new Admission(publisher, new InFlightBudget(config.maxInFlightBytes()), new CollectorMetrics(),
          () -> policy, new TenantLimiter(config, System::nanoTime), config.maxRecordsPerBatch(),
          config.maxResourceBytes(), config.maxEnrichedBatchBytes(), 0, 1);
      spans = new IngestSpans(OpenTelemetry.noop());
      processCpu0 = processCpuNanos();
      threadCpu0 = threadCpus();
    }

    /**
     * CPU is counted from the first measurement iteration on (set-up, warm-up and JIT left out): the per-thread and
     * process CPU times and the lines published so far are taken here.
     */
    @Setup(Level.Iteration)
    public void iteration(IterationParams params) {
      if (!measuring && params.getType() == IterationType.MEASUREMENT) {
        measuring = true;
        published0 = published;
        processCpu0 = processCpuNanos();
        threadCpu0 = threadCpus();
        publishCpu0 = threadCpuNanos("sluice-publish");
      }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
      for (CompletableFuture<Void> f : inFlight) {
        f.get(30, TimeUnit.SECONDS);
      }
      // CPU time, unlike wall time, hardly depends on what else runs on the machine: the figure to compare
      long publishCpu = threadCpuNanos("sluice-publish") - publishCpu0;
      long published = this.published - published0;
      Map<String, Long> groups = threadGroupCpu(threadCpu0);
      long collector = 0;
      for (Map.Entry<String, Long> e : groups.entrySet()) {
        if (e.getKey().contains("jmh-worker") || e.getKey().equals("sluice-publish")
            || e.getKey().startsWith("kafka-producer-network-thread")) {
          collector += e.getValue();
        }
      }
      double perLine = collector / (double) published;
      System.out.printf("%n  compression=%s format=%s: %,d lines (%.0f message bytes each); collector CPU (decode + "
          + "admission + publish + producer threads) %,.0f ns per line = %.2f CPU-s per GiB of log lines; "
          + "sluice-publish thread %,.0f ns; whole process (+ broker, GC, JIT) %,.0f ns; load average %s%n",
          compression, format, published, Input.messageBytes, perLine, perLine * (1L << 30) / Input.messageBytes / 1e9,
          publishCpu / (double) published, (processCpuNanos() - processCpu0) / (double) published,
          loadAverage());
      System.out.printf("  CPU per record by thread group: %s%n", threadGroups(groups, published));
      publisher.close(Duration.ofSeconds(30));
      kafka.close();
      BenchSupport.deleteTree(dir);
    }
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[][] decodeSplice(Input in, Cpu cpu) throws BatchRejectedException {
    cpu.batches++;
    DecodedBatch decoded = in.decoder.decodeWithRanges(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    return RecordEnricher.spliceValues(decoded, resource);
  }

  /**
   * The benchmark thread's own CPU time per line over the measurement iterations, printed at the end of the trial:
   * on a shared machine the wall-clock score counts the time the thread waited for a core, this does not.
   */
  @State(Scope.Thread)
  public static class Cpu {
    long batches;
    long cpuNanos;
    long iterationCpu0;
    long iterationBatches0;
    boolean measuring;

    @Setup(Level.Iteration)
    public void begin(IterationParams params) {
      measuring = params.getType() == IterationType.MEASUREMENT;
      iterationCpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
      iterationBatches0 = batches;
    }

    @TearDown(Level.Iteration)
    public void end() {
      if (!measuring) {
        batches = iterationBatches0;
        return;
      }
      cpuNanos += ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - iterationCpu0;
    }

    @TearDown(Level.Trial)
    public void report(BenchmarkParams params) {
      double perLine = cpuNanos / (double) Math.max(1, batches * RECORDS);
      System.out.printf("%n  %s: benchmark thread CPU %,.0f ns per line = %.2f CPU-s per GiB of log lines "
          + "(%,d lines measured; load average %s)%n", params.getBenchmark().replaceAll(".*\\.", ""), perLine,
          perLine * (1L << 30) / Input.messageBytes / 1e9, batches * RECORDS, loadAverage());
    }
  }

  /** The bounded zstd decode alone (proto's {@code ZstdCodec}, the decoding thread's reused context). */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] decompress(Input in, Cpu cpu) throws Exception {
    cpu.batches++;
    return io.sluice.wire.ZstdCodec.forThisThread(3).decompress(in.payload, 32 << 20);
  }

  /** Bounded decode and the scan of every field ({@code BatchDecoder.decodeWithRanges}): the collector's validation. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public DecodedBatch decodeScan(Input in, Cpu cpu) throws BatchRejectedException {
    cpu.batches++;
    return in.decoder.decodeWithRanges(in.batch);
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

  /**
   * The path before issue 15, for comparison in the same run: every line spliced into a value of its own
   * ({@code PublishBatch.ofValues}), so that a batch-format value is framed from them and compressed again (zstd level 1,
   * then the producer's compression), without the admission checks.
   */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void decodeSpliceProduce(Input in, Broker broker) throws Exception {
    DecodedBatch decoded = in.decoder.decodeWithRanges(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    byte[][] values = RecordEnricher.spliceValues(decoded, resource);
    io.sluice.collector.publish.PublishBatch batch = io.sluice.collector.publish.PublishBatch.ofValues("bench", 1, "",
        ++in.sequence, RecordEnricher.partitionKey(resource, "bench"), java.util.Arrays.asList(values),
        decoded.bytes().length, List.of(), List.of());
    broker.inFlight.add(broker.publisher.publish(batch));
    broker.published += values.length;
    if (broker.inFlight.size() > IN_FLIGHT) {
      broker.inFlight.poll().get(30, TimeUnit.SECONDS);
    }
  }

  /** The ingest path: decode and scan, {@code Admission} (routing, limits), the publisher in the topic's format. */
  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public void decodeAdmitProduce(Input in, Broker broker) throws Exception {
    DecodedBatch decoded = in.decoder.decodeWithRanges(in.batch);
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(in.hello, decoded.resource());
    Admission.Admitted admitted = broker.admission.admit("",
        List.of(new Admission.Candidate("bench", 1, ++in.sequence, resource, decoded)), false);
    broker.inFlight.add(broker.admission.publish(admitted, Span.getInvalid(), broker.spans));
    broker.published += admitted.records();
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
  private static Map<String, Long> threadGroupCpu(Map<Long, Long> before) {
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
    return byGroup;
  }

  static String loadAverage() {
    try {
      String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (java.io.IOException e) {
      return String.format("%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static String threadGroups(Map<String, Long> byGroup, long records) {
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
