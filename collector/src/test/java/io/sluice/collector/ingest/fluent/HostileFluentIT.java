package io.sluice.collector.ingest.fluent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.FluentConfig;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.komamitsu.fluency.Fluency;
import org.msgpack.value.Value;

/**
 * Bad clients of the Fluent forward listener: each gets its connection closed with a counted reason and a clear log
 * line, and the collector keeps serving good clients (Fluency, or a handshake client with the right key).
 */
class HostileFluentIT {
  private static final int MAX_FRAME = 64 * 1024;
  private static final int MAX_DECOMPRESSED = 256 * 1024;
  private static String topic;
  private static String keyedTopic;
  private static Collector anon;
  private static Collector keyed;
  private static int good;

  @BeforeAll
  static void start() throws Exception {
    topic = SharedKafka.newTopic("fluent-hostile", 1);
    keyedTopic = SharedKafka.newTopic("fluent-keyed", 1);
    anon = Collector.start(FluentForwardIT.config(topic).fluent(FluentConfig.builder().listen("127.0.0.1:0")
        .anonymousTenant("fleet").maxFrameBytes(MAX_FRAME).maxDecompressedBytes(MAX_DECOMPRESSED).maxConnections(8)
        .idleTimeout(Duration.ofMillis(500))).build());
    keyed = Collector.start(CollectorConfig.builder().listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(keyedTopic).createTopic(false).shutdownTimeout(Duration.ofSeconds(5))
        .tenant(new TenantConfig("acme", List.of(), List.of(), List.of(), null))
        .fluent(FluentConfig.builder().listen("127.0.0.1:0").selfHostname("collector-1")
            .tenant("acme", "acme-secret", Map.of()).idleTimeout(Duration.ofSeconds(5)))
        .build());
  }

  @AfterAll
  static void stop() {
    if (anon != null) anon.close();
    if (keyed != null) keyed.close();
  }

