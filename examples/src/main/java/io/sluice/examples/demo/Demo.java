package io.sluice.examples.demo;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.logback.SluiceAppender;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.LoggerFactory;

/**
 * The end-to-end demo: an in-process Kafka broker (KRaft), a collector, an "app" logging through the Logback
 * {@link SluiceAppender}, the collector stopped and restarted mid-run, and a Kafka consumer that counts what
 * arrived. Every record carries its number as the SLF4J key-value {@code seq}, so the consumer can say exactly
 * what was delivered, duplicated and lost.
 */
public final class Demo {

  /** What to run. */
  public record Options(int records, int ratePerSecond, Duration outage, Path workDir, boolean keepWorkDir) {
    public Options {
      if (records < 3) throw new IllegalArgumentException("--records must be at least 3");
      if (ratePerSecond < 0) throw new IllegalArgumentException("--rate must be >= 0 (0: as fast as possible)");
    }
  }

  /** What happened. */
  public record Result(long sent, long delivered, long duplicates, long lost, double loggingSeconds,
      double endToEndSeconds, Duration outage, long peakSpoolBytes, long peakSpoolBatches, PipelineStats stats) {
    public double loggingRate() {
      return sent / loggingSeconds;
    }

    public double endToEndRate() {
      return delivered / endToEndSeconds;
    }
  }

  /** A step run after the summary while the demo's broker is still up (e.g. the backend over the demo's topic). */
  @FunctionalInterface
  public interface AfterDelivery {
    /**
     * @param bootstrapServers the demo broker
     * @param topic the topic the collector wrote
     * @param delivered distinct records in it
     * @param live starts the demo app logging on (a line a second, some errors with a cause chain) through the same
     *     appender and collector until this step returns: new lines for a live tail
     */
    void run(String bootstrapServers, String topic, long delivered, Runnable live)
        throws IOException, InterruptedException;
  }

  static final String TOPIC = "sluice-demo";

  private Demo() {}

  public static Result run(Options options, PrintStream out) throws IOException, InterruptedException {
    return run(options, out, null);
  }

  /** As {@link #run(Options, PrintStream)}, then {@code after} (if not null) before the broker stops. */
  public static Result run(Options options, PrintStream out, AfterDelivery after)
      throws IOException, InterruptedException {
    Path work = options.workDir() != null ? options.workDir() : Files.createTempDirectory("sluice-demo");
    try {
      return run(options, work, out, after);
    } finally {
      if (!options.keepWorkDir() && options.workDir() == null) deleteTree(work);
    }
  }

