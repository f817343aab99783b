package io.sluice.collector.ingest.fluent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.FluentConfig;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.wire.kafka.KafkaHeaders;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.komamitsu.fluency.EventTime;
import org.komamitsu.fluency.Fluency;
import org.komamitsu.fluency.fluentd.FluencyBuilderForFluentd;
import org.komamitsu.fluency.fluentd.ingester.sender.FluentdSender;
import org.komamitsu.fluency.fluentd.ingester.sender.TCPSender;
import org.komamitsu.fluency.fluentd.recordformat.FluentdRecordFormatter;
import org.komamitsu.fluency.ingester.Ingester;
import org.komamitsu.fluency.ingester.sender.Sender;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * The Fluent forward listener end to end: Fluency (a forward-protocol client nobody here wrote) sends PackedForward
 * with ack to a real collector on 127.0.0.1 publishing to the shared in-JVM KRaft broker.
 */
class FluentForwardIT {
  static final String TENANT = "fleet";

  static CollectorConfig.Builder config(String topic) {
    return CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(topic).createTopic(false).shutdownTimeout(Duration.ofSeconds(5))
        .fluent(FluentConfig.builder().listen("127.0.0.1:0").anonymousTenant(TENANT).serviceKey("app"));
  }

  static Fluency fluency(int port, int readTimeoutMs) {
    FluencyBuilderForFluentd b = new FluencyBuilderForFluentd();
    b.setAckResponseMode(true);
    b.setReadTimeoutMilli(readTimeoutMs);
    b.setFlushAttemptIntervalMillis(100);
    b.setSenderBaseRetryIntervalMillis(100);
    b.setSenderMaxRetryIntervalMillis(500);
    b.setWaitUntilBufferFlushed(30);
    b.setWaitUntilFlusherTerminated(30);
    return b.build("127.0.0.1", port);
  }

