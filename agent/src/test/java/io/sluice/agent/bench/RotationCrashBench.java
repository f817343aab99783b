package io.sluice.agent.bench;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.proto.v1.Ack;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.sdk.codec.ZstdCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
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

/**
 * The issue-14 rotation/crash scenario, for measurement: a writer appends {@code --rate} numbered lines/s of
 * {@code --line-bytes} bytes to {@code app.log}; Debian's {@code logrotate} rotates it every {@code --rotate-ms}
 * ({@code --mode create|copytruncate}, numbered suffixes the agent's glob does not match); the agent — a child JVM
 * with the image's flags — is SIGKILLed {@code --kill-min-ms..--kill-max-ms} after each start and kept down
 * {@code --down-ms}; for {@code --seconds}. Then the writer stops, the agent runs once more until everything on
 * disk arrived (or nothing arrived for 30 s), and the run prints written / on disk / delivered / lost / duplicates
 * (resent batches vs lines read twice) / kills / duplicates per kill / out-of-order first deliveries.
 *
 * <p>The collector is a counting gRPC ingest server in this JVM (acks every decoded batch, counts each line by its
 * number and each batch by its (client, epoch, sequence) identity). Run through {@code agent/bench/rotation-crash.sh}.
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

  /** Counts every delivered line by number; batches by identity. Thread-safe. */
  static final class Counting extends IngestServiceGrpc.IngestServiceImplBase {
    final ConcurrentHashMap<Long, Integer> lines = new ConcurrentHashMap<>();
    final Set<String> batchIds = ConcurrentHashMap.newKeySet();
    final AtomicLong records = new AtomicLong();
    final AtomicLong resentRecords = new AtomicLong();
    final AtomicLong outOfOrder = new AtomicLong();
    final AtomicLong lastDelivery = new AtomicLong(System.nanoTime());
    private long maxFirst = -1;
    private String maxFirstFrom = "";
    /** First out-of-order deliveries printed (--verbose-order N). */
    int verbose;

    @Override
    public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> out) {
      return new StreamObserver<>() {
        Hello hello;

        @Override
        public void onNext(ClientFrame frame) {
          if (frame.hasHello()) {
            hello = frame.getHello();
            return;
          }
          Batch b = frame.getBatch();
          try {
            LogBatch batch = LogBatch.parseFrom(ZstdCodec.decompress(b.getPayload().toByteArray(), 64 << 20));
            boolean resent = !batchIds.add(hello.getClientId() + "/" + hello.getEpoch() + "/" + b.getSequence());
            synchronized (Counting.this) {
              for (int i = 0; i < batch.getRecordsCount(); i++) {
                String body = batch.getRecords(i).getBody().getStringValue();
                long n = Long.parseLong(body.substring(3, body.indexOf(' ')));
                Integer before = lines.merge(n, 1, Integer::sum);
                if (before == 1) {
                  var src = batch.getRecords(i).getSource();
                  if (n < maxFirst && outOfOrder.incrementAndGet() <= verbose) {
                    System.err.printf("out of order: line %d (%s@%d, batch %d) after line %d (%s)%n", n,
                        src.getFile(), src.getOffset(), b.getSequence(), maxFirst, maxFirstFrom);
                  }
                  if (n > maxFirst) {
                    maxFirst = n;
                    maxFirstFrom = src.getFile() + "@" + src.getOffset() + ", batch " + b.getSequence();
                  }
                }
              }
            }
            records.addAndGet(batch.getRecordsCount());
            if (resent) resentRecords.addAndGet(batch.getRecordsCount());
            lastDelivery.set(System.nanoTime());
          } catch (IOException | RuntimeException e) {
            System.err.println("undecodable batch: " + e);
          }
          out.onNext(ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(b.getSequence())).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
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
    if (!mode.equals("create") && !mode.equals("copytruncate")) throw new IllegalArgumentException("--mode create|copytruncate");
    long seed = num("seed", System.nanoTime());
    Path work = Path.of(opt("work", "agent/target/rotation-crash")).toAbsolutePath();
    deleteTree(work);
    Path logs = Files.createDirectories(work.resolve("logs"));
    Path app = logs.resolve("app.log");
    Files.createFile(app);
    Path conf = work.resolve("logrotate.conf");
    Files.writeString(conf, app + " {\n  rotate 100000\n  " + mode + "\n  missingok\n  nocompress\n}\n");
    Counting counting = new Counting();
    counting.verbose = (int) num("verbose-order", 0);
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(counting)
        .build().start();
    Path config = work.resolve("agent.yaml");
    Files.writeString(config, String.join("\n",
        "serviceName: rotation-crash",
        "collector: {endpoints: [\"127.0.0.1:" + server.getPort() + "\"]}",
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
    System.out.printf("rotation-crash: mode=%s rate=%d lines/s x %d B, rotate every %d ms, kill %d-%d ms after start,"
        + " down %d ms, %d s, seed %d%n", mode, rate, lineBytes, rotateMs, killMin, killMax, downMs, seconds, seed);
    writer.start();
    rotator.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int kills = 0;
    while (System.nanoTime() - end < 0) {
      Process agent = startAgent(config, agentOut);
      long upMs = killMin + (killMax > killMin ? random.nextLong(killMax - killMin) : 0);
      Thread.sleep(upMs); // the scenario's schedule, not a synchronisation
      agent.destroyForcibly();
      agent.waitFor(10, TimeUnit.SECONDS);
      kills++;
      Thread.sleep(downMs);
    }
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
    Process agent = startAgent(config, agentOut);
    long start = System.nanoTime();
    boolean dumped = false;
    // Until everything on disk arrived, or nothing arrived for 60 s since the later of this start and the last delivery.
    while (!counting.lines.keySet().containsAll(onDisk)
        && System.nanoTime() - Math.max(start, counting.lastDelivery.get()) < TimeUnit.SECONDS.toNanos(60)) {
      Thread.sleep(200);
      if (!dumped && System.nanoTime() - Math.max(start, counting.lastDelivery.get()) > TimeUnit.SECONDS.toNanos(20)) {
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
    server.shutdownNow();
    long delivered = counting.lines.size();
    long lost = 0;
    for (Long n : onDisk) if (!counting.lines.containsKey(n)) lost++;
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
              if (!counting.lines.containsKey(n)) missing++;
            }
          }
          if (missing > 0) {
            System.out.printf("  %s: %d of %d lines never delivered (first line %d, ino %s)%n", p.getFileName(),
                missing, lines, first, Files.getAttribute(p, "unix:ino"));
          }
        }
      }
    }
    long duplicates = counting.records.get() - delivered;
    long reread = duplicates - counting.resentRecords.get();
    System.out.printf("written %d, on disk %d (lost by %s itself: %d), delivered %d, lost %d, duplicates %d"
        + " (resent batches %d, lines read twice %d), kills %d, duplicates per kill %.0f, rotations %d,"
        + " out-of-order first deliveries %d, final catch-up %.1f s%n", written, onDisk.size(), mode,
        written - onDisk.size(), delivered, lost, duplicates, counting.resentRecords.get(), reread, kills,
        kills == 0 ? 0.0 : (double) duplicates / kills, writer.rotations.get(), counting.outOfOrder.get(),
        (System.nanoTime() - start) / 1e9);
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
      long next = System.nanoTime();
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

    private final long startNanos = System.nanoTime();

    private FileChannel open() throws IOException {
      return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) return;
    try (var walk = Files.walk(p)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
    }
  }
}