  private static Result run(Options options, Path work, PrintStream out, AfterDelivery after)
      throws IOException, InterruptedException {
    out.println("Sluice demo: app (Logback appender) -> spool -> gRPC -> collector -> Kafka, all in this process");
    out.println(
        "  work dir: " + work + "  (appender policy whenFull=block: the logging thread waits rather than drop)");
    try (EmbeddedKafka kafka = quietly(() -> EmbeddedKafka.builder().baseDir(work.resolve("kafka")).start())) {
      out.println("  Kafka broker (KRaft, in-process) at " + kafka.bootstrapServers());
      CollectorConfig collectorConfig = CollectorConfig.builder().anonymous(true)
          .listen("127.0.0.1:0")
          // any free port for /readyz and /metrics too: the restart below names the gRPC port, and the HTTP default
          // would then become the fixed 4418, which another collector on this machine may hold
          .httpListen("127.0.0.1:0")
          .kafkaBootstrap(kafka.bootstrapServers())
          .topic(TOPIC)
          .topicPartitions(3)
          .topicReplicationFactor(1)
          .build();
      Collector collector = Collector.start(collectorConfig);
      int port = collector.port();
      CollectorConfig restartConfig =
          collectorConfig.toBuilder().listen("127.0.0.1:" + port).createTopic(false).build();
      out.println("  collector listening on 127.0.0.1:" + port + ", publishing to topic " + TOPIC);

      LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
      SluiceAppender appender = new SluiceAppender();
      appender.setContext(logback);
      appender.setName("SLUICE");
      appender.setEndpoint("127.0.0.1:" + port);
      appender.setServiceName("demo-shop");
      appender.setResourceAttributes("deployment.environment=demo");
      appender.setSpoolDir(work.resolve("spool").toString());
      appender.setLingerMs("50");
      appender.setReconnectMinMs("50");
      appender.setReconnectMaxMs("500");
      appender.setCloseTimeoutMs("10s");
      // "Never lose a line": when the hand-off queue is full the logging thread waits (up to 5 s) instead of dropping.
      appender.setWhenFull("block");
      appender.setBlockTimeoutMs("5s");
      appender.start();
      if (!appender.isStarted())
        throw new IllegalStateException("the Sluice appender did not start; see the status above");
      Logger shop = logback.getLogger("demo.shop");
      shop.setLevel(ch.qos.logback.classic.Level.INFO);
      shop.setAdditive(false);
      shop.addAppender(appender);

      int n = options.records();
      long outageAt = n / 3;
      AtomicLong peakBytes = new AtomicLong();
      AtomicLong peakBatches = new AtomicLong();
      Collector[] current = {collector};
      Thread outage = null;
      long started = System.nanoTime();
      out.printf("  logging %,d records%s; the collector goes down after %,d of them for %.1f s%n", n,
          options.ratePerSecond() > 0 ? String.format(" at %,d records/s", options.ratePerSecond())
              : " as fast as possible",
          outageAt, options.outage().toMillis() / 1000.0);
      for (int i = 0; i < n; i++) {
        if (i == outageAt) {
          outage = outageThread(current, restartConfig, options.outage(), appender, peakBytes, peakBatches, out);
          outage.start();
        }
        if (options.ratePerSecond() > 0 && (i & 255) == 0) {
          long due = started + (long) (i * 1e9 / options.ratePerSecond());
          long wait = due - System.nanoTime();
          if (wait > 0) LockSupport.parkNanos(wait);
        }
        if (i % 1000 == 999) {
          // one in a thousand an error with a cause chain: the job's counts and error fingerprints have one to show
          shop.atError().addKeyValue("seq", i).setCause(paymentFailure()).log("payment for order {} failed", i);
        } else {
          shop.atInfo().addKeyValue("seq", i).addKeyValue("customer", "c-" + (i % 997))
              .log("order {} placed, {} items", i, 1 + i % 7);
        }
      }
      double loggingSeconds = (System.nanoTime() - started) / 1e9;
      out.printf("  logged %,d records in %.2f s (%,.0f records/s on the logging thread)%n", n, loggingSeconds,
          n / loggingSeconds);
      if (outage != null) outage.join();

      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        PipelineStats s = appender.stats();
        if (s.pending() == 0 && s.appended() >= n) break;
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      long allAcknowledged = System.nanoTime();
      PipelineStats stats = appender.stats();
      out.printf("  appender: appended %,d, acknowledged %,d, dropped %,d, pending %,d%n", stats.appended(),
          stats.acknowledged(), stats.dropped(), stats.pending());
      if (stats.dropped() > 0) out.println("  dropped by reason: " + stats.droppedByReason());

      Count count = consume(kafka.bootstrapServers(), n);
      double endToEnd = (allAcknowledged - started) / 1e9;

      long lost = n - count.distinct;
      Result result = new Result(n, count.distinct, count.total - count.distinct, lost, loggingSeconds,
          endToEnd, options.outage(), peakBytes.get(), peakBatches.get(), stats);
      printSummary(result, out);
      Thread live = liveThread(shop, n);
      try {
        if (after != null) {
          after.run(kafka.bootstrapServers(), TOPIC, count.distinct, live::start);
        }
      } finally {
        live.interrupt();
        live.join(5_000);
        appender.stop();
        current[0].close();
      }
      return result;
    }
  }

  /** The demo's error: an exception with a cause, the same fingerprint every time. */
  private static IllegalStateException paymentFailure() {
    return new IllegalStateException("card declined by the bank",
        new java.net.SocketTimeoutException("Read timed out after 2000 ms"));
  }

