package io.sluice.agent.bench;

import io.grpc.Server;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.testkit.AckingIngest;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 15's container workload: the agent as shipped (its jar, the image's JVM flags read from agent/pom.xml)
 * pinned to one CPU with {@code taskset}, tailing one pod log of CRI-wrapped JSON lines ({@code container: cri},
 * {@code parser: json}), shipping to a counting gRPC ingest endpoint in this JVM (which acks each batch once decoded,
 * as the collector acks once Kafka has it; pin this JVM elsewhere, see agent/bench/cri-json.sh).
 *
 * <p>The file is written before the agent starts: {@code --lines} events of ~255 bytes ({@code <RFC3339Nano>
 * stdout|stderr F {"time":...,"level":...,"msg":...,...,"seq":N}}), one in {@code --partial-every} split over a
 * {@code P} and an {@code F} line. Each event carries its number ({@code seq}), which the JSON parser makes an int
 * attribute: the endpoint counts every event by it, so "lost" is the events never delivered and "duplicates" the
 * extra copies. Prints events/s and physical lines/s from the first delivered batch to the last (the first batch not
 * counted in the rate), the agent's CPU-seconds and CPU-µs per event over the same window and in total (JVM start
 * included), its peak RSS (VmHWM), CPU per thread, the load average before and after, and the agent's config.
 */
public final class CriJsonBench {
  private static final String[] LEVELS = {"INFO", "INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"};
  private static final String[] LOGGERS = {"c.e.checkout.OrderService", "c.e.checkout.PaymentClient",
      "o.s.web.servlet.DispatcherServlet", "c.e.inventory.StockCache"};
  private static final String[] MESSAGES = {"order placed", "payment authorised", "request completed",
      "cache refreshed", "retrying upstream call", "stock reserved for cart"};

  private final Map<String, String> opts;

  private CriJsonBench(Map<String, String> opts) {
    this.opts = opts;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
      String k = args[i].substring(2);
      o.put(k, i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true");
    }
    new CriJsonBench(o).run();
  }

  private String opt(String k, String d) {
    return opts.getOrDefault(k, d);
  }

  // ------------------------------------------------------------------------------------------------ the file

  /** Written lines: events and physical lines (a split event is two). */
  record Written(long events, long physicalLines, long bytes) {}

  /** One event's JSON, about {@code 255 - 40} bytes (the CRI prefix is 40), deterministic for (seed, n). */
  static String json(SplittableRandom r, long n) {
    long micros = n * 137 % 1_000_000;
    String level = LEVELS[r.nextInt(LEVELS.length)];
    StringBuilder b = new StringBuilder(256);
    b.append("{\"time\":\"2026-12-05T10:").append(String.format(Locale.ROOT, "%02d:%02d.%06d", n / 60_000 % 60,
        n / 1000 % 60, micros)).append("Z\",\"level\":\"").append(level).append("\",\"msg\":\"")
        .append(MESSAGES[r.nextInt(MESSAGES.length)]).append("\",\"logger\":\"")
        .append(LOGGERS[r.nextInt(LOGGERS.length)]).append("\",\"span_id\":\"");
    hex(b, r.nextLong());
    b.append("\",\"http\":{\"method\":\"").append(r.nextInt(4) == 0 ? "POST" : "GET").append("\",\"status\":")
        .append(r.nextInt(10) == 0 ? 500 : 200).append("},\"duration_ms\":").append(r.nextInt(2000) / 10.0)
        .append(",\"seq\":").append(n).append('}');
    return b.toString();
  }

  private static void hex(StringBuilder b, long v) {
    String h = Long.toHexString(v);
    for (int i = h.length(); i < 16; i++) b.append('0');
    b.append(h);
  }

