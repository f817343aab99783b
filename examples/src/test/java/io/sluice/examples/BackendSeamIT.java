package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.collector.ingest.RecordEnricher;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seam between the two halves, with real parts on both sides: an app JVM logging through the Logback appender
 * → the collector (gRPC on 127.0.0.1) → a KRaft broker in this JVM → the streaming job ({@code JobMain --bounded}
 * on Flink [local], in the backend's own JVM from {@code backend/demo}'s fat jar, since Beam/Flink 1.19 and Cassandra
 * do not share a classpath with the collector) → Cassandra. On the way the collector restarts while the app logs,
 * and the app is killed with SIGKILL while Kafka holds batches its spool has not seen acknowledged, so its second
 * start on the same spool resends them.
 *
 * <p>The truth is what a plain consumer reads from the topic, de-duplicated by the identity headers, counted per
 * tenant, service, severity and UTC minute of each record's own event time (one in ten is logged with an event time
 * 1–3 minutes back, so several minutes are in play). Cassandra's rows must equal it key by
 * key. The test also proves it is not vacuous: the topic held resent copies, and every record the app logged is
 * among the distinct ones.
 *
 * <p>The app reaches the collector through {@link AckHoldingProxy} (bytes unchanged), which makes "Kafka has it,
 * the app does not know" certain at the kill instead of a matter of luck.
 */
class BackendSeamIT {
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir
  Path dir;

  @Test
  void cassandraAggregatesEqualTheDistinctRecordsDeliveredAcrossACollectorRestartAndAnAppKill() throws Exception {
    Path backendJar = backendJar();
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    // Resend suppression off: this test is about the backend removing the duplicates a fleet does put into Kafka
    // (a resend reaching another or a restarted collector); with one collector they would be suppressed at ingest.
    CollectorConfig config = EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).resendWindow(0).build();
    Path spool = dir.resolve("spool");
    List<AutoCloseable> closeLast = new ArrayList<>();
    Stats killed;
    Stats finished;
    try {
      Collector first = EndToEnd.startCollector(config);
      closeLast.add(first);
      AckHoldingProxy proxy = new AckHoldingProxy(first.port());
      closeLast.add(proxy);
      String endpoint = "127.0.0.1:" + proxy.port();

      // 1. steady state
      AppProcess app = AppProcess.start(endpoint, spool, dir.resolve("app-1.out"));
      closeLast.add(app);
      app.log(0, 1_500, 0);
      app.awaitLogged(1_500);
      await().atMost(WAIT).until(() -> app.stats().acknowledged() == 1_500);

      // 2. the collector goes away while the app logs; what is logged meanwhile waits in the spool; a new collector
      //    (another port, as after a reschedule) takes the backlog
      app.log(1_500, 3_000, 1_000);
      await().atMost(WAIT).until(() -> app.stats().acknowledged() >= 2_000);
      first.close();
      app.log(3_000, 3_500, 0);
      app.awaitLogged(3_500);
      await().atMost(WAIT).until(() -> app.stats().allSpooledOrAcknowledged());
      assertThat(app.stats().spooled()).as("records logged with no collector wait in the spool").isPositive();
      Collector second = EndToEnd.startCollector(config.toBuilder().createTopic(false).build());
      closeLast.add(second);
      proxy.target(second.port());
      await().atMost(WAIT).until(() -> app.stats().acknowledged() == 3_500);

      // 3. SIGKILL while Kafka has batches the app never saw acknowledged
      proxy.holdAcks();
      long publishedBeforeHold = second.metrics().recordsPublished();
      app.log(3_500, 5_000, 0);
      app.awaitLogged(5_000);
      await().atMost(WAIT).until(() -> app.stats().allSpooledOrAcknowledged());
      await().atMost(WAIT).until(() -> second.metrics().recordsPublished() > publishedBeforeHold);
      killed = app.stats();
      app.kill();
      proxy.releaseAcks();
      assertThat(killed.acknowledged()).as("the app had not seen the held acknowledgements").isEqualTo(3_500);

      // 4. the app again, on the same spool: it resends what was not acknowledged, then logs more
      long leftBehind = killed.spooled();
      AppProcess again = AppProcess.start(endpoint, spool, dir.resolve("app-2.out"));
      closeLast.add(again);
      again.log(5_000, 6_000, 0);
      again.awaitLogged(6_000);
      // pending() alone can read 0 while the batcher holds records it has taken from the queue: wait for the sum
      await().atMost(WAIT).alias("the second run acknowledged its own records and the first run's spool")
          .until(() -> {
            Stats s = again.stats();
            return s.pending() == 0 && s.acknowledged() >= s.appended() + leftBehind;
          });
      finished = again.stats();
      again.exit();
    } finally {
      for (int i = closeLast.size() - 1; i >= 0; i--) closeLast.get(i).close();
    }

