package io.sluice.backend.job.bench;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.job.JobMain;
import io.sluice.backend.streaming.EmbeddedCassandra;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Steady-state throughput of the production job ({@code JobMain --bounded}) on Flink [local], apart from start-up:
 * a KRaft broker and Cassandra 5.0 in this JVM, {@code --distinct} collector-like records ({@link TestRecords}: 3
 * sources, 2 tenants, 3 services, templated messages, 1 in 6 an ERROR with an exception; 1 % of the batches resent)
 * pre-loaded with the collector's producer settings, then the job once per configuration over the same topic.
 *
 * <p>Progress comes from the job's own Beam counters, read while it runs through {@link ProbeReporter} (a Flink
 * metric reporter in this JVM; the runner publishes them at every bundle end). The steady rate is the slope between
 * the samples where the records past de-duplication (distinct + duplicates dropped) first passed 10 % and 90 % of
 * the input: start-up (Flink, Cassandra schema, first
 * fetches) and the tail (end-of-input emission of the totals, shutdown) are reported apart. CPU is this whole
 * process's (broker and Cassandra included) over the same window, with the busiest threads listed.
 *
 * <pre>
 * java [Cassandra's add-opens, see the pom's it.argLine] -Xmx6g -cp "$(cat target/bench-cp.txt)" \
 *   io.sluice.backend.job.bench.JobThroughputBench --distinct=2000000 --configs=cassandra,cassandra+archive
 * </pre>
 *
 * {@code --configs}: comma-separated runs over the same topic, each {@code output[+output...][/beamOption=value...]}
 * with outputs {@code cassandra} (aggregates and fingerprints, a keyspace per run) and {@code archive} (Parquet on
 * file://); {@code --beam:option=value} adds a Beam option to every run.
 */
public final class JobThroughputBench {
  private static final String TOPIC = "sluice.logs";
  private static final long START_MILLIS = 1_767_225_600_000L; // 2026-01-01T00:00Z

  public static void main(String[] argv) throws Exception {
    Map<String, String> a = new LinkedHashMap<>();
    List<String> beamExtra = new ArrayList<>();
    for (String s : argv) {
      if (s.startsWith("--beam:")) {
        beamExtra.add("--" + s.substring("--beam:".length()));
      } else {
        String[] kv = s.replaceFirst("^--", "").split("=", 2);
        a.put(kv[0], kv.length > 1 ? kv[1] : "true");
      }
    }
    int distinct = Integer.parseInt(a.getOrDefault("distinct", "1000000"));
    int chunk = Integer.parseInt(a.getOrDefault("chunk", "50000"));
    int partitions = Integer.parseInt(a.getOrDefault("partitions", "2"));
    int parallelism = Integer.parseInt(a.getOrDefault("parallelism", "2"));
    long sampleMs = Long.parseLong(a.getOrDefault("sample-ms", "500"));
    List<String> configs = List.of(a.getOrDefault("configs", "cassandra").split(","));
    Path work = Files.createTempDirectory("sluice-jobbench-");

    System.out.printf("# JobThroughputBench %s%n", a);
    System.out.printf("java %s, %d cores, max heap %d MiB, load average at start: %s%n",
        System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, loadAverage());

    TestKafka kafka = TestKafka.start();
    try {
      kafka.createTopic(TOPIC, partitions);
      long[] loaded = preload(kafka.bootstrapServers(), distinct, chunk);
      long total = loaded[0];
      System.out.printf("pre-loaded %,d Kafka records (%,d distinct, %,d resent) of %.0f bytes on average in %.1f s"
          + " (%d partitions, lz4, acks=all)%n",
          total, distinct, total - distinct, (double) loaded[1] / total, loaded[2] / 1e9, partitions);

      long c0 = System.nanoTime();
      EmbeddedCassandra node = EmbeddedCassandra.get();
      System.out.printf("Cassandra 5.0 up in %.1f s%n", (System.nanoTime() - c0) / 1e9);

      Path conf = work.resolve("flink-conf");
      Files.createDirectories(conf);
      Files.writeString(conf.resolve("flink-conf.yaml"),
          "metrics.reporter.probe.factory.class: " + ProbeReporter.Factory.class.getName() + "\n");

      List<String> summary = new ArrayList<>();
      int run = 0;
      for (String config : configs) {
        run++;
        String keyspace = "bench" + run;
        List<String> args = new ArrayList<>(List.of(
            "--bootstrap-servers=" + kafka.bootstrapServers(), "--topics=" + TOPIC, "--bounded",
            "--flinkMaster=[local]", "--parallelism=" + parallelism, "--flinkConfDir=" + conf));
        String[] outputsAndOptions = config.split("/");
        for (int i = 1; i < outputsAndOptions.length; i++) {
          args.add("--" + outputsAndOptions[i]); // per-configuration Beam option, e.g. cassandra/fasterCopy=false
        }
        for (String output : outputsAndOptions[0].split("\\+")) {
          switch (output) {
            case "cassandra" -> {
              args.add("--cassandra=" + node.contactPoint());
              args.add("--cassandra-keyspace=" + keyspace);
            }
            case "archive" -> args.add("--archive=" + work.resolve("archive-" + run).toUri());
            default -> throw new IllegalArgumentException("--configs: unknown output " + output);
          }
        }
        args.addAll(beamExtra);
        Result r = runJob(args, total, sampleMs);
        long inCassandra = config.contains("cassandra") ? cassandraTotal(node, keyspace) : -1;
        String line = r.report(config, total, distinct, inCassandra);
        System.out.println(line);
        summary.add(line);
      }
      System.out.println("# summary");
      summary.forEach(System.out::println);
      System.out.printf("load average at end: %s%n", loadAverage());
    } finally {
      kafka.close();
      try (var paths = Files.walk(work)) { // the archives and Flink's conf
        paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.exit(0); // Cassandra's threads are not daemons
  }

  /** Produces {@code distinct} records (+1 % resent batches) in chunks; returns {records, value bytes, nanos}. */
  private static long[] preload(String bootstrap, int distinct, int chunk) throws Exception {
    Properties p = new Properties();
    // the collector's producer defaults (collector KafkaPublisher.producerDefaults)
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(1 << 20));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(128L << 20));
    long records = 0;
    long bytes = 0;
    long t0 = System.nanoTime();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
      for (int done = 0, epoch = 1; done < distinct; done += chunk, epoch++) {
        int n = Math.min(chunk, distinct - done);
        // one minute of event time per chunk; each chunk from shippers of its own spool epoch (no identity clashes)
        List<RawRecord> batch = TestRecords.generate(
            epoch, n, 100, START_MILLIS + (epoch - 1) * 60_000L, 60_000L, n / 1000, TOPIC, epoch).records();
        for (RawRecord r : batch) {
          ProducerRecord<byte[], byte[]> pr = new ProducerRecord<>(TOPIC, r.key(), r.value());
          r.headers().forEach((k, v) -> pr.headers().add(k, v));
          producer.send(pr);
          bytes += r.value().length;
        }
        records += batch.size();
      }
      producer.flush();
    }
    return new long[] {records, bytes, System.nanoTime() - t0};
  }

  private static long cassandraTotal(EmbeddedCassandra node, String keyspace) {
    CassandraSettings settings =
        new CassandraSettings(List.of(node.contactPoint()), EmbeddedCassandra.DATACENTER, keyspace);
    long sum = 0;
    try (CqlSession session = settings.connect()) {
      for (Row r : session.execute("SELECT records FROM " + keyspace + ".minute_counts")) {
        sum += r.getLong("records");
      }
    }
    return sum;
  }

  record Sample(long nanos, long read, long aggregated, long cpuNanos, long gcMillis) {}

  private static Result runJob(List<String> args, long total, long sampleMs) throws Exception {
    ProbeReporter.reset();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    List<Sample> samples = new ArrayList<>();
    AtomicBoolean done = new AtomicBoolean();
    Map<String, Long>[] snaps = newSnaps();
    long[] at = new long[2];
    Thread sampler = new Thread(() -> {
      long lastPrint = 0;
      while (!done.get()) {
        long now = System.nanoTime();
        long read = through();
        Sample s = new Sample(now, read, ProbeReporter.sum("aggregates_input"), processCpuNanos(), gcMillis());
        synchronized (samples) {
          samples.add(s);
        }
        for (int i = 0; i < 2; i++) {
          if (snaps[i] == null && read >= total * (i == 0 ? 0.1 : 0.9)) {
            snaps[i] = threadCpu(threads);
            at[i] = now;
          }
        }
        if (now - lastPrint > 10_000_000_000L) {
          System.err.printf("  progress: %,d of %,d through dedup, aggregated %,d, load %s%n", read, total,
              s.aggregated(), loadAverage());
          lastPrint = now;
        }
        try {
          Thread.sleep(sampleMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "bench-sampler");
    sampler.setDaemon(true);
    String loadBefore = loadAverage();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    sampler.start();
    int exit = JobMain.commandLine().setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
        .execute(args.toArray(String[]::new));
    long t1 = System.nanoTime();
    long cpu1 = processCpuNanos();
    done.set(true);
    sampler.join();
    samples.add(new Sample(t1, through(), ProbeReporter.sum("aggregates_input"), cpu1, gcMillis()));
    if (exit != 0) {
      throw new IllegalStateException("the job exited " + exit + ": " + err + out);
    }
    System.out.println("job: " + String.join(" ", args));
    System.out.print(out);
    System.out.println("counters seen: " + ProbeReporter.names());
    return new Result(samples, t0, t1, cpu0, cpu1, snaps, at, loadBefore, loadAverage());
  }

  /**
   * Kafka records past de-duplication: distinct ones counted where the per-minute totals take them, duplicates where
   * they are dropped. The read's own counter moves only when a whole partition range is done (one bundle).
   */
  private static long through() {
    return ProbeReporter.sum("aggregates_input") + ProbeReporter.sum("duplicates_dropped");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Long>[] newSnaps() {
    return new Map[2];
  }

  private static Map<String, Long> threadCpu(ThreadMXBean threads) {
    Map<String, Long> m = new HashMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info != null) {
        long cpu = threads.getThreadCpuTime(info.getThreadId());
        if (cpu > 0) {
          m.merge(info.getThreadName() + "#" + info.getThreadId(), cpu, Long::sum);
        }
      }
    }
    return m;
  }

  record Result(List<Sample> samples, long t0, long t1, long cpu0, long cpu1, Map<String, Long>[] snaps, long[] at,
      String loadBefore, String loadAfter) {
    String report(String config, long total, int distinct, long inCassandra) {
      Sample first = null, s10 = null, s90 = null;
      for (Sample s : samples) {
        if (first == null && s.read() > 0) first = s;
        if (s10 == null && s.read() >= total * 0.1) s10 = s;
        if (s90 == null && s.read() >= total * 0.9) s90 = s;
      }
      double wall = (t1 - t0) / 1e9;
      double steadyS = (s90.nanos() - s10.nanos()) / 1e9;
      long steadyRead = s90.read() - s10.read();
      double rate = steadyRead / steadyS;
      double aggRate = (s90.aggregated() - s10.aggregated()) / steadyS;
      double cpuS = (s90.cpuNanos() - s10.cpuNanos()) / 1e9;
      StringBuilder b = new StringBuilder();
      b.append(String.format(
          "RESULT config=%s records=%d distinct=%d wall_s=%.1f startup_to_first_output_s=%.1f steady_window_s=%.1f"
              + " steady_records_per_s=%.0f steady_aggregated_per_s=%.0f steady_cpu_s=%.1f cpu_cores=%.2f"
              + " cpu_s_per_million=%.1f tail_after_90pct_s=%.1f whole_run_per_s=%.0f whole_run_cpu_s=%.1f"
              + " gc_s=%.1f cassandra_total=%d exact=%s load_before=\"%s\" load_after=\"%s\"",
          config, total, distinct, wall, (first.nanos() - t0) / 1e9, steadyS, rate, aggRate, cpuS, cpuS / steadyS,
          cpuS / steadyRead * 1e6, (t1 - s90.nanos()) / 1e9, total / wall, (cpu1 - cpu0) / 1e9,
          (s90.gcMillis() - s10.gcMillis()) / 1e3, inCassandra, inCassandra < 0 || inCassandra == distinct, loadBefore,
          loadAfter));
      if (snaps[0] != null && snaps[1] != null) {
        Map<String, Long> delta = new HashMap<>();
        snaps[1].forEach((k, v) -> delta.put(k, v - snaps[0].getOrDefault(k, 0L)));
        long threadSum = delta.values().stream().mapToLong(Long::longValue).sum();
        b.append(String.format("%n  threads' CPU in the window: %.1f s of %.1f s process CPU (rest: GC, JIT, VM)",
            threadSum / 1e9, cpuS));
        delta.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(12)
            .forEach(e -> b.append(String.format("%n    %6.1f s  %s", e.getValue() / 1e9, e.getKey())));
      }
      return b.toString();
    }
  }

  /** Collection time of every collector so far (wall time of pauses and, for concurrent collectors, cycles). */
  private static long gcMillis() {
    return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(b -> Math.max(0, b.getCollectionTime()))
        .sum();
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return "?";
    }
  }
}