  /** The shop logging on, a line a second; every fifth an error whose exception has a cause (for the query UI). */
  private static Thread liveThread(Logger shop, int first) {
    Thread t = new Thread(() -> {
      for (int i = first; !Thread.currentThread().isInterrupted(); i++) {
        if (i % 5 == 0) {
          shop.atError().addKeyValue("seq", i).setCause(paymentFailure()).log("payment for order {} failed", i);
        } else {
          shop.atInfo().addKeyValue("seq", i).log("order {} placed, {} items", i, 1 + i % 7);
        }
        try {
          Thread.sleep(1_000); // a person watching the live tail, not a synchronisation
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "demo-shop-live");
    t.setDaemon(true);
    return t;
  }

  /** Kafka's storage formatter prints to the console; the demo's output is the summary. */
  private static <T> T quietly(java.util.function.Supplier<T> action) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream nowhere = new PrintStream(java.io.OutputStream.nullOutputStream());
    System.setOut(nowhere);
    System.setErr(nowhere);
    try {
      return action.get();
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  private static Thread outageThread(Collector[] current, CollectorConfig restartConfig, Duration outage,
      SluiceAppender appender, AtomicLong peakBytes, AtomicLong peakBatches, PrintStream out) {
    Thread t = new Thread(() -> {
      try {
        current[0].close();
        out.println("  collector stopped: the app keeps logging into its spool");
        long until = System.nanoTime() + outage.toNanos();
        while (System.nanoTime() < until) {
          PipelineStats s = appender.stats();
          peakBytes.accumulateAndGet(s.spoolBytes(), Math::max);
          peakBatches.accumulateAndGet(s.spoolBatches(), Math::max);
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        current[0] = Collector.start(restartConfig);
        out.printf("  collector restarted (spool peaked at %,d bytes in %,d batches): shipping the backlog%n",
            peakBytes.get(), peakBatches.get());
      } catch (IOException e) {
        throw new IllegalStateException("could not restart the collector", e);
      }
    }, "demo-outage");
    t.setDaemon(true);
    return t;
  }

  private record Count(long total, long distinct, long lastArrivalNanos) {}

  /** Reads the topic from the beginning until every seq arrived or nothing new came for 15 s. */
  private static Count consume(String bootstrap, int n) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    BitSet seen = new BitSet(n);
    long total = 0;
    long last = System.nanoTime();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(TOPIC).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long idleSince = System.nanoTime();
      while (seen.cardinality() < n && System.nanoTime() - idleSince < TimeUnit.SECONDS.toNanos(15)) {
        var batch = consumer.poll(Duration.ofMillis(200));
        if (batch.isEmpty()) continue;
        idleSince = System.nanoTime();
        last = idleSince;
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          for (LogRecord record : lines(r)) { // either Kafka record format
            total++;
            long seq = seqOf(record);
            if (seq >= 0 && seq < n) seen.set((int) seq);
          }
        }
      }
    }
    return new Count(total, seen.cardinality(), last);
  }

  /** The lines of a Kafka record in either format; none when it is not a Sluice record. */
  static List<LogRecord> lines(ConsumerRecord<byte[], byte[]> r) {
    try {
      return new io.sluice.wire.kafka.KafkaRecordReader().read(name -> {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null ? null : h.value();
      }, r.value()).stream().map(io.sluice.wire.kafka.KafkaLine::record).toList();
    } catch (io.sluice.wire.kafka.KafkaFormatException e) {
      return List.of();
    }
  }

  static long seqOf(LogRecord record) {
    for (KeyValue kv : record.getAttributesList()) {
      if (kv.getKey().equals("seq")) return kv.getValue().getIntValue();
    }
    return -1;
  }

  static long seqOf(byte[] value) {
    try {
      LogRecord record = LogRecord.parseFrom(value);
      for (KeyValue kv : record.getAttributesList()) {
        if (kv.getKey().equals("seq")) return kv.getValue().getIntValue();
      }
    } catch (IOException e) {
      return -1;
    }
    return -1;
  }

  static void printSummary(Result r, PrintStream out) {
    out.println();
    out.println("Summary");
    out.printf("  sent        %,12d records%n", r.sent());
    out.printf("  delivered   %,12d distinct records in Kafka%n", r.delivered());
    out.printf("  duplicates  %,12d (at-least-once: batches in flight when the collector went down)%n", r.duplicates());
    out.printf("  lost        %,12d%n", r.lost());
    out.printf(
        "  rate        %,12.0f records/s logged, %,.0f records/s end to end (first log call to the last Kafka acknowledgement, outage included)%n",
        r.loggingRate(), r.endToEndRate());
    out.printf("  outage      %12.1f s with the collector down; spool peaked at %,d bytes in %,d batches%n",
        r.outage().toMillis() / 1000.0, r.peakSpoolBytes(), r.peakSpoolBatches());
    out.println(r.lost() == 0 ? "  OK: nothing lost" : "  FAILED: records were lost");
  }

  private static void deleteTree(Path root) {
    try (var paths = Files.walk(root)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temp dir left behind is not worth failing the demo for
    }
  }
}