    // What the app says it logged: nothing dropped, and the two runs together logged [0, 6000).
    assertThat(killed.dropped()).isZero();
    assertThat(finished.dropped()).isZero();
    long logged = killed.appended() + finished.appended();
    assertThat(logged).isEqualTo(6_000);
    assertThat(killed.spooled()).as("left in the spool by the kill").isEqualTo(1_500);
    assertThat(finished.acknowledged() - finished.appended())
        .as("records the second run shipped from the first run's spool").isEqualTo(1_500);

    Delivered delivered = Delivered.read(kafka.bootstrapServers(), topic);
    assertThat(delivered.distinct()).as("distinct records delivered == records the app logged").isEqualTo(logged);
    assertThat(delivered.seqs()).as("every record logged, by its number").hasSize(6_000)
        .allMatch(s -> s >= 0 && s < 6_000);
    assertThat(delivered.copies() - delivered.distinct()).as("resent copies in the topic (else the test is vacuous)")
        .isPositive();

    Backend backend = Backend.run(backendJar, kafka.bootstrapServers(), topic, delivered.distinct(), dir);
    System.out.printf("seam: %,d records logged, %,d copies in Kafka (%,d resent), %,d distinct; %d aggregate keys;"
        + " backend JVM %.1f s%n", logged, delivered.copies(), delivered.copies() - delivered.distinct(),
        delivered.distinct(), delivered.perKey().size(), backend.seconds());
    assertThat(backend.exitCode()).as("BackendDemoMain exit code (1: job failed or total != --expect); output:%n%s",
        backend.output()).isZero();
    assertThat(backend.rows()).as("Cassandra's minute_counts, key by key, against the distinct records delivered")
        .isEqualTo(delivered.perKey());
    assertThat(backend.rows().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(delivered.distinct());
    assertThat(delivered.perKey().keySet()).extracting(Key::severity).contains("INFO", "WARN", "ERROR");
    assertThat(delivered.perKey().keySet().stream().map(Key::minute).distinct().count())
        .as("minutes of event time (late records included)").isGreaterThan(1);
  }

  static Path backendJar() {
    String path = System.getProperty("sluice.backend.demo.jar");
    assertThat(path).as("system property sluice.backend.demo.jar (set by examples/pom.xml)").isNotBlank();
    Path jar = Path.of(path);
    assertThat(jar).as("the backend's fat jar: ./mvnw -pl backend/demo -am package -DskipTests -Dimage.skip=true")
        .isRegularFile();
    return jar;
  }

  /** One aggregate key: UTC minute start (epoch ms), tenant, service, severity range. */
  record Key(long minute, String tenant, String service, String severity) implements Comparable<Key> {
    @Override
    public int compareTo(Key o) {
      return toString().compareTo(o.toString());
    }
  }

  /** The topic read with a plain consumer, up to its end offsets: copies, distinct identities, counts per key. */
  record Delivered(long copies, long distinct, TreeSet<Long> seqs, Map<Key, Long> perKey) {
    private static final String[] SEVERITIES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};