  @Test
  void fluencyPackedForwardWithAckArrivesInKafkaWithTenantServiceSeverityAndAttributes() throws Exception {
    String topic = SharedKafka.newTopic("fluent", 2);
    int n = 300;
    try (Collector collector = Collector.start(config(topic).build())) {
      Fluency fluency = fluency(collector.fluentPort(), 5000);
      try {
        for (int i = 0; i < n; i++) {
          Map<String, Object> rec = new LinkedHashMap<>();
          rec.put("log", "line " + i);
          rec.put("level", i % 2 == 0 ? "error" : "INFO");
          rec.put("app", "checkout");
          rec.put("user", "u" + (i % 7));
          rec.put("n", i);
          rec.put("ok", i % 3 == 0);
          rec.put("nested", Map.of("k", List.of(1, "two")));
          fluency.emit("app.web", EventTime.fromEpoch(1_700_000_000L + i, 123_456_789L), rec);
        }
      } finally {
        fluency.close(); // flushes and waits for the acks (ack mode)
      }
      // the acks came only after Kafka acknowledged: everything is in the log once the client has its acks (at
      // least once: a chunk Fluency resent after an ack wait longer than its read timeout may be there twice)
      assertThat(fluency.isTerminated()).isTrue();
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isGreaterThanOrEqualTo(n);
      assertThat(collector.fluentMetrics().acks()).isPositive();
      List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, n,
          Duration.ofSeconds(30));
      assertThat(got).hasSizeGreaterThanOrEqualTo(n);
      Set<String> bodies = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : got) {
        assertThat(new String(r.headers().lastHeader(KafkaHeaders.TENANT).value(), StandardCharsets.UTF_8))
            .isEqualTo(TENANT);
        assertThat(new String(r.headers().lastHeader(KafkaHeaders.SOURCE).value(), StandardCharsets.UTF_8))
            .startsWith("fluent:");
        LogRecord rec = LogRecord.parseFrom(r.value());
        String body = rec.getBody().getStringValue();
        bodies.add(body);
        int i = Integer.parseInt(body.substring("line ".length()));
        Map<String, AnyValue> attrs = rec.getAttributesList().stream()
            .collect(Collectors.toMap(KeyValue::getKey, KeyValue::getValue));
        assertThat(rec.getTimeUnixNano()).isEqualTo((1_700_000_000L + i) * 1_000_000_000L + 123_456_789L);
        assertThat(rec.getSeverityNumber()).isEqualTo(i % 2 == 0 ? SeverityNumber.SEVERITY_NUMBER_ERROR
            : SeverityNumber.SEVERITY_NUMBER_INFO);
        assertThat(rec.getSeverityText()).isEqualTo(i % 2 == 0 ? "error" : "INFO");
        assertThat(attrs.get("fluent.tag").getStringValue()).isEqualTo("app.web");
        assertThat(attrs.get("resource.service.name").getStringValue()).isEqualTo("checkout");
        assertThat(attrs.get("user").getStringValue()).isEqualTo("u" + (i % 7));
        assertThat(attrs.get("n").getIntValue()).isEqualTo(i);
        assertThat(attrs.get("ok").getBoolValue()).isEqualTo(i % 3 == 0);
        assertThat(attrs.get("nested").getKvlistValue().getValues(0).getValue().getArrayValue().getValuesCount())
            .isEqualTo(2);
        assertThat(attrs).doesNotContainKeys("log", "level", "app");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).startsWith("checkout");
      }
      assertThat(bodies).hasSize(n);
    }
  }

  /** Holds every publish until released, then hands it to the real Kafka publisher. */
  static final class GatedPublisher implements Publisher {
    final Publisher kafka;
    final CompletableFuture<Void> gate = new CompletableFuture<>();
    final AtomicInteger held = new AtomicInteger();

    GatedPublisher(Publisher kafka) {
      this.kafka = kafka;
    }

    @Override
    public CompletableFuture<Void> publish(PublishBatch batch) {
      held.incrementAndGet();
      return gate.thenCompose(v -> kafka.publish(batch));
    }

    @Override
    public void close(Duration timeout) {
      gate.complete(null);
      kafka.close(timeout);
    }
  }

  @Test
  void acksOnlyAfterKafkaHasTheRecordsAndFluencyResendsWithoutLoss() throws Exception {
    String topic = SharedKafka.newTopic("fluent-gate", 1);
    int n = 50;
    GatedPublisher gated = new GatedPublisher(new KafkaPublisher(
        KafkaPublisher.producerDefaults(SharedKafka.bootstrap()), topic));
    try (Collector collector = Collector.start(config(topic).build(), gated)) {
      Fluency fluency = fluency(collector.fluentPort(), 1000);
      try {
        for (int i = 0; i < n; i++) {
          fluency.emit("gate", Map.of("message", "held " + i));
        }
        fluency.flush();
        // Fluency gets no ack while Kafka has not the records: its ack wait times out and it sends the chunk again
        await().atMost(Duration.ofSeconds(30)).until(() -> gated.held.get() >= 2);
        assertThat(collector.fluentMetrics().acks()).isZero();
        assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isZero();
        gated.gate.complete(null);
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.fluentMetrics().acks() > 0);
      } finally {
        fluency.close(); // flushes and waits for the acks (ack mode)
      }
      assertThat(fluency.isTerminated()).isTrue();
      List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, n,
          Duration.ofSeconds(30));
      Set<String> lines = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : got) {
        lines.add(LogRecord.parseFrom(r.value()).getBody().getStringValue());
      }
      // at least once: the resent chunk may be there twice, but no line is missing
      assertThat(lines).hasSize(n);
      assertThat(got.size()).isGreaterThanOrEqualTo(n);
    }
  }

  /**
   * Fluency 2.7.3 has no gzip option, so this Ingester builds the CompressedPackedForward message (its entries,
   * formatted by Fluency, gzipped; option compressed: "gzip" and a chunk) and sends it with Fluency's own TCP sender,
   * which waits for the ack.
   */
  static final class GzipIngester implements Ingester {
    final FluentdSender sender;

    GzipIngester(FluentdSender sender) {
      this.sender = sender;
    }

    @Override
    public void ingest(String tag, ByteBuffer entries) throws IOException {
      ByteArrayOutputStream gz = new ByteArrayOutputStream();
      try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
        byte[] b = new byte[entries.remaining()];
        entries.get(b);
        out.write(b);
      }
      String chunk = UUID.randomUUID().toString();
      ByteArrayOutputStream frame = new ByteArrayOutputStream();
      try (MessagePacker p = MessagePack.newDefaultPacker(frame)) {
        p.packArrayHeader(3).packString(tag).packBinaryHeader(gz.size()).writePayload(gz.toByteArray());
        p.packMapHeader(2).packString("chunk").packString(chunk).packString("compressed").packString("gzip");
      }
      sender.sendWithAck(List.of(ByteBuffer.wrap(frame.toByteArray())), chunk);
    }

    @Override
    public Sender getSender() {
      return sender;
    }

    @Override
    public void close() throws IOException {
      sender.close();
    }
  }

  @Test
  void gzipCompressedPackedForwardSentByFluencysSenderArrives() throws Exception {
    String topic = SharedKafka.newTopic("fluent-gzip", 1);
    int n = 500;
    try (Collector collector = Collector.start(config(topic).build())) {
      TCPSender.Config sc = new TCPSender.Config();
      sc.setHost("127.0.0.1");
      sc.setPort(collector.fluentPort());
      FluencyBuilderForFluentd b = new FluencyBuilderForFluentd();
      b.setFlushAttemptIntervalMillis(100);
      b.setWaitUntilBufferFlushed(30);
      b.setWaitUntilFlusherTerminated(30);
      Fluency fluency = b.buildFromIngester(new FluentdRecordFormatter(), new GzipIngester(new TCPSender(sc)));
      try {
        for (int i = 0; i < n; i++) {
          fluency.emit("gz.tag", Map.of("log", "gzipped line " + i + " " + "x".repeat(100)));
        }
      } finally {
        fluency.close(); // flushes and waits for the acks
      }
      assertThat(fluency.isTerminated()).isTrue();
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isGreaterThanOrEqualTo(n);
      assertThat(collector.fluentMetrics().acks()).isPositive();
      List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, n,
          Duration.ofSeconds(30));
      Set<String> lines = new HashSet<>();
      for (ConsumerRecord<byte[], byte[]> r : got) {
        LogRecord rec = LogRecord.parseFrom(r.value());
        lines.add(rec.getBody().getStringValue());
        // no app key in these records: the service is the tag
        assertThat(rec.getAttributesList()).contains(KeyValue.newBuilder().setKey("resource.service.name")
            .setValue(AnyValue.newBuilder().setStringValue("gz.tag")).build());
      }
      assertThat(lines).hasSize(n);
    }
  }

  @Test
  void overTheTenantsRateLimitTheConnectionPausesAndLosesNothing() throws Exception {
    String topic = SharedKafka.newTopic("fluent-limit", 1);
    try (Collector collector = Collector.start(config(topic)
        .tenantDefaultLimit(new io.sluice.collector.config.RateLimit(100, 0, 1)).build());
        ForwardClient c = new ForwardClient(collector.fluentPort())) {
      // two messages of 400 records sent back to back: the first passes on the full bucket and leaves a debt of
      // 3 s of tokens, so the second waits (the connection stops reading) until the tenant may write again
      for (int m = 0; m < 2; m++) {
        int message = m;
        c.send(ForwardClient.pack(p -> {
          p.packArrayHeader(3).packString("limited").packArrayHeader(400);
          for (int i = 0; i < 400; i++) {
            p.packArrayHeader(2).packLong(1_700_000_000L).packMapHeader(1).packString("log")
                .packString("limited " + message + " " + i);
          }
          p.packMapHeader(1).packString("chunk").packString("c" + message);
        }));
      }
      for (int m = 0; m < 2; m++) {
        assertThat(c.next().toString()).isEqualTo("{\"ack\":\"c" + m + "\"}");
      }
      // none was lost or refused
      assertThat(collector.fluentMetrics().errors("rejected")).isZero();
      assertThat(collector.registry().scrape().stream()
          .filter(x -> x.getMetadata().getName().equals("sluice_collector_fluent_throttled_waits")).findFirst()
          .orElseThrow().getDataPoints().get(0))
          .extracting(
              d -> ((io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot) d).getValue())
          .matches(v -> v > 0);
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(800);
    }
  }
}
