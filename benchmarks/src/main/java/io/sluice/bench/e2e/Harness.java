package io.sluice.bench.e2e;

import io.sluice.bench.BenchSupport;
import io.sluice.bench.data.LogLines;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The end-to-end harness: N load threads log realistic records through a setup (Sluice's Logback appender → the
 * real collector → an in-process KRaft broker, or a peer) while a consumer reads the topic back, in one JVM on this
 * machine. See {@link Options} for what it runs, {@link RunResult} for what it measures, and benchmarks/README.md.
 *
 * <p>Latency is coordinated-omission aware: at a fixed rate each record's intended send time is
 * {@code start + i × period} (per thread) and is what the record carries, so a stalled log call delays the
 * intended times of nothing and counts against every record behind it. At {@code max} the intended time is the
 * moment of the call.
 */
public final class Harness {
  /** A record id is {@code thread << 40 | index}. */
  static final int ID_THREAD_SHIFT = 40;
  private static final long DRAIN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(15);
  private static final long DRAIN_MAX_NANOS = TimeUnit.SECONDS.toNanos(120);

  /** Everything one invocation produced. */
  public record Report(Options options, List<RunResult> runs, Outage outage, Map<Integer, Double> zstdRatio,
      String machine) {}

  /** The spool run: fill while the collector is down, drain after it returns. */
  public record Outage(long records, double downSeconds, double fillRecordsPerSecond, double fillMibPerSecond,
      long peakSpoolBytes, double drainSeconds, double drainRecordsPerSecond, long delivered, long lost,
      List<double[]> timeline) {}

  private final Options options;
  private final PrintStream out;
  private final Path work;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private EmbeddedKafka kafka;
  private int topicCounter;