    static Delivered read(String bootstrap, String topic) throws IOException {
      Properties props = new Properties();
      props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      long copies = 0;
      Map<String, byte[]> firstCopy = new HashMap<>();
      TreeSet<Long> seqs = new TreeSet<>();
      Map<Key, Long> perKey = new TreeMap<>();
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
            .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
          assertThat(System.nanoTime()).as("read the topic to its end offsets %s", end).isLessThan(deadline);
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
            if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) continue;
            for (io.sluice.wire.kafka.KafkaLine line : EndToEnd.lines(r)) { // either Kafka record format
              copies++;
              String identity = line.source() + "/" + line.epoch() + "/" + line.sequence() + "/" + line.index();
              byte[] value = line.record().toByteArray();
              byte[] prior = firstCopy.putIfAbsent(identity, value);
              if (prior != null) {
                assertThat(Arrays.equals(prior, value)).as("a resent copy of %s is the same record", identity).isTrue();
                continue;
              }
              LogRecord record = line.record();
              String service = "";
              for (KeyValue kv : record.getAttributesList()) {
                if (kv.getKey().equals("seq")) seqs.add(kv.getValue().getIntValue());
                if (kv.getKey().equals(RecordEnricher.RESOURCE_PREFIX + "service.name"))
                  service = kv.getValue().getStringValue();
              }
              long ms = record.getTimeUnixNano() / 1_000_000L;
              int n = record.getSeverityNumberValue();
              Key key = new Key(ms - Math.floorMod(ms, 60_000L),
                  line.tenant(), service,
                  n >= 1 && n <= 24 ? SEVERITIES[(n - 1) / 4] : "UNSPECIFIED");
              perKey.merge(key, 1L, Long::sum);
            }
          }
        }
      }
      return new Delivered(copies, firstCopy.size(), seqs, perKey);
    }
  }

  /** {@code BackendDemoMain} in its own JVM from its fat jar, as {@code ./sluice demo --backend} runs it. */
  record Backend(int exitCode, String output, Map<Key, Long> rows, double seconds) {
    static Backend run(Path jar, String bootstrap, String topic, long expect, Path dir) throws Exception {
      Path csv = dir.resolve("minute_counts.csv");
      Path out = dir.resolve("backend.out");
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      long t0 = System.nanoTime();
      Process p = new ProcessBuilder(java, "-Xmx1536m", "-Djdk.attach.allowAttachSelf=true", "-jar", jar.toString(),
          "--bootstrap-servers=" + bootstrap, "--topics=" + topic, "--expect=" + expect, "--rows-csv=" + csv)
          .redirectErrorStream(true).redirectOutput(out.toFile()).start();
      boolean exited = p.waitFor(10, TimeUnit.MINUTES); // a bound against a hung job, not a timing assertion
      if (!exited) p.destroyForcibly().waitFor();
      String output = Files.readString(out, StandardCharsets.UTF_8);
      System.out.println(output);
      assertThat(exited).as("the backend JVM finished; output:%n%s", output).isTrue();
      Map<Key, Long> rows = new TreeMap<>();
      if (Files.exists(csv)) {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (String line : lines.subList(1, lines.size())) {
          String[] f = line.split(",", -1); // the test's tenant and service hold no commas or quotes
          assertThat(rows.put(new Key(Long.parseLong(f[0]), f[1], f[2], f[3]), Long.parseLong(f[4])))
              .as("one row per key: %s", line).isNull();
        }
      }
      return new Backend(p.exitValue(), output, rows, (System.nanoTime() - t0) / 1e9);
    }
  }

  /** A {@link SeamApp} JVM and its stdin/stdout protocol. */
  static final class AppProcess implements AutoCloseable {
    private final Process process;
    private final PrintWriter commands;
    private final BlockingQueue<String> stats = new LinkedBlockingQueue<>();
    private final AtomicLong logged = new AtomicLong(-1);
    private final Path transcript;

    private AppProcess(Process process, Path transcript) {
      this.process = process;
      this.transcript = transcript;
      this.commands = new PrintWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8), true);
      Thread reader = new Thread(this::readOutput, "seam-app-output");
      reader.setDaemon(true);
      reader.start();
    }

    static AppProcess start(String endpoint, Path spool, Path transcript) throws IOException {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      Process p = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
          SeamApp.class.getName(), endpoint, spool.toString()).redirectErrorStream(true).start();
      return new AppProcess(p, transcript);
    }

    private void readOutput() {
      try (
          BufferedReader r =
              new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
          PrintWriter copy = new PrintWriter(Files.newBufferedWriter(transcript, StandardCharsets.UTF_8), true)) {
        String line;
        while ((line = r.readLine()) != null) {
          copy.println(line);
          if (line.startsWith("stats ")) stats.add(line);
          else if (line.startsWith("logged ")) logged.set(Long.parseLong(line.substring(7).trim()));
        }
      } catch (IOException e) {
        // the app is gone
      }
    }

    void log(int from, int to, int ratePerSecond) {
      commands.println("log " + from + " " + to + " " + ratePerSecond);
    }

    void awaitLogged(long to) {
      await().atMost(WAIT).until(() -> logged.get() == to);
    }

    Stats stats() throws InterruptedException, IOException {
      stats.clear();
      commands.println("stats");
      String line = stats.poll(60, TimeUnit.SECONDS);
      assertThat(line).as("the app answers stats; transcript:%n%s", Files.readString(transcript)).isNotNull();
      Map<String, Long> v = new HashMap<>();
      for (String kv : line.substring(6).split(" ")) {
        String[] p = kv.split("=");
        v.put(p[0], Long.parseLong(p[1]));
      }
      return new Stats(v.get("appended"), v.get("acknowledged"), v.get("dropped"), v.get("queued"), v.get("batching"),
          v.get("spooled"));
    }

    /** SIGKILL: no shutdown hook, no close; the spool is left as the crash left it. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }

    void exit() throws InterruptedException {
      commands.println("exit");
      assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the app exits after closing its appender").isTrue();
      assertThat(process.exitValue()).isZero();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) kill();
    }
  }

  /** The app's pipeline accounting, as {@link SeamApp} prints it. */
  record Stats(long appended, long acknowledged, long dropped, long queued, long batching, long spooled) {
    long pending() {
      return queued + batching + spooled;
    }

    /** Every record appended is in the spool (crash-safe) or acknowledged, or was dropped. */
    boolean allSpooledOrAcknowledged() {
      return queued == 0 && batching == 0 && spooled + acknowledged + dropped == appended;
    }
  }
}