  /** A good client still gets its lines into Kafka through the anonymous listener (at least once each). */
  private static void goodClientStillServed() throws Exception {
    long before = KafkaRecords.lineCount(SharedKafka.bootstrap(), topic);
    Fluency fluency = FluentForwardIT.fluency(anon.fluentPort(), 5000);
    java.util.Set<String> sent = new java.util.HashSet<>();
    try {
      for (int i = 0; i < 10; i++) {
        String line = "good " + good + " " + i;
        sent.add(line);
        fluency.emit("good", Map.of("log", line));
      }
    } finally {
      fluency.close(); // returns once every chunk was acked, i.e. is in Kafka
    }
    good++;
    long after = KafkaRecords.lineCount(SharedKafka.bootstrap(), topic);
    assertThat(after).isGreaterThanOrEqualTo(before + 10);
    java.util.Set<String> got = new java.util.HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.read(SharedKafka.bootstrap(), topic, (int) after,
        Duration.ofSeconds(30))) {
      got.add(LogRecord.parseFrom(r.value()).getBody().getStringValue());
    }
    assertThat(got).containsAll(sent);
  }

  @Test
  void tinyGarbageFrameIsUndecodableCountedAndClosed() throws Exception {
    long before = anon.fluentMetrics().errors("undecodable");
    try (ForwardClient c = new ForwardClient(anon.fluentPort())) {
      c.send(new byte[] {(byte) 0x93, (byte) 0xc1}); // an array whose first element is the never-used byte 0xc1
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(anon.fluentMetrics().errors("undecodable")).isEqualTo(before + 1);
    try (ForwardClient c = new ForwardClient(anon.fluentPort())) {
      c.send("{\"json\": true}".getBytes(StandardCharsets.UTF_8)); // JSON: not accepted
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(anon.fluentMetrics().errors("protocol")).isPositive();
    goodClientStillServed();
  }

  @Test
  void oversizedFrameIsRefusedOnItsDeclaredSizeAndOnItsRealBytes() throws Exception {
    long before = anon.fluentMetrics().errors("frame_too_large");
    try (ForwardClient c = new ForwardClient(anon.fluentPort())) {
      // declares a 1 GiB str of entries and sends a few bytes of it: refused before any of it is allocated
      c.send(new byte[] {(byte) 0x93, (byte) 0xa1, 't', (byte) 0xdb, 0x40, 0, 0, 0, 'x', 'y'});
      assertThat(c.closedByServer()).isTrue();
    }
    try (ForwardClient c = new ForwardClient(anon.fluentPort())) {
      // a real Forward-mode message of ~100 KiB: records each under the bound, together over it
      byte[] big = ForwardClient.pack(p -> {
        p.packArrayHeader(2).packString("big").packArrayHeader(20);
        for (int i = 0; i < 20; i++) {
          p.packArrayHeader(2).packLong(1_700_000_000L).packMapHeader(1).packString("log")
              .packString("y".repeat(5000));
        }
      });
      assertThat(big.length).isGreaterThan(MAX_FRAME);
      try {
        c.send(big);
      } catch (java.io.IOException e) {
        // the server may close while we still write: that is the point
      }
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(anon.fluentMetrics().errors("frame_too_large")).isEqualTo(before + 2);
    goodClientStillServed();
  }

  @Test
  void gzipBombIsCutAtMaxDecompressedBytes() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) {
        out.write(zeros); // 64 MiB of zeros
      }
    }
    assertThat(gz.size()).isLessThan(MAX_FRAME);
    long before = anon.fluentMetrics().errors("decompressed_too_large");
    try (ForwardClient c = new ForwardClient(anon.fluentPort())) {
      c.send(ForwardClient.pack(p -> {
        p.packArrayHeader(3).packString("bomb").packBinaryHeader(gz.size()).writePayload(gz.toByteArray());
        p.packMapHeader(2).packString("compressed").packString("gzip").packString("chunk").packString("c1");
      }));
      assertThat(c.bytesBeforeClose()).isZero(); // closed without an ack
    }
    assertThat(anon.fluentMetrics().errors("decompressed_too_large")).isEqualTo(before + 1);
    goodClientStillServed();
  }

  @Test
  void clientThatNeverSendsOrStopsMidMessageIsCutAfterTheIdleTimeout() throws Exception {
    long before = anon.fluentMetrics().errors("idle_timeout");
    try (ForwardClient silent = new ForwardClient(anon.fluentPort());
        ForwardClient half = new ForwardClient(anon.fluentPort())) {
      half.send(new byte[] {(byte) 0x93, (byte) 0xa3, 'a'}); // [ "a.. and nothing more
      assertThat(silent.closedByServer()).isTrue();
      assertThat(half.closedByServer()).isTrue();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> anon.fluentMetrics().errors("idle_timeout") == before + 2);
    goodClientStillServed();
  }

  @Test
  void connectionsBeyondMaxConnectionsAreClosedAtOnceAndCounted() throws Exception {
    await().atMost(Duration.ofSeconds(10)).until(() -> anon.fluentMetrics().openConnections() == 0);
    long before = anon.fluentMetrics().refusedConnections();
    List<ForwardClient> open = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        open.add(new ForwardClient(anon.fluentPort()));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> anon.fluentMetrics().openConnections() == 8);
      try (ForwardClient ninth = new ForwardClient(anon.fluentPort())) {
        assertThat(ninth.closedByServer()).isTrue();
      }
      assertThat(anon.fluentMetrics().refusedConnections()).isEqualTo(before + 1);
    } finally {
      for (ForwardClient c : open) c.close();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> anon.fluentMetrics().openConnections() == 0);
    goodClientStillServed();
  }

  @Test
  void wrongSharedKeyGetsPongFalseAndTheRightOneWritesForItsTenant() throws Exception {
    long before = keyed.fluentMetrics().errors("auth_failed");
    try (ForwardClient c = new ForwardClient(keyed.fluentPort())) {
      List<Object> pong = c.handshake("fluent-bit-1", "wrong-secret", "", "");
      assertThat(pong.subList(0, 3)).containsExactly("PONG", false, "shared_key mismatch");
      assertThat(c.closedByServer()).isTrue();
    }
    try (ForwardClient c = new ForwardClient(keyed.fluentPort())) {
      // events without the handshake are refused too
      c.next(); // HELO
      c.send(ForwardClient.pack(p -> p.packArrayHeader(3).packString("t").packLong(1).packMapHeader(0)));
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(keyed.fluentMetrics().errors("auth_failed")).isEqualTo(before + 2);
    assertThat(keyed.collectorMetrics().registry().scrape().stream()
        .filter(m -> m.getMetadata().getName().equals("sluice_collector_auth_failures")).findFirst().orElseThrow()
        .getDataPoints().stream().anyMatch(d -> d.getLabels().get("method").equals("fluent-shared-key")))
        .isTrue();

    try (ForwardClient c = new ForwardClient(keyed.fluentPort())) {
      List<Object> pong = c.handshake("fluent-bit-1", "acme-secret", "", "");
      assertThat(pong).containsExactly("PONG", true, "", "collector-1", true); // the server proved the key too
      // Message mode, then Forward mode, each with a chunk: acked after Kafka
      c.send(ForwardClient.pack(p -> {
        p.packArrayHeader(4).packString("svc.a").packLong(1_700_000_000L);
        p.packMapHeader(2).packString("message").packString("message mode").packString("severity")
            .packString("warning");
        p.packMapHeader(1).packString("chunk").packString("m1");
      }));
      Value ack = c.next();
      assertThat(ack.toString()).isEqualTo("{\"ack\":\"m1\"}");
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), keyedTopic)).isEqualTo(1);
      c.send(ForwardClient.pack(p -> {
        p.packArrayHeader(3).packString("svc.b").packArrayHeader(2);
        p.packArrayHeader(2).packNil().packMapHeader(1).packString("log").packString("forward 1");
        p.packArrayHeader(2).packDouble(1_700_000_000.5).packMapHeader(1).packString("log").packString("forward 2");
        p.packMapHeader(1).packString("chunk").packString("f1");
      }));
      assertThat(c.next().toString()).isEqualTo("{\"ack\":\"f1\"}");
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), keyedTopic)).isEqualTo(3);
    }
    List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), keyedTopic, 3,
        Duration.ofSeconds(30));
    assertThat(got).hasSize(3);
    for (ConsumerRecord<byte[], byte[]> r : got) {
      assertThat(new String(r.headers().lastHeader(KafkaHeaders.TENANT).value(), StandardCharsets.UTF_8))
          .isEqualTo("acme");
      assertThat(new String(r.key(), StandardCharsets.UTF_8)).endsWith("/fluent-bit-1"); // host.name from PING
    }
    LogRecord first = LogRecord.parseFrom(got.get(0).value());
    assertThat(first.getBody().getStringValue()).isEqualTo("message mode");
    assertThat(first.getSeverityText()).isEqualTo("warning");
    assertThat(first.getTimeUnixNano()).isEqualTo(1_700_000_000_000_000_000L);
    assertThat(LogRecord.parseFrom(got.get(2).value()).getTimeUnixNano()).isEqualTo(1_700_000_000_500_000_000L);
  }

  @Test
  void kafkaFailureClosesTheConnectionWithoutAnAck() throws Exception {
    int deadPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      deadPort = s.getLocalPort(); // nothing listens here once closed
    }
    try (Collector down = Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap("127.0.0.1:" + deadPort).createTopic(false).producerOverride("max.block.ms", "1000")
        .producerOverride("request.timeout.ms", "500").producerOverride("delivery.timeout.ms", "1500")
        .shutdownTimeout(Duration.ofSeconds(2)).fluent(FluentConfig.builder().listen("127.0.0.1:0")).build());
        ForwardClient c = new ForwardClient(down.fluentPort())) {
      c.send(ForwardClient.pack(p -> {
        p.packArrayHeader(4).packString("t").packLong(1_700_000_000L).packMapHeader(1).packString("log")
            .packString("never acked");
        p.packMapHeader(1).packString("chunk").packString("k1");
      }));
      assertThat(c.bytesBeforeClose()).isZero(); // closed, and no ack was sent before
      assertThat(down.fluentMetrics().errors("kafka_failed")).isEqualTo(1);
      assertThat(down.fluentMetrics().acks()).isZero();
    }
  }
}