  private Harness(Options options, PrintStream out, Path work) {
    this.options = options;
    this.out = out;
    this.work = work;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("--replot")) { // --replot <csv> <label>: charts again from a CSV
      Path csv = Path.of(args[1]);
      for (Path p : ReportWriter.replot(csv, csv.toAbsolutePath().getParent(), args[2]))
        System.out.println("chart: " + p);
      return;
    }
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Report report = run(options, System.out);
    long lost =
        report.runs().stream().filter(r -> Options.base(r.scenario()).equals("sluice")).mapToLong(RunResult::lost).sum()
            + (report.outage() == null ? 0 : report.outage().lost());
    System.exit(lost == 0 ? 0 : 1);
  }

  public static Report run(Options options, PrintStream out) throws IOException {
    Path work = BenchSupport.tempDir("sluice-harness");
    Harness h = new Harness(options, out, work);
    try {
      return h.runAll();
    } finally {
      BenchSupport.deleteTree(work);
    }
  }

  private Report runAll() throws IOException {
    String machine = Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name")
        + " " + System.getProperty("java.version") + ", max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB";
    out.println("Sluice end-to-end harness (" + machine + "); everything runs in this JVM");
    long began = System.nanoTime();
    kafka = quietly(() -> EmbeddedKafka.builder().baseDir(work.resolve("kafka")).start());
    out.printf(Locale.ROOT, "  Kafka broker (KRaft, in-process) at %s, up in %.1f s%n", kafka.bootstrapServers(),
        (System.nanoTime() - began) / 1e9);
    List<RunResult> runs = new ArrayList<>();
    Outage outage = null;
    try {
      for (int size : options.recordBytes()) {
        for (int n : options.threads()) {
          for (String scenario : options.scenarios()) {
            for (String format : throughCollector(scenario) ? options.kafkaFormats() : List.of("-")) {
              Map<String, Double> maxRates = new HashMap<>();
              for (String rate : options.rates()) {
                double perSecond = switch (rate) {
                  case "max" -> 0;
                  case "half" -> maxRates.getOrDefault(scenario, 0.0) / 2;
                  default -> Options.parseRate(rate);
                };
                if (rate.equals("half") && perSecond <= 0) continue;
                RunResult r = runOne(scenario, format, n, size, rate, perSecond);
                if (rate.equals("max")) maxRates.put(scenario, r.recordsPerSecond());
                runs.add(r);
                out.printf(Locale.ROOT, "    %s (%.1f s since start, load average %s)%n", r.fields(),
                    (System.nanoTime() - began) / 1e9, loadAverage());
              }
            }
          }
        }
      }
      if (!options.outage().isZero()) outage = runOutage(options.threads().get(0), options.recordBytes().get(0));
    } finally {
      kafka.close();
    }
    Map<Integer, Double> ratios = new java.util.TreeMap<>();
    for (int level : new int[] {1, 3}) ratios.put(level, zstdRatio(level, 0));
    Report report = new Report(options, runs, outage, ratios, machine);
    ReportWriter.write(report, out);
    return report;
  }

  // ------------------------------------------------------------------------------------------------- one run

  /** True for the setups whose records go through the collector (and so take a Kafka record format). */
  private static boolean throughCollector(String scenario) {
    return Options.base(scenario).equals("sluice") || Options.base(scenario).equals("otel");
  }

  /** The machine's load averages (1, 5, 15 min) from /proc/loadavg, printed beside every figure. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private RunResult runOne(String scenario, String format, int n, int size, String rateLabel, double perSecond)
      throws IOException {
    String topic = "bench-" + (++topicCounter) + "-" + Options.base(scenario);
    out.printf(Locale.ROOT, "  run %s, kafka-format %s, %d thread(s), %d-byte messages, rate %s%s; load average %s%n",
        scenario, format, n, size, rateLabel,
        perSecond > 0 ? String.format(Locale.ROOT, " (%,.0f records/s)", perSecond) : "", loadAverage());
    Collector collector = null;
    Emitter emitter;
    if (!scenario.equals("logback-file")) kafka.createTopic(topic, 3, 1);
    switch (Options.base(scenario)) {
      case "sluice" -> {
        collector = startCollector(topic, 0, format);
        emitter = new SluiceLogbackEmitter("127.0.0.1:" + collector.port(), work.resolve("spool-" + topicCounter),
            Options.settings(scenario));
      }
      case "otel" -> {
        collector = startCollector(topic, 0, format);
        emitter = new OtelLogbackEmitter("http://127.0.0.1:" + collector.httpPort() + "/v1/logs");
      }
      case "log4j2-kafka" -> emitter = new Log4j2KafkaEmitter(kafka.bootstrapServers(), topic);
      case "logback-file" -> emitter = new LogbackFileEmitter(work.resolve("file-" + topicCounter + ".log"),
          options.warmupRecords());
      default -> throw new IllegalArgumentException(scenario);
    }
    KafkaTap tap =
        emitter.sink() == Emitter.Sink.KAFKA ? new KafkaTap(kafka.bootstrapServers(), topic, n, emitter) : null;
    try {
      warmUp(emitter, n, size, tap);
      long cpu0 = os.getProcessCpuTime();
      long tapCpu0 = tap == null ? 0 : Math.max(0, threads.getThreadCpuTime(tap.threadId()));
      Load load = new Load(emitter, n, size, perSecond, options.duration().toNanos());
      load.runToEnd();
      long sent = load.sent.get();
      long delivered;
      long end;
      if (tap != null) {
        long idleSince = System.nanoTime();
        long last = -1;
        long drainStart = System.nanoTime();
        while (tap.distinct() < sent && System.nanoTime() - idleSince < DRAIN_IDLE_NANOS
            && System.nanoTime() - drainStart < DRAIN_MAX_NANOS) {
          if (tap.distinct() != last) {
            last = tap.distinct();
            idleSince = System.nanoTime();
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        end = tap.lastArrivalNanos();
      } else {
        emitter.close();
        end = System.nanoTime();
      }
      long cpu = os.getProcessCpuTime() - cpu0
          - (tap == null ? 0 : Math.max(0, threads.getThreadCpuTime(tap.threadId())) - tapCpu0);
      long droppedBySetup = emitter.droppedBySetup();
      if (tap != null) {
        tap.stop();
        delivered = tap.distinct();
      } else {
        delivered = emitter.deliveredToFile();
      }
      double seconds = Math.max(1e-9, (end - load.startNanos) / 1e9);
      long bytes = tap == null ? delivered * (size + 80L) : tap.bytes();
      Histogram h = tap == null ? null : tap.latency();
      boolean timed = h != null && h.getTotalCount() > 0;
      return new RunResult(scenario, n, size, rateLabel, sent / load.seconds(), sent, delivered,
          tap == null ? 0 : tap.total() - tap.distinct() - tap.undecodable() - tap.warmup(), sent - delivered,
          droppedBySetup,
          seconds, delivered / seconds, bytes / seconds / (1 << 20),
          delivered == 0 ? -1 : cpu / 1e9 / (delivered / 1e6),
          perSecond > 0 ? -1 : load.callerCpuNanos.get() / (double) Math.max(1, sent),
          timed ? h.getValueAtPercentile(50) / 1e3 : -1, timed ? h.getValueAtPercentile(99) / 1e3 : -1,
          timed ? h.getValueAtPercentile(99.9) / 1e3 : -1, timed ? h.getMaxValue() / 1e3 : -1, format);
    } finally {
      if (tap != null) {
        emitter.close();
        tap.close();
      }
      if (collector != null) collector.close();
    }
  }

  /**
   * Warms the setup up before anything is measured: {@code --warmup} records from one thread as fast as it
   * goes (JIT, connections, Kafka metadata), under the warm-up id slot, then waits until they arrived (at most 30 s).
   */
  private void warmUp(Emitter emitter, int n, int size, KafkaTap tap) {
    LogLines g = new LogLines(7, size);
    long base = (long) n << ID_THREAD_SHIFT;
    int records = options.warmupRecords();
    for (int i = 0; i < records; i++) emitter.log(g.next(), base | i, System.nanoTime());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (tap != null && tap.warmup() < records && System.nanoTime() < deadline) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /** The real collector with its defaults for {@code format} (the producer's compression follows the format). */
  private Collector startCollector(String topic, int port, String format) throws IOException {
    return Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:" + port)
        .httpListen("127.0.0.1:0").kafkaFormat(io.sluice.wire.kafka.KafkaFormat.parse(format))
        .kafkaBootstrap(kafka.bootstrapServers()).topic(topic).createTopic(false).build());
  }

  /** N threads logging for a duration, at a total rate or as fast as they can. */
  private final class Load {
    final Emitter emitter;
    final int n;
    final int size;
    final double perSecond;
    final long durationNanos;
    final AtomicLong sent = new AtomicLong();
    final AtomicLong callerCpuNanos = new AtomicLong();
    volatile long startNanos;
    volatile long endNanos;

    Load(Emitter emitter, int n, int size, double perSecond, long durationNanos) {
      this.emitter = emitter;
      this.n = n;
      this.size = size;
      this.perSecond = perSecond;
      this.durationNanos = durationNanos;
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    void runToEnd() {
      List<LogLines.Event[]> events = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        LogLines g = new LogLines(1000 + t, size);
        LogLines.Event[] e = new LogLines.Event[4096];
        for (int i = 0; i < e.length; i++) e[i] = g.next();
        events.add(e);
      }
      long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      startNanos = start;
      long end = start + durationNanos;
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int thread = t;
        Thread w = new Thread(() -> work(thread, events.get(thread), start, end), "bench-load-" + t);
        workers.add(w);
        w.start();
      }
      for (Thread w : workers) {
        try {
          w.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      endNanos = System.nanoTime();
    }

    private void work(int thread, LogLines.Event[] events, long start, long end) {
      long cpu0 = threads.getCurrentThreadCpuTime();
      long period = perSecond > 0 ? (long) (1e9 * n / perSecond) : 0;
      long base = (long) thread << ID_THREAD_SHIFT;
      long i = 0;
      while (System.nanoTime() < start) Thread.onSpinWait();
      while (true) {
        long intended;
        if (period > 0) {
          intended = start + i * period;
          if (intended >= end) break;
          long wait = intended - System.nanoTime();
          if (wait > 100_000) LockSupport.parkNanos(wait - 50_000);
          while (System.nanoTime() < intended) Thread.onSpinWait();
        } else {
          intended = System.nanoTime();
          if (intended >= end) break;
        }
        emitter.log(events[(int) (i & 4095)], base | i, intended);
        i++;
      }
      sent.addAndGet(i);
      callerCpuNanos.addAndGet(threads.getCurrentThreadCpuTime() - cpu0);
    }
  }

  // ---------------------------------------------------------------------------------------------- outage run

  /**
   * Sluice only: the collector is down from the start; {@code threads} log as fast as they can for the outage
   * duration (everything goes to the RocksDB spool), then the collector comes back on the same port and the spool
   * drains. Fill rate = records spooled per second while down; drain rate = spooled records per second from the
   * restart to an empty spool.
   */
  private Outage runOutage(int n, int size) throws IOException {
    String topic = "bench-outage";
    out.printf(Locale.ROOT, "  outage run: collector down for %.1f s under %d thread(s) at max, then back%n",
        options.outage().toMillis() / 1000.0, n);
    kafka.createTopic(topic, 3, 1);
    String format = options.kafkaFormats().get(0);
    Collector probe = startCollector(topic, 0, format);
    int port = probe.port();
    probe.close();
    SluiceLogbackEmitter emitter =
        new SluiceLogbackEmitter("127.0.0.1:" + port, work.resolve("spool-outage"), Map.of());
    KafkaTap tap = new KafkaTap(kafka.bootstrapServers(), topic, n, emitter);
    List<double[]> timeline = new ArrayList<>();
    Collector collector = null;
    try {
      Load load = new Load(emitter, n, size, 0, options.outage().toNanos());
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          PipelineStats s = emitter.stats();
          long t = System.nanoTime();
          if (load.startNanos > 0 && s != null) {
            synchronized (timeline) {
              timeline.add(new double[] {(t - load.startNanos) / 1e9, s.spooled(), tap.distinct()});
            }
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
          if (Thread.interrupted()) return;
        }
      }, "bench-outage-sampler");
      sampler.setDaemon(true);
      sampler.start();
      load.runToEnd();
      long sent = load.sent.get();
      // everything handed over is spooled once the queue and the open batch are flushed
      long flushDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (emitter.stats().spooled() < sent - emitter.stats().dropped() && System.nanoTime() < flushDeadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      long spooledAt = System.nanoTime();
      PipelineStats full = emitter.stats();
      double downSeconds = (spooledAt - load.startNanos) / 1e9;
      long restart = System.nanoTime();
      collector = startCollector(topic, port, format);
      long drainDeadline = System.nanoTime() + DRAIN_MAX_NANOS;
      while (emitter.stats().spooled() > 0 && System.nanoTime() < drainDeadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
      double drainSeconds = (System.nanoTime() - restart) / 1e9;
      long idleSince = System.nanoTime();
      long last = -1;
      while (tap.distinct() < sent && System.nanoTime() - idleSince < DRAIN_IDLE_NANOS) {
        if (tap.distinct() != last) {
          last = tap.distinct();
          idleSince = System.nanoTime();
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      sampler.interrupt();
      tap.stop();
      Outage o = new Outage(sent, downSeconds, full.spooled() / downSeconds,
          full.spoolBytes() / downSeconds / (1 << 20), full.spoolBytes(), drainSeconds,
          full.spooled() / drainSeconds, tap.distinct(), sent - tap.distinct(), List.copyOf(timeline));
      out.printf(Locale.ROOT,
          "    spooled %,d records (%,d bytes) in %.2f s; drained in %.2f s; delivered %,d, lost %,d%n",
          full.spooled(), full.spoolBytes(), downSeconds, drainSeconds, o.delivered(), o.lost());
      return o;
    } finally {
      emitter.close();
      tap.close();
      if (collector != null) collector.close();
    }
  }

  // ---------------------------------------------------------------------------------------------- zstd ratio

  /** Compression ratio of what the batcher compresses: a 2,048-record LogBatch of realistic records. */
  static double zstdRatio(int level, int messageBytes) {
    List<LogRecord> records = LogLines.records(99, 2048, messageBytes);
    io.sluice.wire.BatchWriter writer = new io.sluice.wire.BatchWriter(
        PipelineConfig.builder().serviceName("bench-app").build().resource(), 1 << 20);
    for (LogRecord r : records) writer.add(r);
    try (io.sluice.wire.ZstdCodec codec = new io.sluice.wire.ZstdCodec(level)) {
      return writer.length() / (double) writer.compress(codec).length;
    }
  }

  /** Kafka's storage formatter prints to System.out. */
  private static <T> T quietly(java.util.function.Supplier<T> action) {
    PrintStream original = System.out;
    System.setOut(new PrintStream(OutputStream.nullOutputStream()));
    try {
      return action.get();
    } finally {
      System.setOut(original);
    }
  }

  static void writeString(Path file, String text) {
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
