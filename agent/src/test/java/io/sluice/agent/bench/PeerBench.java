package io.sluice.agent.bench;

import io.sluice.collector.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The agent beside rsyslog (imfile → omkafka) and Apache Flume (TAILDIR → file channel → KafkaSink): the same files,
 * the same KRaft broker (in this JVM), one peer at a time. Two runs per peer:
 *
 * <ul>
 *   <li><b>throughput</b> (issue 15): {@code --mib} MiB (default 1 GiB) of 200–300-byte access-log lines already on
 *       disk in {@code --files} file(s) (default one); the clock runs from starting the peer's process until a
 *       consumer has counted every line in the topic ({@link TopicLines}), then every line's number is checked: 0
 *       lost. MiB/s, CPU seconds per GiB (utime+stime from /proc/PID/stat) and peak RSS (VmHWM); the broker's CPU
 *       (this JVM's, without the counting thread) beside it.</li>
 *   <li><b>rate</b>: a writer appends {@code --rate-mib} MiB/s for {@code --rate-seconds} s to a file the peer tails;
 *       CPU per GiB, peak RSS, and how long after the writer stopped the last line reached Kafka.</li>
 * </ul>
 *
 * <p>Sluice's path is agent → collector (a separate JVM) → Kafka, and its CPU is the two processes' together;
 * rsyslog (tuned for throughput, {@link #rsyslogConf}) and Flume write to Kafka directly. Run through
 * {@code agent/bench/run.sh}; see agent/README.md.
 */
public final class PeerBench {
  private final Map<String, String> opts;
  private final Path repo;
  private final Path work;
  private EmbeddedKafka kafka;
  private final StringBuilder report = new StringBuilder();

  private PeerBench(Map<String, String> opts) {
    this.opts = opts;
    this.repo = Path.of(opt("repo", ".")).toAbsolutePath().normalize();
    this.work = Path.of(opt("work", repo.resolve("agent/target/bench").toString())).toAbsolutePath();
  }

  private String opt(String key, String def) {
    return opts.getOrDefault(key, def);
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
      String k = args[i].substring(2);
      if (k.contains("=")) {
        opts.put(k.substring(0, k.indexOf('=')), k.substring(k.indexOf('=') + 1));
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        opts.put(k, args[++i]);
      } else {
        opts.put(k, "true");
      }
    }
    new PeerBench(opts).run();
    System.exit(0); // the broker's threads are not daemons
  }

  private void run() throws Exception {
    deleteTree(work);
    Files.createDirectories(work);
    int mib = Integer.parseInt(opt("mib", "1024"));
    int nFiles = Integer.parseInt(opt("files", "1"));
    List<String> peers = List.of(opt("peers", "agent,rsyslog").split(","));
    List<String> runs = List.of(opt("runs", "throughput").split(","));
    log("work dir %s; starting the KRaft broker", work);
    kafka = EmbeddedKafka.builder().baseDir(Files.createDirectories(work.resolve("kafka"))).start();
    try {
      warmBroker(Integer.parseInt(opt("broker-warmup-mib", "256")));
      header(mib, nFiles);
      if (runs.contains("throughput")) {
        Path data = Files.createDirectories(work.resolve("data"));
        long[] written = generate(data, nFiles, mib * (1L << 20));
        log("generated %d lines, %d bytes in %d files", written[0], written[1], nFiles);
        row("| peer (file → Kafka) | MiB/s | CPU-s per GiB | of which agent + collector | peak RSS MiB | wall s "
            + "| broker CPU-s/GiB | counting consumer CPU-s/GiB | lines (consumer check) | load average before → after |");
        row("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        for (String p : peers) throughput(p, data, written[0], written[1]);
        ratios();
      }
      if (runs.contains("rate")) {
        double rate = Double.parseDouble(opt("rate-mib", "10"));
        int seconds = Integer.parseInt(opt("rate-seconds", "30"));
        row("");
        row("| run | peer | MiB/s offered | CPU s per GiB | peak RSS MiB | last line at Kafka after writer stopped, s | collector CPU s/GiB, RSS MiB |");
        row("| --- | --- | ---: | ---: | ---: | ---: | --- |");
        for (String p : peers) rate(p, rate, seconds);
      }
    } finally {
      kafka.close();
    }
    row("");
    row(configs.toString());
    Files.writeString(work.resolve("results.md"), report.toString());
    System.out.println();
    System.out.println(report);
  }

  /**
   * Produces {@code mib} MiB of the same lines with the peers' producer settings (lz4, 20 ms linger, 1 MiB batches,
   * acks=all, idempotent) to a topic of its own before any peer runs, so that every peer meets a broker whose
   * produce path is already compiled: the first peer (the agent) used to pay the broker's JIT warm-up in its run.
   */
  private void warmBroker(int mib) throws Exception {
    if (mib <= 0) return;
    String topic = "bench-broker-warmup";
    kafka.createTopic(topic, PARTITIONS, 1);
    Map<String, Object> props = new HashMap<>();
    props.put("bootstrap.servers", kafka.bootstrapServers());
    props.put("acks", "all");
    props.put("enable.idempotence", "true");
    props.put("compression.type", "lz4");
    props.put("linger.ms", "20");
    props.put("batch.size", "1048576");
    long t0 = System.nanoTime();
    long bytes = 0;
    LogLines gen = new LogLines(3);
    try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(props,
        new org.apache.kafka.common.serialization.ByteArraySerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      while (bytes < mib * (1L << 20)) {
        byte[] line = gen.next();
        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, line));
        bytes += line.length;
      }
      producer.flush();
    }
    log("broker warmed with %d MiB in %.1f s", mib, (System.nanoTime() - t0) / 1e9);
  }

  // ---------------------------------------------------------------- runs

  /** One peer's throughput figures, kept for the same-run ratios under the table. */
  private record Result(String peer, double mibPerSecond, double cpuPerGiB, boolean complete) {}

  private final List<Result> results = new ArrayList<>();

  /** Each peer's exact configuration, printed under the table. */
  private final StringBuilder configs = new StringBuilder();

  private void throughput(String peer, Path data, long lines, long bytes) throws Exception {
    String topic = "bench-tp-" + peer;
    kafka.createTopic(topic, PARTITIONS, 1);
    Path dir = Files.createDirectories(work.resolve("tp-" + peer));
    String loadBefore = loadAverage();
    long expected = lines;
    try (TopicLines counter = new TopicLines(kafka.bootstrapServers(), topic, PARTITIONS)) {
      Started s = start(peer, data, topic, dir, opts.containsKey("jfr") && peer.equals("agent"));
      // The runner's JVM is the broker's; this thread is the counting consumer, whose CPU is reported apart.
      double runnerCpuBefore = ProcStats.of(ProcessHandle.current().pid()).cpuSeconds();
      long consumerNanosBefore = THREADS.getCurrentThreadCpuTime();
      long t0 = s.clockStart;
      lines += s.recordsBefore;
      long deadline = t0 + TimeUnit.MINUTES.toNanos(Integer.parseInt(opt("timeout-min", "15")));
      long count = 0;
      long lastProgress = t0;
      while (System.nanoTime() < deadline) {
        count = counter.poll(Duration.ofMillis(100));
        if (count >= lines) break;
        if (!s.main.isAlive()) throw new IllegalStateException(peer + " exited; see " + dir.resolve("out.txt"));
        if (opts.containsKey("progress") && System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(2)) {
          lastProgress = System.nanoTime();
          log("%s: %.1f s, %d lines at Kafka%s", peer, (System.nanoTime() - t0) / 1e9, count,
              peer.equals("agent") ? "; agent " + agentProgress() : "");
        }
      }
      double wall = (System.nanoTime() - t0) / 1e9;
      ProcStats main = ProcStats.of(s.main.pid());
      ProcStats helper = s.helper == null ? null : ProcStats.of(s.helper.pid());
      double consumerCpu = (THREADS.getCurrentThreadCpuTime() - consumerNanosBefore) / 1e9;
      double brokerCpu = ProcStats.of(ProcessHandle.current().pid()).cpuSeconds() - runnerCpuBefore - consumerCpu;
      log("%s: CPU by thread: %s", peer, ProcStats.threads(s.main.pid(), 12));
      if (s.helper != null) log("%s's collector: CPU by thread: %s", peer, ProcStats.threads(s.helper.pid(), 8));
      stop(s);
      String loadAfter = loadAverage();
      if (count < lines) log("%s: TIMED OUT with %d of %d lines at Kafka", peer, count, lines);
      TopicLines.Check check = opts.containsKey("no-check") ? null
          : TopicLines.check(kafka.bootstrapServers(), topic, PARTITIONS, expected, Duration.ofMinutes(10));
      if (check != null) log("%s: %s", peer, check);
      double gib = bytes / (double) (1L << 30);
      double mainCpu = main.cpuSeconds() / gib;
      double helperCpu = helper == null ? 0 : (helper.cpuSeconds() - s.helperCpuBefore) / gib;
      double mibPerSecond = bytes / (double) (1L << 20) / wall;
      boolean complete = count >= lines && (check == null || check.lost() == 0);
      results.add(new Result(peer, mibPerSecond, mainCpu + helperCpu, complete));
      String label = !peer.startsWith("agent") ? peer : "Sluice: agent + collector"
          + (peer.equals("agent-b") ? " [agent-b: `" + opt("agent-b-classpath-prefix", "") + "` first]" : "")
          + (s.recordsBefore > 0 ? " (collector warmed)" : "");
      row(String.format(Locale.ROOT, "| %s | %.1f | **%.1f** | %s | %s | %.1f | %.1f | %.1f | %s | %s → %s |", label,
          mibPerSecond, mainCpu + helperCpu,
          helper == null ? String.format(Locale.ROOT, "%.1f", mainCpu)
              : String.format(Locale.ROOT, "%.1f + %.1f", mainCpu, helperCpu),
          helper == null ? Long.toString(main.peakRssKiB() / 1024)
              : (main.peakRssKiB() / 1024) + " + " + (helper.peakRssKiB() / 1024),
          wall, brokerCpu / gib, consumerCpu / gib,
          check == null ? (count >= lines ? "not checked" : "timed out: " + count + " of " + lines)
              : (check.lost() == 0 ? "0 lost" : "**" + check.lost() + " lost**") + ", " + check.duplicates() + " dup",
          loadBefore, loadAfter));
      if (s.jfr != null) jfrSummary(s.jfr);
    }
  }

  /** The same-run ratios of Sluice (agent + collector) to each other peer, under the table. */
  private void ratios() {
    row("");
    for (Result sluice : results) {
      if (!sluice.peer().startsWith("agent")) continue;
      for (Result r : results) {
        if (r.peer().startsWith("agent")) continue;
        row(String.format(Locale.ROOT, "Sluice (%s) ÷ %s, same run: **%.2f× the MiB/s** (target ≥ 2), **%.2f× the "
            + "CPU-s per GiB** (target ≤ 1)%s.", sluice.peer(), r.peer(), sluice.mibPerSecond() / r.mibPerSecond(),
            sluice.cpuPerGiB() / r.cpuPerGiB(), sluice.complete() && r.complete() ? "" : " (a run was incomplete)"));
      }
    }
  }

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** Partitions of every bench topic. */
  static final int PARTITIONS = 3;

  /** The 1, 5 and 15 minute load averages. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "?";
    }
  }

  private void rate(String peer, double mibPerSecond, int seconds) throws Exception {
    String topic = "bench-rate-" + peer;
    kafka.createTopic(topic, PARTITIONS, 1);
    Path dir = Files.createDirectories(work.resolve("rate-" + peer));
    Path data = Files.createDirectories(dir.resolve("data"));
    Path file = data.resolve("app.log");
    Files.createFile(file);
    Started s = start(peer, data, topic, dir, false);
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3)); // let it start and find the (empty) file
    long[] written = writeAtRate(file, mibPerSecond, seconds, s);
    long stopped = System.nanoTime();
    long deadline = stopped + TimeUnit.MINUTES.toNanos(5);
    long count = 0;
    try (TopicLines counter = new TopicLines(kafka.bootstrapServers(), topic, PARTITIONS)) {
      while (System.nanoTime() < deadline && (count = counter.poll(Duration.ofMillis(100))) < written[0]) {
        if (!s.main.isAlive()) throw new IllegalStateException(peer + " exited; see " + dir.resolve("out.txt"));
      }
    }
    double lag = (System.nanoTime() - stopped) / 1e9;
    ProcStats main = ProcStats.of(s.main.pid());
    if (peer.equals("agent") && opt("agent-jvm", AGENT_JVM).contains("NativeMemoryTracking")) {
      Path nmt = dir.resolve("nmt.txt");
      new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
          Long.toString(s.main.pid()), "VM.native_memory", "summary").redirectErrorStream(true)
          .redirectOutput(nmt.toFile()).start().waitFor(30, TimeUnit.SECONDS);
      log("agent native memory: %s", nmt);
    }
    if (peer.equals("agent")) {
      Path memory = dir.resolve("memory.txt");
      Files.writeString(memory, ProcStats.memory(s.main.pid(), 25));
      log("agent memory (smaps_rollup, largest mappings): %s", memory);
    }
    ProcStats helper = s.helper == null ? null : ProcStats.of(s.helper.pid());
    stop(s);
    double gib = written[1] / (double) (1L << 30);
    row(String.format(Locale.ROOT, "| rate | %s | %.1f | %.1f | %d | %.1f | %s |%s", peer,
        written[1] / (double) (1L << 20) / seconds, main.cpuSeconds() / gib, main.peakRssKiB() / 1024, lag,
        helper == null ? "–" : String.format(Locale.ROOT, "%.1f, %d", helper.cpuSeconds() / gib,
            helper.peakRssKiB() / 1024),
        count < written[0] ? " (timed out: " + count + " of " + written[0] + " lines)" : ""));
  }

  /** Appends lines in 10 ms ticks at the given rate; returns {lines, bytes}. */
  private long[] writeAtRate(Path file, double mibPerSecond, int seconds, Started s) throws IOException {
    LogLines gen = new LogLines(7);
    long bytesPerTick = (long) (mibPerSecond * (1 << 20) / 100);
    long lines = 0;
    long bytes = 0;
    long tick = TimeUnit.MILLISECONDS.toNanos(10);
    long start = System.nanoTime();
    long next = start;
    ByteBuffer buf = ByteBuffer.allocate((int) bytesPerTick + 4096);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      for (int t = 0; t < seconds * 100; t++) {
        buf.clear();
        long tickBytes = 0;
        while (tickBytes < bytesPerTick) {
          byte[] l = gen.next();
          buf.put(l);
          tickBytes += l.length;
          lines++;
        }
        buf.flip();
        while (buf.hasRemaining()) ch.write(buf);
        bytes += tickBytes;
        if (!s.main.isAlive()) throw new IllegalStateException("peer exited during the rate run");
        next += tick;
        long wait = next - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
      }
    }
    return new long[] {lines, bytes};
  }

  // ---------------------------------------------------------------- peers

  /**
   * A started peer; {@code helper} is the agent's collector. {@code helperCpuBefore} and {@code recordsBefore} are
   * what a collector warm-up left behind (its CPU seconds, its records in the topic), subtracted from the run.
   */
  private record Started(Process main, Process helper, long clockStart, Path jfr, double helperCpuBefore,
      long recordsBefore) {
    Started(Process main, Process helper, long clockStart, Path jfr) {
      this(main, helper, clockStart, jfr, 0, 0);
    }
  }

  private Started start(String peer, Path data, String topic, Path dir, boolean jfr) throws Exception {
    Path out = dir.resolve("out.txt");
    return switch (peer) {
      case "agent" -> startAgent(data, topic, dir, out, jfr, topic.startsWith("bench-tp-")
          ? Integer.parseInt(opt("collector-warmup-mib", "0")) : 0, opt("agent-classpath-prefix", null));
      // the same with other agent classes first on its class path (--agent-b-classpath-prefix): before/after in one run
      case "agent-b" -> startAgent(data, topic, dir, out, false, topic.startsWith("bench-tp-")
          ? Integer.parseInt(opt("collector-warmup-mib", "0")) : 0, opt("agent-b-classpath-prefix", null));
      case "rsyslog" -> startRsyslog(data, topic, dir, out);
      case "flume" -> startFlume(data, topic, dir, out);
      default -> throw new IllegalArgumentException("unknown peer " + peer + "; use agent, rsyslog, flume");
    };
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private int agentHttpPort;

  /** A few of the agent's own counters (records read, acknowledged, spool bytes), for --progress. */
  private String agentProgress() {
    try (var in = new java.net.URL("http://127.0.0.1:" + agentHttpPort + "/metrics").openStream()) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .filter(l -> l.startsWith("sluice_agent_records_total") || l.startsWith("sluice_agent_records_acknowledged")
              || l.startsWith("sluice_agent_spool_bytes") || l.startsWith("sluice_agent_spool_full_waits"))
          .map(l -> l.replace("sluice_agent_", "")).collect(Collectors.joining(", "));
    } catch (IOException e) {
      return "metrics: " + e.getMessage();
    }
  }

  /**
   * The collector, then the agent. With {@code warmupMib} > 0 (throughput runs, {@code --collector-warmup-mib}) a
   * first agent process ships that many MiB of other lines through the same collector and is stopped before the
   * measured agent starts: the collector is then as warm as a long-running collector tier is; its warm-up CPU and
   * records are subtracted from the run.
   */
  private Started startAgent(Path data, String topic, Path dir, Path out, boolean jfr, int warmupMib, String prefix)
      throws Exception {
    int port = freePort();
    // The producer tuned like the peers' (lz4, 20 ms linger, large batches): the default 16 KiB batch.size caps one
    // partition (one agent's records share a key) at a few MiB/s.
    Path collectorYaml = dir.resolve("collector.yaml");
    Files.writeString(collectorYaml, String.join("\n",
        "listen: 127.0.0.1:" + port,
        "kafka:",
        "  bootstrap: " + kafka.bootstrapServers(),
        "  topic: " + topic,
        "  format: " + opt("collector-format", "batch"),
        "  producer: {" + opt("collector-producer", COLLECTOR_PRODUCER) + "}",
        "auth: {anonymous: true}",
        ""));
    config("Sluice collector: `java " + opt("collector-jvm", COLLECTOR_JVM) + " io.sluice.collector.CollectorMain "
        + "--config collector.yaml` (its producer: acks=all, idempotent, over these settings), collector.yaml:",
        Files.readString(collectorYaml));
    List<String> collector = new ArrayList<>();
    collector.add(java());
    collector.addAll(List.of(opt("collector-jvm", COLLECTOR_JVM).trim().split("\\s+")));
    collector.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.sluice.collector.CollectorMain",
        "--config", collectorYaml.toString()));
    Process c = new ProcessBuilder(collector).redirectErrorStream(true)
        .redirectOutput(dir.resolve("collector-out.txt").toFile()).start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!listening(port)) {
      if (!c.isAlive() || System.nanoTime() > until) {
        throw new IllegalStateException("collector did not start; see " + dir.resolve("collector-out.txt"));
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    double helperCpuBefore = 0;
    long recordsBefore = 0;
    if (warmupMib > 0) {
      Path warmDir = Files.createDirectories(dir.resolve("warmup"));
      Path warmData = Files.createDirectories(warmDir.resolve("data"));
      // numbered from 2^40: the loss check tells these lines from the measured ones
      long warmLines = generate(warmData, 1, warmupMib * (1L << 20), 1L << 40)[0];
      Process w = agentProcess(port, warmData, warmDir, warmDir.resolve("out.txt"), null, prefix);
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
      try (TopicLines counter = new TopicLines(kafka.bootstrapServers(), topic, PARTITIONS)) {
        while ((recordsBefore = counter.poll(Duration.ofMillis(100))) < warmLines && System.nanoTime() < deadline
            && w.isAlive()) {
          // polling is the wait
        }
      }
      stop(new Started(w, null, 0, null));
      if (recordsBefore < warmLines) throw new IllegalStateException("collector warm-up did not finish");
      helperCpuBefore = ProcStats.of(c.pid()).cpuSeconds();
      log("collector warmed with %d MiB (%d records, %.1f CPU s)", warmupMib, recordsBefore, helperCpuBefore);
    }
    Path jfrFile = jfr ? dir.resolve("agent.jfr") : null;
    long t0 = System.nanoTime();
    Process a = agentProcess(port, data, dir, out, jfrFile, prefix);
    return new Started(a, c, t0, jfrFile, helperCpuBefore, recordsBefore);
  }

  /** An agent process tailing {@code data}/*.log into the collector at {@code port}, its spool under {@code dir}. */
  private Process agentProcess(int port, Path data, Path dir, Path out, Path jfrFile, String prefix)
      throws IOException {
    Path config = dir.resolve("agent.yaml");
    Files.writeString(config, String.join("\n",
        "serviceName: bench",
        "collector: {endpoints: [\"127.0.0.1:" + port + "\"]" + (opts.containsKey("agent-collector")
            ? ", " + opt("agent-collector", "") : "") + "}",
        "spool: {dir: \"" + dir.resolve("spool") + "\", maxBytes: 256MiB}",
        "http: {host: 127.0.0.1, port: " + (agentHttpPort = freePort()) + "}",
        "inputs:",
        "  - name: bench",
        "    include: [\"" + data + "/*.log\"]",
        ""));
    config("Sluice agent: `" + opt("agent-env", AGENT_ENV) + " java " + opt("agent-jvm", AGENT_JVM)
        + " -jar sluice-agent.jar --config agent.yaml` (the image's JVM options), agent.yaml:",
        Files.readString(config));
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    for (String o : opt("agent-jvm", AGENT_JVM).split(" ")) if (!o.isBlank()) cmd.add(o);
    if (jfrFile != null) {
      cmd.add("-XX:StartFlightRecording=filename=" + jfrFile + ",settings=profile,dumponexit=true");
    }
    String jar = repo.resolve("agent/target/sluice-agent.jar").toString();
    if (prefix != null) {
      // e.g. a patched sdk-core class in front of the fat jar, to measure a change before it is made
      cmd.addAll(List.of("-cp", prefix + ":" + jar, "io.sluice.agent.AgentMain"));
    } else {
      cmd.addAll(List.of("-jar", jar));
    }
    cmd.addAll(List.of("--config", config.toString()));
    log("agent: %s", String.join(" ", cmd));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
    for (String kv : opt("agent-env", AGENT_ENV).split(" ")) {
      if (kv.contains("=")) pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }
    return pb.start();
  }

  /** The collector's JVM options (override with --collector-jvm "..."). */
  static final String COLLECTOR_JVM = "-Xmx512m";

  /**
   * Kafka producer properties of the collector over its defaults (override with --collector-producer "k: v, ...").
   * No compression.type: the collector's default for its format (none for the batch format, whose values are the
   * clients' zstd frames; lz4 for the record format).
   */
  static final String COLLECTOR_PRODUCER = "linger.ms: 20, batch.size: 1048576";

  /** The agent's environment: glibc's per-thread malloc arenas (64 MiB each) hold RocksDB's and zstd's freed memory. */
  static final String AGENT_ENV = "MALLOC_ARENA_MAX=2";

  /** The agent's JVM options in every run, as in its image (agent/pom.xml; override with --agent-jvm "..."). */
  static final String AGENT_JVM = "-Xms16m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=64m"
      + " -XX:ReservedCodeCacheSize=32m -XX:MaxDirectMemorySize=32m -Xss512k -XX:TrimNativeHeapInterval=1000";

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private Started startRsyslog(Path data, String topic, Path dir, Path out) throws Exception {
    Path rsyslogd = Path.of(opt("rsyslogd", "/usr/sbin/rsyslogd"));
    if (!Files.isExecutable(rsyslogd)) {
      throw new IllegalStateException(
          "no " + rsyslogd + ": apt-get install -y --no-install-recommends rsyslog rsyslog-kafka");
    }
    Path state = Files.createDirectories(dir.resolve("state"));
    Path conf = dir.resolve("rsyslog.conf");
    Files.writeString(conf, rsyslogConf(state, data, kafka.bootstrapServers(), topic));
    config("rsyslog " + rsyslogVersion(rsyslogd) + ": `" + rsyslogd + " -n -f rsyslog.conf -i rsyslogd.pid`, "
        + "rsyslog.conf:", Files.readString(conf));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(rsyslogd.toString(), "-n", "-f", conf.toString(), "-i",
        dir.resolve("rsyslogd.pid").toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    return new Started(p, null, t0, null);
  }

  /** rsyslog's imfile writes its file position every N lines (the trade-off: duplicates after a crash vs. I/O). */
  static final int RSYSLOG_PERSIST_STATE_INTERVAL = 10_000;

  /**
   * rsyslog tuned for throughput as its documentation says, the configuration issue 15 measured at 91–96 MiB/s:
   * <ul>
   *   <li>an asynchronous in-memory queue between imfile and omkafka — without one (a direct queue, the default of an
   *       action) imfile waits on omkafka (https://www.rsyslog.com/doc/concepts/queues.html: queues decouple
   *       producers and consumers; ruleset queues isolate a pipeline); LinkedList (memory allocated as needed),
   *       200,000 entries, dequeued in batches of 1,024 (https://www.rsyslog.com/doc/rainerscript/queue_parameters.html,
   *       {@code queue.type}, {@code queue.size}, {@code queue.dequeueBatchSize}); the main queue the same;</li>
   *   <li>imfile in inotify mode, {@code persistStateInterval} 10,000 lines (the state file written every 10,000
   *       lines: "may reduce performance if set to a low value",
   *       https://www.rsyslog.com/doc/reference/parameters/imfile-persiststateinterval.html); {@code MaxLinesAtOnce}
   *       is left out: in inotify mode it is fixed at 0 and setting it only logs an error
   *       (https://www.rsyslog.com/doc/reference/parameters/imfile-maxlinesatonce.html);</li>
   *   <li>librdkafka's throughput settings (its INTRODUCTION.md, "High throughput": {@code batch.num.messages},
   *       {@code queue.buffering.max.ms}) with lz4 and acks=-1 (all), as the collector produces.</li>
   * </ul>
   */
  static String rsyslogConf(Path state, Path data, String brokers, String topic) {
    return String.join("\n",
        "global(workDirectory=\"" + state + "\" maxMessageSize=\"64k\")",
        "main_queue(queue.type=\"LinkedList\" queue.size=\"200000\")",
        "module(load=\"imfile\" mode=\"inotify\")",
        "module(load=\"omkafka\")",
        "template(name=\"raw\" type=\"string\" string=\"%rawmsg%\")",
        "input(type=\"imfile\" File=\"" + data + "/*.log\" Tag=\"bench\" ruleset=\"tokafka\" freshStartTail=\"off\""
            + " reopenOnTruncate=\"on\" persistStateInterval=\"" + RSYSLOG_PERSIST_STATE_INTERVAL + "\")",
        "ruleset(name=\"tokafka\" queue.type=\"LinkedList\" queue.size=\"200000\" queue.dequeueBatchSize=\"1024\") {",
        "  action(type=\"omkafka\" broker=[\"" + brokers + "\"] topic=\"" + topic + "\" template=\"raw\"",
        "    confParam=[\"compression.codec=lz4\", \"queue.buffering.max.ms=20\", \"batch.num.messages=10000\",",
        "               \"queue.buffering.max.messages=200000\"]",
        "    topicConfParam=[\"request.required.acks=-1\"])",
        "}",
        "");
  }

  private static String rsyslogVersion(Path rsyslogd) {
    try {
      Process p = new ProcessBuilder(rsyslogd.toString(), "-v").redirectErrorStream(true).start();
      String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst()
          .orElse("?");
      p.waitFor(10, TimeUnit.SECONDS);
      return first.replaceAll("\\s+", " ").replace(" compiled with:", "").trim();
    } catch (IOException | InterruptedException e) {
      return "?";
    }
  }

  /** A peer's configuration, printed once under the table. */
  private void config(String title, String text) {
    if (configs.indexOf(title) >= 0) return;
    configs.append(title).append("\n\n```\n").append(text.strip()).append("\n```\n\n");
  }

  private Started startFlume(Path data, String topic, Path dir, Path out) throws Exception {
    Path lib = repo.resolve("agent/bench/flume/target/lib");
    if (!Files.isDirectory(lib)) {
      throw new IllegalStateException("no " + lib + ": mvn -f agent/bench/flume/pom.xml dependency:copy-dependencies");
    }
    Path conf = dir.resolve("flume.conf");
    Files.writeString(conf, String.join("\n",
        "a1.sources = r1",
        "a1.channels = c1",
        "a1.sinks = k1",
        "a1.sources.r1.type = TAILDIR",
        "a1.sources.r1.channels = c1",
        "a1.sources.r1.positionFile = " + dir.resolve("taildir_position.json"),
        "a1.sources.r1.filegroups = f1",
        "a1.sources.r1.filegroups.f1 = " + data + "/.*\\\\.log",
        "a1.sources.r1.batchSize = 1000",
        "a1.channels.c1.type = file",
        "a1.channels.c1.checkpointDir = " + dir.resolve("checkpoint"),
        "a1.channels.c1.dataDirs = " + dir.resolve("channel-data"),
        "a1.channels.c1.capacity = 2000000",
        "a1.channels.c1.transactionCapacity = 10000",
        "a1.sinks.k1.type = org.apache.flume.sink.kafka.KafkaSink",
        "a1.sinks.k1.channel = c1",
        "a1.sinks.k1.kafka.bootstrap.servers = " + kafka.bootstrapServers(),
        "a1.sinks.k1.kafka.topic = " + topic,
        "a1.sinks.k1.flumeBatchSize = 1000",
        "a1.sinks.k1.kafka.producer.acks = all",
        "a1.sinks.k1.kafka.producer.linger.ms = 20",
        "a1.sinks.k1.kafka.producer.compression.type = lz4",
        ""));
    Path log4j = dir.resolve("log4j2.xml");
    Files.writeString(log4j, "<Configuration status=\"WARN\"><Appenders><Console name=\"c\" target=\"SYSTEM_ERR\">"
        + "<PatternLayout pattern=\"%d %p %c{1} - %m%n\"/></Console></Appenders><Loggers><Root level=\"warn\">"
        + "<AppenderRef ref=\"c\"/></Root></Loggers></Configuration>\n");
    List<String> cmd = new ArrayList<>(List.of(java()));
    for (String o : opt("flume-jvm", "-Xmx512m").split(" ")) if (!o.isBlank()) cmd.add(o);
    cmd.addAll(List.of("-Dlog4j.configurationFile=" + log4j, "-cp", lib + "/*", "org.apache.flume.node.Application",
        "--no-reload-conf", "-n", "a1", "-f", conf.toString()));
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    return new Started(p, null, t0, null);
  }

  private static void stop(Started s) throws InterruptedException {
    for (Process p : new Process[] {s.main, s.helper}) {
      if (p == null) continue;
      p.destroy(); // SIGTERM
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  // ---------------------------------------------------------------- Kafka, data, report

  /** Writes {@code totalBytes} of lines round-robin into n files; returns {lines, bytes}. */
  private static long[] generate(Path dir, int n, long totalBytes) throws IOException {
    return generate(dir, n, totalBytes, 0);
  }

  /** {@link #generate(Path, int, long)} with lines numbered from {@code firstSeq}. */
  private static long[] generate(Path dir, int n, long totalBytes, long firstSeq) throws IOException {
    LogLines gen = new LogLines(42, firstSeq);
    OutputStream[] outs = new OutputStream[n];
    long lines = 0;
    long bytes = 0;
    try {
      for (int i = 0; i < n; i++) {
        outs[i] = new java.io.BufferedOutputStream(Files.newOutputStream(dir.resolve("app-" + i + ".log")), 1 << 20);
      }
      while (bytes < totalBytes) {
        byte[] l = gen.next();
        outs[(int) (lines % n)].write(l);
        lines++;
        bytes += l.length;
      }
    } finally {
      for (OutputStream o : outs) if (o != null) o.close();
    }
    return new long[] {lines, bytes};
  }

  private void header(int mib, int nFiles) throws Exception {
    String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
        .findFirst().map(l -> l.substring(l.indexOf(':') + 2)).orElse("?");
    row("Machine: " + Runtime.getRuntime().availableProcessors() + " cores (" + cpu + "), shared with other builds; "
        + "Linux " + System.getProperty("os.version") + "; Java " + System.getProperty("java.version") + ".");
    row("Data: " + mib + " MiB of access-log lines (200–300 B) in " + nFiles + " file(s), on disk before a peer "
        + "starts; one KRaft broker (Kafka 4.4, in the runner's JVM, warmed with " + opt("broker-warmup-mib", "256")
        + " MiB before the first peer), topics of " + PARTITIONS + " partitions; each peer alone, one after the other. "
        + "The clock runs from starting the peer's process(es) until a consumer (this JVM, from the topic's start) has "
        + "counted every line; then every line's number is checked (lost, duplicates). CPU-s from /proc/PID/stat "
        + "(utime + stime): Sluice = agent + collector; broker = this JVM minus the counting thread. Each peer's exact "
        + "configuration is under the table.");
    row("");
  }

  private void row(String s) {
    report.append(s).append('\n');
    System.out.println(s);
  }

  private static void log(String fmt, Object... args) {
    System.err.printf("[bench] " + fmt + "%n", args);
  }

  private static void jfrSummary(Path jfr) throws IOException {
    if (!Files.exists(jfr)) {
      log("no JFR file at %s", jfr);
      return;
    }
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> byTop = new HashMap<>();
    int total = 0;
    try (var rf = new jdk.jfr.consumer.RecordingFile(jfr)) {
      while (rf.hasMoreEvents()) {
        var e = rf.readEvent();
        String type = e.getEventType().getName();
        if (!type.equals("jdk.ExecutionSample") && !type.equals("jdk.NativeMethodSample")) continue;
        if (e.getStackTrace() == null || e.getStackTrace().getFrames().isEmpty()) continue;
        total++;
        var t = e.getThread("sampledThread");
        String thread = t == null ? "?" : String.valueOf(t.getJavaName()).replaceAll("-?\\d+$", "-N");
        byThread.merge(type.endsWith("NativeMethodSample") ? thread + " (native)" : thread, 1, Integer::sum);
        var f = e.getStackTrace().getFrames().get(0);
        byTop.merge(f.getMethod().getType().getName() + "." + f.getMethod().getName(), 1, Integer::sum);
      }
    }
    final int all = total;
    System.err.println("[bench] JFR " + jfr + ": " + all + " samples");
    System.err.println("[bench] by thread: " + top(byThread, all, 10));
    System.err.println("[bench] top frames: " + top(byTop, all, 15));
  }

  private static String top(Map<String, Integer> m, int total, int n) {
    return m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(n)
        .map(e -> String.format(Locale.ROOT, "%n    %5.1f%% %s", 100.0 * e.getValue() / total, e.getKey()))
        .collect(Collectors.joining());
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var s = Files.walk(p)) {
      for (Path x : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.delete(x);
    }
  }
}
