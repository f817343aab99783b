package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.CollectorMain;
import io.sluice.collector.Frames;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.Diagnostics;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.kafka.KafkaHeaders;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector SIGKILLed under load with a real client: the collector runs as a child process (CollectorMain from
 * this classpath, publishing to the test's broker), an sdk-core Pipeline (RocksDB spool, GrpcShipper, as the
 * appenders use it) logs continuously, the collector is killed mid-stream and a new one started on the same port.
 * Every record must be in Kafka at least once, each with one identity however often it was delivered; the
 * duplicates (batches Kafka had taken but whose acks died with the collector) are counted and printed.
 */
class CollectorKillIT {
  private static final Pattern LISTENING = Pattern.compile("sluice collector listening on 127\\.0\\.0\\.1:(\\d+),.*");

  @Test
  @Timeout(180)
  void sigkillOfTheCollectorUnderLoadLosesNothing(@TempDir Path dir) throws Exception {
    String topic = SharedKafka.newTopic("kill", 3);
    Path yaml = dir.resolve("collector.yaml");
    Files.writeString(yaml, "http:\n  listen: \"off\"\n");
    Process first = startCollector(yaml, 0, topic, dir.resolve("c1.log"));
    int port = awaitPort(first);
    Process second = null;
    PipelineConfig pc = PipelineConfig.builder().endpoint("127.0.0.1:" + port).serviceName("kill")
        .spoolDir(dir.resolve("spool")).lingerMs(20).batchMaxRecords(200).reconnectMinMs(20).reconnectMaxMs(200)
        .diagnostics(Diagnostics.NONE).build();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger sent = new AtomicInteger();
    int minRecords = 20_000;
    int maxRecords = 60_000; // bounds the test if the events take long
    try (Pipeline pipeline = Pipeline.start(pc)) {
      Thread logger = new Thread(() -> {
        for (int i = 0; i < maxRecords && (i < minRecords || !stop.get()); i++) {
          LogRecord r = Frames.record("kill-" + i);
          while (!pipeline.offer(r)) {
            LockSupport.parkNanos(1_000_000); // the queue is full: back off, then offer the same record again
          }
          sent.incrementAndGet();
          if (i % 20 == 19) {
            LockSupport.parkNanos(4_000_000); // pacing (at most ~5,000 records/s): a steady stream, not one burst
          }
        }
      }, "kill-logger");
      logger.setDaemon(true);
      logger.start();
      try {
        await("the first collector carries the load").atMost(Duration.ofSeconds(60))
            .until(() -> pipeline.stats().acknowledged() >= 5_000);
        assertThat(logger.isAlive()).as("the collector is killed mid-stream").isTrue();
        long ackedBeforeKill = pipeline.stats().acknowledged();
        first.destroyForcibly(); // SIGKILL: no drain, no GoAway, acks in flight are lost
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isEqualTo(137);
        second = startCollector(yaml, port, topic, dir.resolve("c2.log"));
        assertThat(awaitPort(second)).isEqualTo(port);
        await("the new collector on the same port takes over").atMost(Duration.ofSeconds(60))
            .until(() -> pipeline.stats().acknowledged() >= ackedBeforeKill + 5_000);
      } finally {
        stop.set(true);
      }
      logger.join(60_000);
      assertThat(logger.isAlive()).as("the logging thread finished").isFalse();
      int total = sent.get();
      await("every record acknowledged").atMost(Duration.ofSeconds(60))
          .until(() -> pipeline.stats().acknowledged() >= total);
      assertThat(pipeline.stats().dropped()).isZero();

      long inKafka = KafkaRecords.lineCount(SharedKafka.bootstrap(), topic);
      Map<Integer, String> identityOf = new HashMap<>();
      Set<String> identities = new HashSet<>();
      List<String> conflicts = new java.util.ArrayList<>();
      List<ConsumerRecord<byte[], byte[]>> records =
          KafkaRecords.read(SharedKafka.bootstrap(), topic, (int) inKafka, Duration.ofSeconds(60));
      for (ConsumerRecord<byte[], byte[]> r : records) {
        String body = LogRecord.parseFrom(r.value()).getBody().getStringValue();
        int n = Integer.parseInt(body.substring("kill-".length()));
        String id = identity(r);
        identities.add(id);
        String firstId = identityOf.putIfAbsent(n, id);
        if (firstId != null && !firstId.equals(id) && conflicts.size() < 10) {
          conflicts.add(body + ": " + firstId + " and " + id);
        }
      }
      Set<Integer> lost = new TreeSet<>();
      for (int i = 0; i < total; i++) {
        if (!identityOf.containsKey(i)) {
          lost.add(i);
        }
      }
      assertThat(records).hasSize((int) inKafka);
      assertThat(lost).as("sent but not in Kafka").isEmpty();
      assertThat(identityOf).hasSize(total);
      assertThat(conflicts).as("a duplicate carries its original's identity").isEmpty();
      assertThat(identities).hasSize(total);
      System.out.printf("collector SIGKILL under load: sent %d, in Kafka %d, duplicates %d, lost 0%n", total,
          records.size(), records.size() - total);
    } finally {
      first.destroyForcibly();
      if (second != null) {
        second.destroy(); // SIGTERM: the normal stop
        if (!second.waitFor(30, TimeUnit.SECONDS)) {
          second.destroyForcibly();
        }
      }
    }
  }

  private static Process startCollector(Path yaml, int port, String topic, Path log) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-cp",
        System.getProperty("java.class.path"), CollectorMain.class.getName(), "--config", yaml.toString(),
        "--listen", "127.0.0.1:" + port, "--kafka-bootstrap", SharedKafka.bootstrap(), "--topic", topic,
        "--anonymous")
        .redirectError(log.toFile())
        .start();
  }

  /** The gRPC port from the collector's first line on stdout (the rest of stdout is not read: it is a few lines). */
  private static int awaitPort(Process p) throws Exception {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line = CompletableFuture.supplyAsync(() -> {
      try {
        return String.valueOf(out.readLine());
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }).get(60, TimeUnit.SECONDS);
    Matcher m = LISTENING.matcher(line);
    assertThat(m.matches()).as(line).isTrue();
    return Integer.parseInt(m.group(1));
  }

  private static String identity(ConsumerRecord<byte[], byte[]> r) {
    return new String(r.headers().lastHeader(KafkaHeaders.SOURCE).value(), StandardCharsets.UTF_8) + "/"
        + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.EPOCH).value()) + "/"
        + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.SEQ).value()) + "/"
        + KafkaHeaders.readInt32(r.headers().lastHeader(KafkaHeaders.IDX).value());
  }
}
