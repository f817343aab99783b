package io.sluice.agent.bench;

import io.grpc.Server;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.testkit.AckingIngest;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The issue-14 rotation/crash scenario, for measurement: a writer appends {@code --rate} numbered lines/s of
 * {@code --line-bytes} bytes to {@code app.log}; Debian's {@code logrotate} rotates it every {@code --rotate-ms}
 * ({@code --mode create|copytruncate}, numbered suffixes the agent's glob does not match); the agent — a child JVM
 * with the image's flags — is SIGKILLed {@code --kill-min-ms..--kill-max-ms} after each start and kept down
 * {@code --down-ms}; for {@code --seconds}. The first life runs until it has started (the agent is deployed before
 * the failures begin) before the writer and logrotate start; each life's up time counts from its process start
 * ({@code --kill-clock start}, the default: on a busy machine many lives die inside JVM start-up) or from its
 * "started" line ({@code --kill-clock started}); {@code agent-out.txt} gets a line per life saying which.
 * Then the writer stops, the agent runs once more until everything on
 * disk arrived (or nothing arrived for 30 s), and the run prints written / on disk / delivered / lost / duplicates
 * (resent batches vs lines read twice) / kills / duplicates per kill / out-of-order first deliveries.
 *
 * <p>The collector ({@code --collector counting}, the default) is a counting gRPC ingest server in this JVM (acks every
 * decoded batch, counts each line by its number and each batch by its (client, epoch, sequence) identity). With
 * {@code --collector real} it is the real {@link Collector} in this JVM with its embedded Kafka broker (a topic of one
 * partition, so the log's order is the publish order): it acks a batch once Kafka has it, and acks a resend of a batch
 * it already published without publishing it again (its resend window). The lines are then counted from the topic
 * (from offset 0 until the end offsets), each record's identity from its {@code sluice.*} headers, and the run also
 * prints {@code sluice_collector_resends_suppressed_total}. Run through {@code agent/bench/rotation-crash.sh}.
 */
public final class RotationCrashBench {
  private final Map<String, String> opts;

  private RotationCrashBench(Map<String, String> opts) {
    this.opts = opts;
  }

  private String opt(String k, String d) {
    return opts.getOrDefault(k, d);
  }

  private long num(String k, long d) {
    return Long.parseLong(opt(k, Long.toString(d)));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected argument " + args[i]);
      String k = args[i].substring(2);
      o.put(k, i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true");
    }
    new RotationCrashBench(o).run();
  }

  // ------------------------------------------------------------------------------------------------ collector

  /**
   * Every delivered line counted by its number; copies that came under an identity already seen (a resent batch)
   * apart from the others (a line read twice); first deliveries out of order. Thread-safe.
   */
  static final class Tally {
    final ConcurrentHashMap<Long, Integer> lines = new ConcurrentHashMap<>();
    final AtomicLong records = new AtomicLong();
    final AtomicLong resentRecords = new AtomicLong();
    final AtomicLong outOfOrder = new AtomicLong();
    final AtomicLong lastDelivery = new AtomicLong(System.nanoTime());
    private long maxFirst = -1;
    private String maxFirstFrom = "";
    /** First out-of-order deliveries printed (--verbose-order N). */
    int verbose;

    /** One delivered copy of line {@code body}, read from {@code file@offset}, in batch {@code seq}. */
    synchronized void line(String body, boolean resent, String file, long offset, long seq) {
      long n = Long.parseLong(body.substring(3, body.indexOf(' ')));
      Integer before = lines.merge(n, 1, Integer::sum);
      if (before == 1) {
        if (n < maxFirst && outOfOrder.incrementAndGet() <= verbose) {
          System.err.printf("out of order: line %d (%s@%d, batch %d) after line %d (%s)%n", n, file, offset, seq,
              maxFirst, maxFirstFrom);
        }
        if (n > maxFirst) {
          maxFirst = n;
          maxFirstFrom = file + "@" + offset + ", batch " + seq;
        }
      }
      records.incrementAndGet();
      if (resent) resentRecords.incrementAndGet();
      lastDelivery.set(System.nanoTime());
    }
  }

  /** --collector counting: tallies every decoded batch and acks it at once; batches by (client, epoch, sequence). */
  static AckingIngest.BatchHandler counting(Tally tally) {
    Set<String> batchIds = ConcurrentHashMap.newKeySet();
    return (hello, b, batch) -> {
      boolean resent = !batchIds.add(hello.getClientId() + "/" + hello.getEpoch() + "/" + b.getSequence());
      for (LogRecord r : batch.getRecordsList()) {
        tally.line(r.getBody().getStringValue(), resent, r.getSource().getFile(), r.getSource().getOffset(),
            b.getSequence());
      }
    };
  }

  /**
   * --collector real: the collector's topic read from offset 0 with a plain consumer into a {@link Tally}; a record
   * whose identity (source/epoch/sequence/index from the {@code sluice.*} headers) came before is a resent batch the
   * collector published again. Not thread-safe.
   */
  static final class TopicReader implements AutoCloseable {
    final Tally tally;
    final KafkaConsumer<byte[], byte[]> consumer;
    final List<TopicPartition> partitions;
    final Set<String> identities = new java.util.HashSet<>();
    long undecodable;

    TopicReader(Tally tally, String bootstrap, String topic) {
      this.tally = tally;
      java.util.Properties props = new java.util.Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
      consumer = new KafkaConsumer<>(props);
      partitions = consumer.partitionsFor(topic, java.time.Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    void pollOnce(long ms) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(java.time.Duration.ofMillis(ms))) {
        Map<String, byte[]> h = new HashMap<>();
        for (Header header : r.headers()) h.put(header.key(), header.value());
        try {
          // either Kafka record format
          for (io.sluice.wire.kafka.KafkaLine line : new io.sluice.wire.kafka.KafkaRecordReader().read(h::get,
              r.value())) {
            LogRecord rec = line.record();
            long seq = line.sequence();
            String id = line.source() + "/" + line.epoch() + "/" + seq + "/" + line.index();
            tally.line(rec.getBody().getStringValue(), !identities.add(id), rec.getSource().getFile(),
                rec.getSource().getOffset(), seq);
          }
        } catch (io.sluice.wire.kafka.KafkaFormatException | RuntimeException e) {
          if (undecodable++ == 0) System.err.println("undecodable record at offset " + r.offset() + ": " + e);
        }
      }
    }

    /** Reads until the position of every partition reached its end offset as of now. */
    void readToEnd() {
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) pollOnce(200);
    }

    @Override
    public void close() {
      consumer.close(java.time.Duration.ofSeconds(2));
    }
  }

  // ------------------------------------------------------------------------------------------------------ run

  private void run() throws Exception {
    int rate = (int) num("rate", 20_000);
    int lineBytes = (int) num("line-bytes", 200);
    long rotateMs = num("rotate-ms", 1000);
    long killMin = num("kill-min-ms", 1000);
    long killMax = num("kill-max-ms", 3000);
    long downMs = num("down-ms", 500);
    long seconds = num("seconds", 30);
    String mode = opt("mode", "create");
    if (!mode.equals("create") && !mode.equals("copytruncate"))
      throw new IllegalArgumentException("--mode create|copytruncate");
    long seed = num("seed", System.nanoTime());
    Path work = Path.of(opt("work", "agent/target/rotation-crash")).toAbsolutePath();
    deleteTree(work);
    Path logs = Files.createDirectories(work.resolve("logs"));
    Path app = logs.resolve("app.log");
    Files.createFile(app);
    Path conf = work.resolve("logrotate.conf");
    Files.writeString(conf, app + " {\n  rotate 100000\n  " + mode + "\n  missingok\n  nocompress\n}\n");
    String kind = opt("collector", "counting");
    if (!kind.equals("counting") && !kind.equals("real"))
      throw new IllegalArgumentException("--collector counting|real");
    Tally tally = new Tally();
    tally.verbose = (int) num("verbose-order", 0);
    Server server = null;
    Collector collector = null;
    int port;
    if (kind.equals("counting")) {
      server = AckingIngest.serve(counting(tally));
      port = server.getPort();
    } else {
      // The real collector with its own broker in this JVM, at its defaults (resend window 4096 per source); one
      // partition so that the topic's order is the order the collector published in.
      collector = Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
          .httpListen("127.0.0.1:0").embeddedKafka(true).embeddedKafkaDir(work.resolve("kafka"))
          .topic("rotation-crash").topicPartitions(1).topicReplicationFactor(1).build());
      port = collector.port();
    }
    Path config = work.resolve("agent.yaml");
    Files.writeString(config, String.join("\n",
        "serviceName: rotation-crash",
        "collector: {endpoints: [\"127.0.0.1:" + port + "\"]}",
        "spool: {dir: \"" + work.resolve("spool") + "\"}",
        "http: {port: -1}",
        "inputs:",
        "  - name: app",
        "    include: [\"" + app + "\"]",
        ""));
    Path agentOut = work.resolve("agent-out.txt");
    Random random = new Random(seed);
    Writer writer = new Writer(app, rate, lineBytes);
    Thread rotator = new Thread(() -> {
      long next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(rotateMs);
      while (!writer.stop) {
        LockSupport.parkNanos(next - System.nanoTime());
        if (writer.stop) break;
        next += TimeUnit.MILLISECONDS.toNanos(rotateMs);
        try {
          Process p = new ProcessBuilder("/usr/sbin/logrotate", "-f", "-s", work.resolve("state").toString(),
              conf.toString()).redirectErrorStream(true).redirectOutput(work.resolve("logrotate-out.txt").toFile())
              .start();
          p.waitFor();
          writer.rotations.incrementAndGet();
          if (mode.equals("create")) writer.reopen = true;
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "rotator");
    System.out.printf("rotation-crash: collector=%s mode=%s rate=%d lines/s x %d B, rotate every %d ms, kill %d-%d ms"
        + " after %s, down %d ms, %d s, seed %d%n", kind, mode, rate, lineBytes, rotateMs, killMin, killMax,
        opt("kill-clock", "start").equals("started") ? "the agent said started" : "its process started", downMs,
        seconds, seed);
    // The agent is deployed before the failures begin: its first life runs until it has started (spool open, first
    // look at app.log), then the application starts writing and logrotate rotating. A busy machine can take longer
    // than --kill-max-ms to start a JVM: were the first lives all killed before any of them opened its spool, the
    // files rotated away meanwhile would be older than the agent (nothing the agent could know of: its first start
    // reads the file at the path, not the rotated ones). Every later life is killed on the schedule, started or not.
    Process firstLife = startAgent(config, agentOut);
    long firstDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!(Files.exists(agentOut) && Files.readString(agentOut).contains("sluice-agent: recovered"))) {
      if (!firstLife.isAlive() || System.nanoTime() - firstDeadline > 0) {
        firstLife.destroyForcibly();
        throw new IllegalStateException("the first agent did not start; see " + agentOut);
      }
      Thread.sleep(50); // polling a child's output, not a synchronisation of this JVM's threads
    }
    writer.start();
    rotator.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int kills = 0;
    int started = 0;
    boolean keepSpools = opts.containsKey("keep-spools");
    String killClock = opt("kill-clock", "start");
    if (!killClock.equals("start") && !killClock.equals("started"))
      throw new IllegalArgumentException("--kill-clock start|started");
    boolean killAfterStarted = killClock.equals("started");
    long benchStart = System.nanoTime();
    while (System.nanoTime() - end < 0) {
      long before = kills == 0 ? 0 : Files.exists(agentOut) ? Files.size(agentOut) : 0;
      long at = (System.nanoTime() - benchStart) / 1_000_000;
      Process agent = kills == 0 ? firstLife : startAgent(config, agentOut);
      long upMs = killMin + (killMax > killMin ? random.nextLong(killMax - killMin) : 0);
      if (killAfterStarted) {
        // --kill-clock started: the up time counts from the agent's "started" line, so that on a busy machine each
        // life really runs (opens its spool, reads, spools) before it is killed.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (agent.isAlive() && System.nanoTime() - deadline < 0
            && !Files.readString(agentOut).substring((int) before).contains("sluice-agent: started")) {
          Thread.sleep(20); // polling a child's output
        }
      }
      Thread.sleep(upMs); // the scenario's schedule, not a synchronisation
      agent.destroyForcibly();
      agent.waitFor(10, TimeUnit.SECONDS);
      kills++;
      // Whether this life got as far as printing "started" (its spool open, its threads running) before the kill.
      String out = Files.exists(agentOut) ? Files.readString(agentOut).substring((int) before) : "";
      boolean up = out.contains("sluice-agent: started");
      if (up) started++;
      Files.writeString(agentOut, String.format("# bench: life %d started at +%d ms, killed after %d ms, %s%n", kills,
          at, upMs, up ? "had started" : "killed before it started"), StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      if (keepSpools && Files.isDirectory(work.resolve("spool"))) {
        copyTree(work.resolve("spool"), work.resolve("spool-after-life-" + kills));
      }
      Thread.sleep(downMs);
    }
    System.out.printf("lives killed: %d, of which started (spool open) before the kill: %d%n", kills, started);
    writer.stop = true;
    writer.join();
    rotator.join();
    long written = writer.written.get();
    // What the files really hold (copytruncate loses on disk what is written between its copy and its truncation).
    Set<Long> onDisk = ConcurrentHashMap.newKeySet();
    try (var files = Files.list(logs)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
          for (String l = r.readLine(); l != null; l = r.readLine()) {
            int sp = l.indexOf(' ');
            if (l.startsWith("rc-") && sp > 3) onDisk.add(Long.parseLong(l.substring(3, sp)));
          }
        }
      }
    }
    TopicReader topic =
        collector == null ? null : new TopicReader(tally, collector.bootstrapServers(), "rotation-crash");
    Process agent = startAgent(config, agentOut);
    long start = System.nanoTime();
    boolean dumped = false;
    // Until everything on disk arrived, or nothing arrived for 60 s since the later of this start and the last delivery.
    while (!tally.lines.keySet().containsAll(onDisk)
        && System.nanoTime() - Math.max(start, tally.lastDelivery.get()) < TimeUnit.SECONDS.toNanos(60)) {
      if (topic != null) topic.pollOnce(200);
      else Thread.sleep(200);
      if (!dumped && System.nanoTime() - Math.max(start, tally.lastDelivery.get()) > TimeUnit.SECONDS.toNanos(20)) {
        dumped = true; // a stalled agent: its threads, for the report
        String jstack = Path.of(System.getProperty("java.home"), "bin", "jstack").toString();
        new ProcessBuilder(jstack, Long.toString(agent.pid())).redirectErrorStream(true)
            .redirectOutput(work.resolve("agent-jstack.txt").toFile()).start().waitFor();
        System.out.println("no delivery for 20 s: threads in " + work.resolve("agent-jstack.txt"));
      }
    }
    agent.destroy();
    agent.waitFor(20, TimeUnit.SECONDS);
    if (agent.isAlive()) agent.destroyForcibly();
    double catchUp = (System.nanoTime() - start) / 1e9;
    long suppressed = 0;
    if (server != null) server.shutdownNow();
    if (topic != null) {
      topic.readToEnd(); // everything the collector published, the drain's last batches included
      topic.close();
      var m = collector.metrics();
      suppressed = collector.collectorMetrics().resendsSuppressed();
      System.out.printf("collector: batches received %d, acked %d, nacked %d %s, records published %d, records read"
          + " from the topic %d, sluice_collector_resends_suppressed_total %d%n", m.batchesReceived(), m.batchesAcked(),
          m.batchesNackedTotal(), m.batchesNacked(), m.recordsPublished(), tally.records.get(), suppressed);
      collector.close();
    }
    long delivered = tally.lines.size();
    long lost = 0;
    for (Long n : onDisk) if (!tally.lines.containsKey(n)) lost++;
    if (lost > 0) {
      // Where the lost lines are: per file, how many of its lines never arrived.
      try (var files = Files.list(logs)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          long missing = 0;
          long lines = 0;
          long first = -1;
          try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            for (String l = r.readLine(); l != null; l = r.readLine()) {
              int sp = l.indexOf(' ');
              if (!l.startsWith("rc-") || sp <= 3) continue;
              long n = Long.parseLong(l.substring(3, sp));
              if (first < 0) first = n;
              lines++;
              if (!tally.lines.containsKey(n)) missing++;
            }
          }
          if (missing > 0) {
            System.out.printf("  %s: %d of %d lines never delivered (first line %d, ino %s)%n", p.getFileName(),
                missing, lines, first, Files.getAttribute(p, "unix:ino"));
          }
        }
      }
    }
    long duplicates = tally.records.get() - delivered;
    long reread = duplicates - tally.resentRecords.get();
    System.out.printf("written %d, on disk %d (lost by %s itself: %d), delivered %d, lost %d, duplicates %d"
        + " (resent batches %d, lines read twice %d), kills %d, duplicates per kill %.0f, rotations %d,"
        + " out-of-order first deliveries %d, final catch-up %.1f s%s%n", written, onDisk.size(), mode,
        written - onDisk.size(), delivered, lost, duplicates, tally.resentRecords.get(), reread, kills,
        kills == 0 ? 0.0 : (double) duplicates / kills, writer.rotations.get(), tally.outOfOrder.get(), catchUp,
        collector == null ? "" : String.format(", resends suppressed %d (%.1f per kill)", suppressed,
            kills == 0 ? 0.0 : (double) suppressed / kills));
  }

  private static Process startAgent(Path config, Path out) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // The image's flags (agent/pom.xml, jib): a sidecar-sized JVM, so its start-up time is the real one.
    List<String> cmd = new ArrayList<>(List.of(java, "-Xms16m", "-Xmx64m", "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-XX:MaxMetaspaceSize=64m", "-XX:ReservedCodeCacheSize=32m",
        "-XX:MaxDirectMemorySize=32m", "-Xss512k", "-cp", System.getProperty("java.class.path"),
        "io.sluice.agent.AgentMain", "--config", config.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
    pb.environment().put("MALLOC_ARENA_MAX", "2");
    return pb.start();
  }

  /** Appends numbered lines ({@code rc-N xxx...}) at a steady rate, 100 slices a second, one write per slice. */
  static final class Writer extends Thread {
    final Path path;
    final int rate;
    final int lineBytes;
    final AtomicLong written = new AtomicLong();
    final AtomicLong rotations = new AtomicLong();
    volatile boolean stop;
    volatile boolean reopen;

    Writer(Path path, int rate, int lineBytes) {
      super("writer");
      this.path = path;
      this.rate = rate;
      this.lineBytes = lineBytes;
    }

    @Override
    public void run() {
      long sliceNanos = TimeUnit.MILLISECONDS.toNanos(10);
      startNanos = System.nanoTime(); // the rate counts from the writer's start, not its construction
      long next = startNanos;
      StringBuilder sb = new StringBuilder();
      try {
        FileChannel ch = open();
        while (!stop) {
          if (reopen) {
            reopen = false;
            ch.close();
            ch = open();
          }
          long due = (long) ((double) rate * (System.nanoTime() - startNanos) / 1e9);
          sb.setLength(0);
          while (written.get() < due) {
            long n = written.getAndIncrement();
            int at = sb.length();
            sb.append("rc-").append(n).append(' ');
            while (sb.length() - at < lineBytes - 1) sb.append('x');
            sb.append('\n');
          }
          if (sb.length() > 0) {
            ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
          }
          next += sliceNanos;
          LockSupport.parkNanos(next - System.nanoTime());
        }
        ch.close();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    private long startNanos;

    private FileChannel open() throws IOException {
      return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (var files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (Files.isRegularFile(f) && !f.getFileName().toString().equals("LOCK")) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