  static Written write(Path file, long events, int partialEvery, long seed) throws IOException {
    Files.createDirectories(file.getParent());
    SplittableRandom r = new SplittableRandom(seed);
    long physical = 0;
    long bytes = 0;
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      for (long n = 0; n < events; n++) {
        String stream = n % 10 == 9 ? "stderr" : "stdout";
        String time = String.format(Locale.ROOT, "2026-12-05T10:%02d:%02d.%09dZ", n / 60_000 % 60, n / 1000 % 60,
            n % 1000 * 1_000_000 + 123_456);
        String json = json(r, n);
        String lines;
        if (partialEvery > 0 && n % partialEvery == partialEvery - 1) {
          int cut = json.length() / 2; // the runtime cuts at its buffer size, anywhere in the line
          lines = time + " " + stream + " P " + json.substring(0, cut) + "\n" + time + " " + stream + " F "
              + json.substring(cut) + "\n";
          physical += 2;
        } else {
          lines = time + " " + stream + " F " + json + "\n";
          physical++;
        }
        byte[] b = lines.getBytes(StandardCharsets.UTF_8);
        out.write(b);
        bytes += b.length;
      }
    }
    return new Written(events, physical, bytes);
  }

  // ------------------------------------------------------------------------------------------------ endpoint

  /** Counts every delivered event by its {@code seq} attribute. Thread-safe. */
  static final class Tally {
    final BitSet seen;
    final long expected;
    long delivered;
    long duplicates;
    long withoutSeq;
    long batches;
    long firstBatchRecords = -1;
    long firstAt;
    long lastAt;
    final AtomicLong lastProgress = new AtomicLong(System.nanoTime());

    Tally(long expected) {
      this.expected = expected;
      this.seen = new BitSet((int) expected);
    }

    synchronized void batch(LogBatch batch) {
      long now = System.nanoTime();
      if (firstBatchRecords < 0) {
        firstBatchRecords = batch.getRecordsCount();
        firstAt = now;
      }
      lastAt = now;
      batches++;
      for (LogRecord r : batch.getRecordsList()) {
        long seq = -1;
        for (KeyValue kv : r.getAttributesList()) {
          if (kv.getKey().equals("seq")) {
            seq = kv.getValue().getIntValue();
            break;
          }
        }
        if (seq < 0 || seq >= expected) {
          withoutSeq++;
          continue;
        }
        if (seen.get((int) seq)) {
          duplicates++;
        } else {
          seen.set((int) seq);
          delivered++;
        }
      }
      lastProgress.set(now);
    }

    synchronized boolean complete() {
      return delivered == expected;
    }
  }

  // ------------------------------------------------------------------------------------------------ run

  /** The image's JVM flags, read from the jib entrypoint in agent/pom.xml (so the bench runs what ships). */
  static List<String> imageFlags(Path pom) throws IOException {
    Matcher m = Pattern.compile("<entrypoint>([^<]+)</entrypoint>").matcher(Files.readString(pom));
    if (!m.find()) throw new IllegalStateException("no <entrypoint> in " + pom);
    List<String> flags = new ArrayList<>();
    for (String f : m.group(1).split(",")) {
      if (f.startsWith("-cp")) break;
      if (f.startsWith("-")) flags.add(f.trim());
    }
    return flags;
  }

  private static String loadAverage() throws IOException {
    String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
    return f[0] + " " + f[1] + " " + f[2];
  }

  private void run() throws Exception {
    long events = Long.parseLong(opt("lines", "2000000"));
    int partialEvery = Integer.parseInt(opt("partial-every", "50"));
    long seed = Long.parseLong(opt("seed", "15"));
    String cpu = opt("cpu", "0");
    Path repo = Path.of(opt("repo", ".")).toAbsolutePath().normalize();
    Path work = Path.of(opt("work", repo.resolve("agent/target/cri-json").toString())).toAbsolutePath();
    Path jar = Path.of(opt("agent-jar", repo.resolve("agent/target/sluice-agent.jar").toString()));
    if (!Files.isRegularFile(jar)) throw new IllegalStateException("no agent jar at " + jar + ": build it first");
    deleteTree(work);
    Path log = work.resolve("pods/shop_checkout-7d9f8b6c5d-x2k4p_0b7c1f0e-5d2a-4c8e-9a61-3f0d2b7e9c41/app/0.log");
    long t0 = System.nanoTime();
    Written written = write(log, events, partialEvery, seed);
    System.out.printf(Locale.ROOT, "wrote %,d events in %,d physical lines (%,d split over P+F), %.1f MiB, %.0f B/line"
        + " on average, in %.1f s: %s%n", written.events(), written.physicalLines(),
        written.physicalLines() - written.events(), written.bytes() / 1048576.0,
        (double) written.bytes() / written.physicalLines(), (System.nanoTime() - t0) / 1e9, log);

    Tally tally = new Tally(events);
    Server server = AckingIngest.serve((hello, batch, records) -> tally.batch(records));
    String config = String.join("\n",
        "serviceName: cri-json-bench",
        "collector: {endpoints: [\"127.0.0.1:" + server.getPort() + "\"]}",
        "spool: {dir: \"" + work.resolve("spool") + "\"}",
        "http: {port: -1}",
        opt("config-extra", "").replace("\\n", "\n"), // e.g. "batch: {zstdLevel: -1}"
        "inputs:",
        "  - name: pods",
        "    include: [\"" + work.resolve("pods") + "/**/*.log\"]",
        "    container: cri",
        "    parser: json",
        "");
    Path configFile = work.resolve("agent.yaml");
    Files.writeString(configFile, config);

    List<String> jvm = opts.containsKey("agent-jvm")
        ? new ArrayList<>(Arrays.asList(opt("agent-jvm", "").trim().split("\\s+")))
        : imageFlags(repo.resolve("agent/pom.xml"));
    if (opts.containsKey("nmt")) jvm.add("-XX:NativeMemoryTracking=summary");
    if (opts.containsKey("jfr")) {
      jvm.add("-XX:StartFlightRecording=filename=" + work.resolve("agent.jfr") + ",settings=profile");
    }
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of("taskset", "-c", cpu, java));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-jar", jar.toString(), "--config", configFile.toString()));
    System.out.println("agent command: MALLOC_ARENA_MAX=2 " + String.join(" ", cmd));
    System.out.println("agent config (" + configFile + "):\n  " + config.strip().replace("\n", "\n  "));
    String loadBefore = loadAverage();

    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(work.resolve("agent-out.txt").toFile());
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    long started = System.nanoTime();
    Process agent = pb.start();
    long pid = agent.pid(); // taskset execs java: same pid
    ProcStats atFirst = null;
    // The steady state: from the sample at which a fifth of the events had arrived (JIT warm-up and JVM start behind)
    ProcStats atFifth = null;
    long deliveredAtFifth = 0;
    long fifthAt = 0;
    ProcStats last = null;
    long timeoutNanos = TimeUnit.SECONDS.toNanos(Long.parseLong(opt("stall-seconds", "60")));
    try {
      while (true) {
        ProcStats now = ProcStats.of(pid);
        synchronized (tally) {
          if (atFirst == null && tally.firstBatchRecords >= 0) atFirst = last != null ? last : now;
          if (atFifth == null && tally.delivered >= events / 5) {
            atFifth = now;
            deliveredAtFifth = tally.delivered;
            fifthAt = tally.lastAt;
          }
          if (tally.complete()) {
            last = now;
            break;
          }
        }
        last = now;
        if (!agent.isAlive()) throw new IllegalStateException("the agent exited; see " + work.resolve("agent-out.txt"));
        if (System.nanoTime() - Math.max(started, tally.lastProgress.get()) > timeoutNanos) {
          System.out.println("no delivery for " + opt("stall-seconds", "60") + " s: stopping");
          break;
        }
        Thread.sleep(20); // sampling the child's /proc, not a synchronisation of this JVM's threads
      }
      last = ProcStats.of(pid);
      String threads = ProcStats.threads(pid, 6);
      String memory = opts.containsKey("memory") ? ProcStats.memory(pid, 12) : "";
      if (opts.containsKey("nmt")) { // the agent runs with -XX:NativeMemoryTracking=summary
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(pid), "VM.native_memory", "summary").redirectErrorStream(true)
            .redirectOutput(work.resolve("agent-nmt.txt").toFile()).start().waitFor();
        memory += "\nnative memory (NMT): " + work.resolve("agent-nmt.txt");
      }
      String loadAfter = loadAverage();
      agent.destroy(); // SIGTERM: the agent drains and, with --jfr, writes its recording
      if (!agent.waitFor(60, TimeUnit.SECONDS)) agent.destroyForcibly();

      long delivered;
      long dup;
      long noSeq;
      long first;
      double window;
      long batches;
      synchronized (tally) {
        delivered = tally.delivered;
        dup = tally.duplicates;
        noSeq = tally.withoutSeq;
        first = Math.max(0, tally.firstBatchRecords);
        window = (tally.lastAt - tally.firstAt) / 1e9;
        batches = tally.batches;
      }
      long lost = events - delivered;
      long counted = delivered - first;
      double physicalPerEvent = (double) written.physicalLines() / written.events();
      double cpuWindow = atFirst == null ? Double.NaN : last.cpuSeconds() - atFirst.cpuSeconds();
      long steadyEvents = delivered - deliveredAtFifth;
      double cpuSteady = atFifth == null ? Double.NaN : last.cpuSeconds() - atFifth.cpuSeconds();
      double steadySeconds;
      synchronized (tally) {
        steadySeconds = (tally.lastAt - fifthAt) / 1e9;
      }
      System.out.printf(Locale.ROOT, "load average before %s, after %s (CPUs online: %s)%n", loadBefore, loadAfter,
          Files.readString(Path.of("/sys/devices/system/cpu/online")).trim());
      System.out.printf(Locale.ROOT, "delivered %,d of %,d events in %,d batches: lost %,d, duplicates %,d, records"
          + " without their seq %,d%n", delivered, events, batches, lost, dup, noSeq);
      System.out.printf(Locale.ROOT, "rate, first to last delivered batch (%.2f s, first batch of %,d not counted):"
          + " %,.0f events/s = %,.0f physical lines/s%n", window, first, counted / window,
          counted * physicalPerEvent / window);
      System.out.printf(Locale.ROOT, "agent CPU: %.2f s in that window = %.2f CPU-us per event (1 / that = %,.0f"
          + " events/s on a free core); %.2f s in total with JVM start = %.2f CPU-us per event%n", cpuWindow,
          cpuWindow * 1e6 / counted, counted / cpuWindow, last.cpuSeconds(), last.cpuSeconds() * 1e6 / events);
      System.out.printf(Locale.ROOT, "steady state (the last %,d events, from a fifth delivered): %.2f CPU-s = %.2f"
          + " CPU-us per event (1 / that = %,.0f events/s on a free core), %,.0f events/s here%n", steadyEvents,
          cpuSteady, cpuSteady * 1e6 / steadyEvents, steadyEvents / cpuSteady, steadyEvents / steadySeconds);
      System.out.printf(Locale.ROOT, "agent peak RSS (VmHWM) %.1f MiB, RSS at the end %.1f MiB%n",
          last.peakRssKiB() / 1024.0, last.rssKiB() / 1024.0);
      System.out.println("agent CPU by thread: " + threads);
      if (!memory.isBlank()) System.out.println(memory);
      if (opts.containsKey("jfr")) System.out.println("profile: " + work.resolve("agent.jfr"));
      System.out.printf(Locale.ROOT, "| %s | %s | %,d | %,d | %,d | %,.0f | %,.0f | %.2f | %.2f | %.2f | %.1f |%n",
          loadBefore.split(" ")[0], String.join(" ", jvm), events, lost, dup, counted / window,
          counted * physicalPerEvent / window, cpuWindow * 1e6 / counted, cpuSteady * 1e6 / steadyEvents,
          last.cpuSeconds(), last.peakRssKiB() / 1024.0);
    } finally {
      if (agent.isAlive()) agent.destroyForcibly();
      server.shutdownNow();
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
