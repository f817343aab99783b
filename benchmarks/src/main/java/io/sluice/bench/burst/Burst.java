package io.sluice.bench.burst;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.data.LogLines;
import io.sluice.bench.log4j2.Log4j2AppenderBench;
import io.sluice.bench.logback.LogbackContexts;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The burst benchmark (issue 16): N threads log {@code --events} events in total as fast as they can through one
 * logging setup with its defaults, while the collector and a KRaft broker run in their own JVM
 * ({@link BurstServer}). Severity mix, by event index: every 1,000th is ERROR, every 100th (offset 50) WARN, the rest
 * INFO. For each setup it prints its exact configuration, the logging threads' throughput (calls/s from the first
 * call to the last thread's return) and what was delivered per severity: for Kafka setups the distinct ids a consumer
 * read back from the topic, for file setups the lines in the file. The Sluice setups also print their own counters
 * and the CPU time of their batcher and shipper threads (where a burst saturates).
 *
 * <pre>
 * java -Xmx2g -cp benchmarks/target/benchmarks.jar io.sluice.bench.burst.Burst --events 2000000 --threads 2,4 \
 *   --scenarios sluice-logback,sluice-log4j2,logback-async-file,logback-async-file-lossless,otel --label burst-1
 * </pre>
 */
public final class Burst {
  static final String TOPIC = "burst";
  static final String[] LEVELS = {"INFO", "WARN", "ERROR"};
  /**
   * The warm-up, not counted: one round of the burst's size, then rounds of WARM_UP_EVENTS events, logged as the burst logs them (its threads, its mix of
   * levels), each round waited for until the tap has read it, repeated until the JIT compilers of both JVMs took less
   * than {@link #WARM_UP_SETTLED_JIT_SHARE} of the round's CPU (at least 2, at most {@link #WARM_UP_MAX_ROUNDS}
   * rounds), for every setup alike. So the burst measures a service that has run for a while, not one still compiling:
   * a fresh collector + broker JVM spent ~40 % of its CPU in C2 during a burst after a single warm-up round (perf,
   * 2026-12-06). The JIT time of the measured burst is printed beside it.
   */
  static final int WARM_UP_EVENTS = 200_000;
  static final int WARM_UP_MAX_ROUNDS = Integer.getInteger("burst.warmUpMaxRounds", 12);
  static final double WARM_UP_SETTLED_JIT_SHARE = 0.03;
  private static final long DRAIN_IDLE_NANOS = TimeUnit.SECONDS.toNanos(15);
  private static final long DRAIN_MAX_NANOS = TimeUnit.SECONDS.toNanos(300);

  private final PrintStream out;
  private final Path work;
  private String bootstrap;
  private int grpcPort;
  private int httpPort;
  private int runs;
  private long serverPid;
  private final Map<String, String> overrides = new LinkedHashMap<>();

  private Burst(PrintStream out, Path work) {
    this.out = out;
    this.work = work;
  }

  /** 0 INFO, 1 WARN, 2 ERROR, from the event's index within its thread. */
  static int level(long index) {
    if (index % 1000 == 0) return 2;
    if (index % 100 == 50) return 1;
    return 0;
  }

  public static void main(String[] args) throws Exception {
    long events = 2_000_000;
    List<Integer> threads = List.of(2, 4);
    List<String> scenarios = List.of("sluice-logback", "sluice-log4j2", "logback-async-file",
        "logback-async-file-lossless", "otel");
    String label = "burst";
    Path outDir = Paths.get("benchmarks/results");
    Map<String, String> settings = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--events" -> events = Long.parseLong(args[++i].replace("_", ""));
        case "--threads" -> threads = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--scenarios" -> scenarios = List.of(args[++i].split(","));
        case "--label" -> label = args[++i];
        case "--out" -> outDir = Paths.get(args[++i]);
        case "--sluice" -> {
          // experiments: --sluice key=value,key=value applies appender settings to both Sluice setups
          for (String kv : args[++i].split(","))
            settings.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; options: --events N --threads 2,4 --scenarios a,b --label L --out DIR --sluice k=v,k=v");
      }
    }
    java.io.ByteArrayOutputStream copy = new java.io.ByteArrayOutputStream();
    PrintStream tee = new PrintStream(new TeeStream(System.out, copy), true, StandardCharsets.UTF_8);
    Path work = BenchSupport.tempDir("sluice-burst");
    Burst b = new Burst(tee, work);
    b.overrides.putAll(settings);
    List<Result> results = new ArrayList<>();
    Process server = b.startServer();
    try {
      for (int n : threads) {
        for (String s : scenarios) results.add(b.runOne(s, n, events));
      }
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(30, TimeUnit.SECONDS)) server.destroyForcibly();
      BenchSupport.deleteTree(work);
    }
    b.report(results);
    Files.createDirectories(outDir);
    Files.write(outDir.resolve(label + ".txt"), copy.toByteArray());
    Files.writeString(outDir.resolve(label + ".json"), json(results));
    tee.println("wrote " + outDir.resolve(label + ".txt") + " and " + outDir.resolve(label + ".json"));
  }

  private Process startServer() throws IOException {
    String java = Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>(List.of(java, "-Xmx1g"));
    // e.g. -Dburst.serverJvmArgs=-XX:StartFlightRecording=filename=/tmp/server.jfr to profile the collector's side
    String extra = System.getProperty("burst.serverJvmArgs", "").trim();
    if (!extra.isEmpty()) command.addAll(List.of(extra.split("\\s+")));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), BurstServer.class.getName()));
    Process p = new ProcessBuilder(command).redirectError(work.resolve("server.err").toFile()).start();
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = r.readLine()) != null && !line.startsWith("READY ")) {
      // the broker may print a few lines first
    }
    if (line == null) throw new IllegalStateException("the collector process did not start: "
        + Files.readString(work.resolve("server.err")));
    String[] f = line.split(" ");
    bootstrap = f[1];
    grpcPort = Integer.parseInt(f[2]);
    httpPort = Integer.parseInt(f[3]);
    out.printf(Locale.ROOT, "Burst benchmark, %d cores, %s %s; collector and KRaft broker in their own JVM (pid %d):"
        + " broker %s, gRPC 127.0.0.1:%d, OTLP/HTTP 127.0.0.1:%d; started %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"),
        System.getProperty("java.version"), p.pid(), bootstrap, grpcPort, httpPort, Instant.now());
    serverPid = p.pid();
    return p;
  }

  /** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
  static double processCpuSeconds(long pid) {
    try {
      String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in clock ticks (USER_HZ 100)
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /**
   * CPU seconds the JIT compiler threads of a process have used so far (Linux: threads named {@code C1/C2
   * CompilerThre…} in /proc); NaN elsewhere. A burst that runs while the JVM still compiles pays for it.
   */
  static double compilerCpuSeconds(long pid) {
    double sum = 0;
    try (var tasks = Files.newDirectoryStream(Paths.get("/proc/" + pid + "/task"))) {
      for (Path task : tasks) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (!comm.contains("CompilerThre")) continue;
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException gone) {
          // the thread ended between the listing and the read
        }
      }
      return sum;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }

  /** Seconds from the start of process {@code pid} to {@code wallMillis}; NaN if unknown. */
  static double sinceStart(long pid, long wallMillis) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().startInstant())
        .map(s -> (wallMillis - s.toEpochMilli()) / 1e3).orElse(Double.NaN);
  }

  // ---------------------------------------------------------------------------------------------------- one run

  record Result(String scenario, int threads, long events, double seconds, double callsPerSecond, long[] sent,
      long[] delivered, String config, String own, double load) {
    long sentAll() {
      return sent[0] + sent[1] + sent[2];
    }

    long deliveredAll() {
      return delivered[0] + delivered[1] + delivered[2];
    }
  }

  private Result runOne(String scenario, int n, long events) throws Exception {
    int run = ++runs;
    Path dir = work.resolve("run-" + run);
    Files.createDirectories(dir);
    Setup setup = switch (scenario) {
      case "sluice-logback" -> new SluiceLogback("127.0.0.1:" + grpcPort, dir.resolve("spool"), overrides);
      case "sluice-log4j2" -> new SluiceLog4j2("127.0.0.1:" + grpcPort, dir.resolve("spool"), overrides);
      case "logback-async-file" -> new LogbackAsyncFile(dir.resolve("app.log"), false);
      case "logback-async-file-lossless" -> new LogbackAsyncFile(dir.resolve("app.log"), true);
      case "otel" -> new Otel("http://127.0.0.1:" + httpPort + "/v1/logs");
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    };
    out.printf(Locale.ROOT, "%n== run %d: %s, %d threads, %,d events ==%n  configuration: %s%n", run, scenario, n,
        events, setup.config());
    if (setup instanceof LogbackAsyncFile f) f.warmSlot = n;
    Tap tap = setup.kafka() ? new Tap(bootstrap, n, setup.otlp()) : null;
    try {
      String[] texts = texts();
      warmUp(setup, tap, n, texts, events);
      setup.afterWarmUp();

      long perThread = events / n;
      long[] sent = new long[3];
      for (long i = 0; i < perThread; i++) sent[level(i)] += n;
      CountDownLatch go = new CountDownLatch(1);
      long[] ends = new long[n];
      long[] callerCpu = new long[n];
      Thread[] loaders = new Thread[n];
      for (int t = 0; t < n; t++) {
        final int slot = t;
        loaders[t] = new Thread(() -> {
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          long base = (long) slot << 32;
          ThreadMXBean mx = ManagementFactory.getThreadMXBean();
          long cpu0 = mx.getCurrentThreadCpuTime();
          logMany(setup, base, perThread, texts);
          ends[slot] = System.nanoTime();
          callerCpu[slot] = mx.getCurrentThreadCpuTime() - cpu0;
        }, "burst-" + t);
        loaders[t].start();
      }
      double load0 = loadAverage();
      if (tap != null) tap.paused = true;
      double appCpu0 = appCpuSeconds();
      double serverCpu0 = processCpuSeconds(serverPid);
      long appPid = ProcessHandle.current().pid();
      double appJit0 = compilerCpuSeconds(appPid);
      double serverJit0 = compilerCpuSeconds(serverPid);
      long start = System.nanoTime();
      long startWall = System.currentTimeMillis();
      go.countDown();
      for (Thread t : loaders) t.join();
      long endWall = System.currentTimeMillis();
      if (tap != null) tap.paused = false;
      long end = 0;
      for (long e : ends) end = Math.max(end, e);
      double seconds = (end - start) / 1e9;
      double callsPerSecond = perThread * n / seconds;
      double appCpu = appCpuSeconds() - appCpu0;
      double serverCpu = processCpuSeconds(serverPid) - serverCpu0;
      double appJit = compilerCpuSeconds(appPid) - appJit0;
      double serverJit = compilerCpuSeconds(serverPid) - serverJit0;
      long callerCpuAll = 0;
      for (long c : callerCpu) callerCpuAll += c;
      out.printf(Locale.ROOT, "  logging threads done: %,.0f calls/s (%.2f s)%s%n", callsPerSecond, seconds,
          setup.progress());
      out.printf(Locale.ROOT, "  CPU during the burst: logging threads %.2f s (%.2f µs/call), this JVM %.2f s"
          + " (%.2f µs/call), collector+broker JVM %.2f s (%.2f µs/call); load average %.1f%n", callerCpuAll / 1e9,
          callerCpuAll / 1e3 / (perThread * n), appCpu, appCpu * 1e6 / (perThread * n), serverCpu,
          serverCpu * 1e6 / (perThread * n), loadAverage());
      out.printf(Locale.ROOT, "  of which JIT compiler threads: this JVM %.2f s, collector+broker JVM %.2f s (burst"
          + " from %.1f s to %.1f s after this JVM started, %.1f s to %.1f s after the collector's: to line up with"
          + " -Xlog or perf)%n", appJit, serverJit, sinceStart(appPid, startWall), sinceStart(appPid, endWall),
          sinceStart(serverPid, startWall), sinceStart(serverPid, endWall));

      long[] delivered;
      if (tap != null) {
        long idleSince = System.nanoTime();
        long began = idleSince;
        long last = -1;
        long expected = perThread * n;
        while (tap.distinct() < expected && System.nanoTime() - idleSince < DRAIN_IDLE_NANOS
            && System.nanoTime() - began < DRAIN_MAX_NANOS) {
          long d = tap.distinct();
          if (d != last) {
            last = d;
            idleSince = System.nanoTime();
          }
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        out.printf(Locale.ROOT, "  delivery settled %.1f s after the burst%n", (System.nanoTime() - end) / 1e9);
        String own = setup.own();
        setup.close();
        tap.stop();
        delivered = tap.deliveredBySeverity(perThread);
        return result(scenario, n, perThread * n, seconds, callsPerSecond, sent, delivered, setup, own, load0);
      }
      String own = setup.own();
      setup.close();
      delivered = setup.deliveredToFile();
      return result(scenario, n, perThread * n, seconds, callsPerSecond, sent, delivered, setup, own, load0);
    } finally {
      if (tap != null) tap.close();
    }
  }

  /** The warm-up (see {@link #WARM_UP_EVENTS}): ids in slot {@code n}, which the results do not count. */
  private void warmUp(Setup setup, Tap tap, int n, String[] texts, long burstEvents) throws InterruptedException {
    long warmSlot = (long) n << 32;
    long appPid = ProcessHandle.current().pid();
    double jit = Double.NaN;
    double cpu = Double.NaN;
    int round = 0;
    long logged = 0;
    int per = 0;
    while (round < WARM_UP_MAX_ROUNDS) {
      double jit0 = compilerCpuSeconds(appPid) + compilerCpuSeconds(serverPid);
      double cpu0 = appCpuSeconds() + processCpuSeconds(serverPid);
      // The first round is as large as the burst, so every path the burst takes has run before it is measured (a
      // branch first taken in the measured burst, such as an overflow segment filling up, would deoptimize and
      // recompile the logging path in the middle of it: seen as 0.8 s of C2 in a 2 s burst).
      per = (int) ((round == 0 ? burstEvents : WARM_UP_EVENTS) / n);
      long base = logged;
      logged += (long) per * n;
      int perThread = per;
      Thread[] threads = new Thread[n];
      for (int t = 0; t < n; t++) {
        long first = base + (long) t * per;
        threads[t] = new Thread(() -> logMany(setup, warmSlot | (first + 1), perThread, texts), "warm-up-" + t);
        threads[t].start();
      }
      for (Thread t : threads) t.join();
      round++;
      long expected = logged;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (tap != null && tap.warm() < expected && System.nanoTime() < deadline) LockSupport.parkNanos(10_000_000);
      jit = compilerCpuSeconds(appPid) + compilerCpuSeconds(serverPid) - jit0;
      cpu = appCpuSeconds() + processCpuSeconds(serverPid) - cpu0;
      if (Boolean.getBoolean("burst.traceWarmUp")) {
        out.printf(Locale.ROOT, "  warm-up round %d: JIT %.2f s of %.2f s CPU%n", round, jit, cpu);
      }
      if (round >= 2 && jit < WARM_UP_SETTLED_JIT_SHARE * cpu) break;
    }
    out.printf(Locale.ROOT, "  warm-up: %d rounds (the first of %,d events, the burst's size; then %,d each) from %d"
        + " threads; JIT compilers in the last round: %.2f s of %.2f s CPU (both JVMs)%n", round, burstEvents,
        WARM_UP_EVENTS, n, jit, cpu);
  }

  private Result result(String scenario, int n, long events, double seconds, double cps, long[] sent,
      long[] delivered, Setup setup, String own, double load) {
    Result r = new Result(scenario, n, events, seconds, cps, sent, delivered, setup.config(), own, load);
    out.printf(Locale.ROOT, "  delivered %s%n  own counters: %s%n", deliveredText(r), own);
    return r;
  }

  static String deliveredText(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "%,d of %,d (%.3f %%)", r.deliveredAll(), r.sentAll(),
        100.0 * r.deliveredAll() / r.sentAll()));
    for (int l = 0; l < 3; l++) {
      sb.append(String.format(Locale.ROOT, "; %s %,d of %,d", LEVELS[l], r.delivered[l], r.sent[l]));
    }
    return sb.toString();
  }

  private static String[] texts() {
    LogLines g = new LogLines(11, 0);
    String[] t = new String[4096];
    for (int i = 0; i < t.length; i++) t[i] = g.next().message();
    return t;
  }

  static double appCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime()
        / 1e9;
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  // -------------------------------------------------------------------------------------------------- report

  private void report(List<Result> results) {
    out.printf(Locale.ROOT, "%n| setup | threads | logging threads' calls/s | vs fastest AsyncAppender→file | delivered"
        + " | INFO lost | WARN lost | ERROR lost | load avg at start |%n| --- | --- | --- | --- | --- | --- | --- | --- | --- |%n");
    for (Result r : results) {
      double floor = 0;
      for (Result p : results) {
        if (p.threads == r.threads && p.scenario.startsWith("logback-async-file"))
          floor = Math.max(floor, p.callsPerSecond);
      }
      out.printf(Locale.ROOT, "| %s | %d | %,.0f | %s | %.3f %% | %,d | %,d | %,d | %.1f |%n", r.scenario, r.threads,
          r.callsPerSecond, floor > 0 ? String.format(Locale.ROOT, "%.2f× slower", floor / r.callsPerSecond) : "—",
          100.0 * r.deliveredAll() / r.sentAll(), r.sent[0] - r.delivered[0], r.sent[1] - r.delivered[1],
          r.sent[2] - r.delivered[2], r.load);
    }
    out.println();
    for (Result r : results) {
      if (r.threads == results.get(0).threads) out.printf(Locale.ROOT, "- `%s`: %s%n", r.scenario, r.config);
    }
  }

  private static String json(List<Result> results) {
    StringBuilder sb = new StringBuilder("[\n");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      sb.append(String.format(Locale.ROOT,
          "  {\"scenario\": \"%s\", \"threads\": %d, \"events\": %d, \"seconds\": %.3f,"
              + " \"callsPerSecond\": %.0f, \"sent\": [%d, %d, %d], \"delivered\": [%d, %d, %d], \"loadAverage\": %.2f,"
              + " \"config\": \"%s\", \"own\": \"%s\"}%s%n",
          r.scenario, r.threads, r.events, r.seconds, r.callsPerSecond,
          r.sent[0], r.sent[1], r.sent[2], r.delivered[0], r.delivered[1], r.delivered[2], r.load,
          r.config.replace("\"", "'"), r.own.replace("\"", "'"), i + 1 < results.size() ? "," : ""));
    }
    return sb.append("]\n").toString();
  }

  // -------------------------------------------------------------------------------------------------- setups

  /** One logging setup, used as an application would. {@link #log} is thread-safe. */
  interface Setup extends AutoCloseable {
    void log(int level, long id, String text);

    /** The exact configuration, printed beside the figure. */
    String config();

    boolean kafka();

    default boolean otlp() {
      return false;
    }

    default void afterWarmUp() {}

    /** A short progress note right after the burst (queue depth, counters). */
    default String progress() {
      return "";
    }

    /** The setup's own counters, if it has any. */
    default String own() {
      return "none";
    }

    default long[] deliveredToFile() {
      return new long[3];
    }

    @Override
    void close();
  }

  /**
   * What every logging thread runs, in the warm-up and in the burst alike: {@code count} events with ids from
   * {@code firstId}, event i at {@link #level}(i) with text i. One method for both, so the burst runs the loop the
   * warm-up compiled; a loop of its own was compiled (with the logging path inlined into it) during the measured burst:
   * up to 0.9 s of C2 in a 2 s burst, for every setup.
   */
  static void logMany(Setup setup, long firstId, long count, String[] texts) {
    long first = ID_OFFSET + firstId;
    for (long i = 0; i < count; i++) setup.log(level(i), first + i, texts[(int) (i & (texts.length - 1))]);
  }

  /**
   * Added to every id logged (warm-up and burst), so every id has the same number of digits: without it the burst's
   * first thread (slot 0) logged ids of a shape no warm-up round had formatted (the warm-up slot is N). Tried against
   * the 0.8–0.96 s of C2 that AsyncAppender's JVM spent inside its 2-thread burst in burst-8's first runs: with it the
   * C2 time there was 0.57–0.72 s, so that is not the (whole) cause; the JIT time of every burst is printed beside it.
   */
  static final long ID_OFFSET = 1L << 40;

  /** The (slot, index) id a logged id carries, without {@link #ID_OFFSET}. */
  static long idWithoutOffset(long logged) {
    return logged - ID_OFFSET;
  }

  static void log(org.slf4j.Logger logger, int level, long id, String text) {
    switch (level) {
      case 2 -> logger.error("id={} {}", id, text);
      case 1 -> logger.warn("id={} {}", id, text);
      default -> logger.info("id={} {}", id, text);
    }
  }

  static final class SluiceLogback implements Setup {
    final ch.qos.logback.classic.LoggerContext context = LogbackContexts.create("sluice-logback");
    final io.sluice.logback.SluiceAppender appender = new io.sluice.logback.SluiceAppender();
    final ch.qos.logback.classic.Logger logger;
    final String config;
    final ThreadCpu cpu = new ThreadCpu();

    SluiceLogback(String endpoint, Path spool, Map<String, String> overrides) throws Exception {
      appender.setContext(context);
      appender.setName("SLUICE");
      appender.setEndpoint(endpoint);
      appender.setServiceName("burst");
      appender.setSpoolDir(spool.toString());
      for (Map.Entry<String, String> e : overrides.entrySet()) set(appender, e.getKey(), e.getValue());
      appender.start();
      if (!appender.isStarted())
        throw new IllegalStateException(context.getStatusManager().getCopyOfStatusList().toString());
      logger = context.getLogger("com.example.checkout.OrderService");
      logger.setLevel(ch.qos.logback.classic.Level.INFO);
      logger.setAdditive(false);
      logger.addAppender(appender);
      config = "Sluice Logback appender " + pipelineConfig(overrides);
    }

    @Override
    public void log(int level, long id, String text) {
      Burst.log(logger, level, id, text);
    }

    @Override
    public String config() {
      return config;
    }

    @Override
    public boolean kafka() {
      return true;
    }

    @Override
    public void afterWarmUp() {
      cpu.mark();
    }

    @Override
    public String progress() {
      return "; " + statsText(appender.stats()) + "; " + cpu.since();
    }

    @Override
    public String own() {
      return statsText(appender.stats()) + "; " + cpu.since();
    }

    @Override
    public void close() {
      appender.stop();
      context.stop();
    }
  }

  static final class SluiceLog4j2 implements Setup {
    final org.apache.logging.log4j.core.LoggerContext context;
    final io.sluice.log4j2.SluiceAppender appender;
    final org.apache.logging.log4j.Logger logger;
    final String config;
    final ThreadCpu cpu = new ThreadCpu();

    SluiceLog4j2(String endpoint, Path spool, Map<String, String> overrides) throws Exception {
      context = new org.apache.logging.log4j.core.LoggerContext("sluice-log4j2");
      context.start(new org.apache.logging.log4j.core.config.DefaultConfiguration());
      var builder = io.sluice.log4j2.SluiceAppender.newBuilder().setName("SLUICE").setEndpoint(endpoint)
          .setServiceName("burst").setSpoolDir(spool.toString()).setConfiguration(context.getConfiguration());
      for (Map.Entry<String, String> e : overrides.entrySet()) set(builder, e.getKey(), e.getValue());
      appender = builder.build();
      if (appender == null) throw new IllegalStateException("the Sluice Log4j2 appender did not build");
      Log4j2AppenderBench.attach(context, "com.example.checkout.OrderService", appender);
      logger = context.getLogger("com.example.checkout.OrderService");
      config = "Sluice Log4j2 appender " + pipelineConfig(overrides);
    }

    @Override
    public void log(int level, long id, String text) {
      switch (level) {
        case 2 -> logger.error("id={} {}", id, text);
        case 1 -> logger.warn("id={} {}", id, text);
        default -> logger.info("id={} {}", id, text);
      }
    }

    @Override
    public String config() {
      return config;
    }

    @Override
    public boolean kafka() {
      return true;
    }

    @Override
    public void afterWarmUp() {
      cpu.mark();
    }

    @Override
    public String progress() {
      return "; " + statsText(appender.stats()) + "; " + cpu.since();
    }

    @Override
    public String own() {
      return statsText(appender.stats()) + "; " + cpu.since();
    }

    @Override
    public void close() {
      context.stop();
    }
  }

  /**
   * Logback's AsyncAppender → FileAppender. {@code lossless=false}: both with Logback's defaults (queueSize 256,
   * discardingThreshold = queueSize/5, so TRACE–INFO are discarded while the queue is 80 % full; neverBlock false;
   * FileAppender immediateFlush true). {@code lossless=true}: queueSize 8,192, discardingThreshold 0 (nothing
   * discarded, callers block), immediateFlush false, as in the JMH suites.
   */
  static final class LogbackAsyncFile implements Setup {
    final ch.qos.logback.classic.LoggerContext context;
    final ch.qos.logback.classic.Logger logger;
    final Path file;
    final boolean lossless;
    final AsyncAppender async;

    LogbackAsyncFile(Path file, boolean lossless) {
      this.file = file;
      this.lossless = lossless;
      context = LogbackContexts.create(lossless ? "async-lossless" : "async-default");
      PatternLayoutEncoder encoder = new PatternLayoutEncoder();
      encoder.setContext(context);
      encoder.setPattern("%-5level %d{ISO8601} [%thread] %logger - %msg%n");
      encoder.start();
      FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
      fileAppender.setContext(context);
      fileAppender.setName("FILE");
      fileAppender.setFile(file.toString());
      fileAppender.setEncoder(encoder);
      if (lossless) fileAppender.setImmediateFlush(false);
      fileAppender.start();
      async = new AsyncAppender();
      async.setContext(context);
      async.setName("ASYNC");
      if (lossless) {
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
      }
      async.addAppender(fileAppender);
      async.start();
      logger = context.getLogger("com.example.checkout.OrderService");
      logger.setLevel(ch.qos.logback.classic.Level.INFO);
      logger.setAdditive(false);
      logger.addAppender(async);
    }

    @Override
    public void log(int level, long id, String text) {
      Burst.log(logger, level, id, text);
    }

    @Override
    public String config() {
      return "Logback (1.5.18 in this build) AsyncAppender queueSize=" + async.getQueueSize() + " discardingThreshold="
          + (lossless ? 0 : async.getQueueSize() / 5) + " (" + (lossless ? "nothing discarded" : "the default:"
              + " TRACE/DEBUG/INFO discarded while fewer than queueSize/5 slots are free")
          + ") neverBlock="
          + async.isNeverBlock() + " includeCallerData=false → FileAppender immediateFlush=" + !lossless
          + " pattern '%-5level %d{ISO8601} [%thread] %logger - %msg%n' on local disk";
    }

    @Override
    public boolean kafka() {
      return false;
    }

    @Override
    public long[] deliveredToFile() {
      long[] by = new long[3];
      try (BufferedReader r = Files.newBufferedReader(file)) {
        String line;
        while ((line = r.readLine()) != null) {
          // warm-up lines carry the warm slot in their id; count only the burst's
          int idAt = line.indexOf(" - id=");
          if (idAt < 0) continue;
          long id = Long.parseLong(line.substring(idAt + 6, line.indexOf(' ', idAt + 6)));
          if (isWarm(id)) continue;
          if (line.startsWith("ERROR")) by[2]++;
          else if (line.startsWith("WARN")) by[1]++;
          else if (line.startsWith("INFO")) by[0]++;
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return by;
    }

    int warmSlot = -1;

    boolean isWarm(long id) {
      return warmSlot >= 0 && (idWithoutOffset(id) >>> 32) == warmSlot;
    }

    @Override
    public void close() {
      context.stop();
    }
  }

  /**
   * The OpenTelemetry Logback appender → SDK BatchLogRecordProcessor (defaults: queue 2,048, batch 512, 1 s delay;
   * drops when its queue is full) → OTLP/HTTP (JDK client, no compression) → the Sluice collector's
   * {@code POST /v1/logs} → the same broker.
   */
  static final class Otel implements Setup {
    final ch.qos.logback.classic.LoggerContext context = LogbackContexts.create("otel");
    final SdkLoggerProvider provider;
    final ch.qos.logback.classic.Logger logger;

    Otel(String endpoint) {
      OtlpHttpLogRecordExporter exporter = OtlpHttpLogRecordExporter.builder().setEndpoint(endpoint)
          .setCompression("none").build();
      provider = SdkLoggerProvider.builder().addLogRecordProcessor(BatchLogRecordProcessor.builder(exporter).build())
          .build();
      OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setLoggerProvider(provider).build();
      OpenTelemetryAppender appender = new OpenTelemetryAppender();
      appender.setContext(context);
      appender.setName("OTEL");
      appender.setOpenTelemetry(sdk);
      appender.start();
      logger = context.getLogger("com.example.checkout.OrderService");
      logger.setLevel(ch.qos.logback.classic.Level.INFO);
      logger.setAdditive(false);
      logger.addAppender(appender);
    }

    @Override
    public void log(int level, long id, String text) {
      Burst.log(logger, level, id, text);
    }

    @Override
    public String config() {
      return "opentelemetry-logback-appender-1.0 (defaults) → SDK BatchLogRecordProcessor defaults (maxQueueSize 2048,"
          + " maxExportBatchSize 512, scheduleDelay 1 s; drops when full) → OtlpHttpLogRecordExporter (JDK sender,"
          + " compression none) → the collector's POST /v1/logs";
    }

    @Override
    public boolean kafka() {
      return true;
    }

    @Override
    public boolean otlp() {
      return true;
    }

    @Override
    public void close() {
      provider.forceFlush().join(30, TimeUnit.SECONDS);
      provider.close();
      context.stop();
    }
  }

  /** The effective pipeline settings: the defaults with {@code overrides} applied, as the appenders build them. */
  static String pipelineConfig(Map<String, String> overrides) {
    io.sluice.sdk.pipeline.PipelineConfig.Builder b = io.sluice.sdk.pipeline.PipelineConfig.builder()
        .spoolDir(Paths.get("/tmp/x"));
    overrides.forEach(b::set);
    io.sluice.sdk.pipeline.PipelineConfig c = b.build();
    return "(endpoint, serviceName, spoolDir set; " + (overrides.isEmpty() ? "everything else default"
        : "overridden: " + overrides) + "): queueMaxRecords=" + c.queueMaxRecords() + " queueMaxBytes="
        + c.queueMaxBytes() + " overflowMaxBytes=" + c.overflowMaxBytes() + " whenFull=" + c.whenFull()
        + " blockTimeout=" + c.blockTimeout()
        + queueSettings(c) + " batchMaxRecords=" + c.batchMaxRecords() + " batchMaxBytes=" + c.batchMaxBytes()
        + " linger=" + c.linger() + " zstdLevel=" + c.zstdLevel() + " spoolMaxBytes=" + c.spoolMaxBytes()
        + " fsync=" + c.fsync() + " maxInFlightBatches=" + c.maxInFlightBatches();
  }

  static String queueSettings(io.sluice.sdk.pipeline.PipelineConfig c) {
    return "";
  }

  static void set(Object target, String key, String value) throws Exception {
    String name = "set" + Character.toUpperCase(key.charAt(0)) + key.substring(1);
    target.getClass().getMethod(name, String.class).invoke(target, value);
  }

  static String statsText(PipelineStats s) {
    if (s == null) return "no pipeline";
    StringBuilder drops = new StringBuilder();
    s.droppedByReason().forEach((k, v) -> {
      if (v > 0) drops.append(drops.length() == 0 ? "" : ", ").append(k).append(' ')
          .append(String.format(Locale.ROOT, "%,d", v));
    });
    return String.format(Locale.ROOT, "appended %,d, acknowledged %,d, dropped {%s}, queued %,d, in the overflow on"
        + " disk %,d (%.1f MiB), spooled %,d", s.appended(), s.acknowledged(), drops, s.queued(), s.overflowed(),
        s.overflowBytes() / 1048576.0, s.spooled());
  }

  /** CPU time of Sluice's own threads (batcher, shipper, gRPC) since {@link #mark}: where a burst saturates. */
  static final class ThreadCpu {
    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> at = new LinkedHashMap<>();
    private long markNanos;

    void mark() {
      at.clear();
      markNanos = System.nanoTime();
      for (long id : mx.getAllThreadIds()) at.put(id, mx.getThreadCpuTime(id));
    }

    String since() {
      double wall = (System.nanoTime() - markNanos) / 1e9;
      Map<String, Double> byName = new LinkedHashMap<>();
      for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
        if (ti == null) continue;
        String name = ti.getThreadName();
        String group = name.startsWith("sluice-batcher") ? "batcher" : name.startsWith("sluice-shipper") ? "shipper"
            : name.startsWith("grpc") || name.contains("netty") || name.contains("sluice-grpc") ? "grpc/netty"
            : name.startsWith("burst-") ? "logging threads" : null;
        if (group == null) continue;
        long cpu = mx.getThreadCpuTime(ti.getThreadId());
        long before = at.getOrDefault(ti.getThreadId(), 0L);
        byName.merge(group, Math.max(0, cpu - before) / 1e9, Double::sum);
      }
      StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "thread CPU over %.1f s wall:", wall));
      byName.forEach((k, v) -> sb.append(String.format(Locale.ROOT, " %s %.2f s", k, v)));
      return sb.toString();
    }
  }

  // ----------------------------------------------------------------------------------------------------- tap

  /** Reads the topic from its end at creation: distinct ids of this run per thread slot (the last slot: warm-up). */
  static final class Tap implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final BitSet[] seen;
    private final boolean otlp;
    private final Thread thread;
    private volatile boolean running = true;
    /** While the logging threads run the tap reads nothing, so it takes no CPU from the setup under test. */
    volatile boolean paused;
    private volatile long distinct;
    private volatile long warm;
    private final int slots;

    Tap(String bootstrap, int threads, boolean otlp) {
      this.otlp = otlp;
      this.slots = threads;
      seen = new BitSet[threads + 1];
      for (int i = 0; i <= threads; i++) seen[i] = new BitSet(1 << 20);
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "10000");
      props.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "50");
      consumer = new KafkaConsumer<>(props);
      List<TopicPartition> parts = consumer.partitionsFor(TOPIC).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      for (TopicPartition p : parts) consumer.position(p); // resolve now, before the run logs anything
      thread = new Thread(this::run, "tap-consumer");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      long d = 0;
      long w = 0;
      while (running) {
        if (paused) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          continue;
        }
        for (ConsumerRecord<byte[], byte[]> r0 : consumer.poll(Duration.ofMillis(50))) {
          for (byte[] value : io.sluice.bench.e2e.KafkaTap.lineValues(r0)) { // either Sluice Kafka record format
            long logged = idOf(value);
            if (logged < 0) continue;
            long id = idWithoutOffset(logged);
            if (id < 0) continue;
            int slot = (int) (id >>> 32);
            int index = (int) id;
            if (slot < 0 || slot > slots) continue;
            if (seen[slot].get(index)) continue;
            seen[slot].set(index);
            if (slot == slots) w++;
            else d++;
          }
        }
        distinct = d;
        warm = w;
      }
    }

    private long idOf(byte[] value) {
      try {
        String body = otlp ? io.opentelemetry.proto.logs.v1.LogRecord.parseFrom(value).getBody().getStringValue()
            : LogRecord.parseFrom(value).getBody().getStringValue();
        if (!body.startsWith("id=")) return -1;
        int sp = body.indexOf(' ');
        return Long.parseLong(body.substring(3, sp < 0 ? body.length() : sp));
      } catch (IOException | RuntimeException e) {
        return -1;
      }
    }

    long distinct() {
      return distinct;
    }

    long warm() {
      return warm;
    }

    long[] deliveredBySeverity(long perThread) {
      long[] by = new long[3];
      for (int s = 0; s < slots; s++) {
        for (int i = seen[s].nextSetBit(0); i >= 0 && i < perThread; i = seen[s].nextSetBit(i + 1)) by[level(i)]++;
      }
      return by;
    }

    void stop() {
      running = false;
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      stop();
      consumer.close();
    }
  }

  /** Writes to two streams. */
  static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      a.flush();
      b.flush();
    }
  }
}
