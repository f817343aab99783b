package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.RichBatches;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RouteRule;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.route.Router;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What the stream ingest hands to Kafka for a rich batch (every field, non-ASCII text, unknown and repeated fields,
 * every dead-letter reason, routing by resource and by a record's own service): the values, topics, reasons and the
 * inputs of every header, byte for byte. The digest was taken from the collector before it stopped parsing records
 * (main at d6cbbe9, {@code LogBatch.parseFrom} on the ingest path), so this test holds the scan to that output.
 */
class ScannedIngestTest {
  /** SHA-256 of {@link #published} from the parsing collector (d6cbbe9). */
  private static final String BEFORE_SCAN =
      "900e5932c4ee7bcff8d1cd646e36446382edbd930985240d9d923ed38b6915f1";

  private static final CollectorConfig CONFIG = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
      .kafkaBootstrap("unused:9092").topic("logs").maxRecordBytes(4000)
      .route(new RouteRule(null, "pay*", 0, "pay-{service}"))
      .route(new RouteRule(null, null, 17, "errors-{tenant}"))
      .route(new RouteRule(null, "shop", 0, "shop-logs"))
      .shutdownTimeout(Duration.ofSeconds(10)).build();
  private static final List<KeyValue> HELLO = List.of(RichBatches.kv("host.name", "h1"), RichBatches.kv("zone", "eu"));
  private static final List<List<KeyValue>> RESOURCES = List.of(
      List.of(RichBatches.kv("service.name", "checkout"), RichBatches.kv("host.name", "h2")),
      List.of(),
      List.of(RichBatches.kv("service.name", "payments-eu"), RichBatches.kv("zone", "ü")));

  @Test
  void publishesWhatTheParsingCollectorPublished() throws Exception {
    List<PublishBatch> batches = ingest();
    assertThat(digest(batches)).isEqualTo(BEFORE_SCAN);
  }

  @Test
  void routesAndDeadLettersAsTheRecordObjectsSay() throws Exception {
    List<PublishBatch> batches = ingest();
    Router router = new Router(CONFIG);
    for (int b = 0; b < RESOURCES.size(); b++) {
      byte[] bytes = RichBatches.batch(RESOURCES.get(b), RichBatches.records());
      LogBatch parsed = LogBatch.parseFrom(bytes);
      Map<String, AnyValue> resource = RecordEnricher.mergeResource(HELLO, parsed.getResourceList());
      String service = resource.containsKey("service.name") ? resource.get("service.name").getStringValue() : "";
      PublishBatch got = batches.get(b);
      assertThat(got.size()).isEqualTo(parsed.getRecordsCount());
      for (int i = 0; i < got.size(); i++) {
        LogRecord enriched = RecordEnricher.enrich(parsed.getRecords(i), resource);
        // the published value is the record's bytes as sent plus the encoded attributes enrichment added
        int valueBytes = RichBatches.records().get(i).length
            + enriched.getSerializedSize() - parsed.getRecords(i).getSerializedSize();
        String invalid = router.invalidReason(enriched, valueBytes);
        if (invalid != null) {
          assertThat(got.reason(i)).isEqualTo(invalid);
          assertThat(got.topic(i)).isEqualTo("sluice-dead-letter");
          assertThat(got.value(i)).isEqualTo(router.deadLetterValue(enriched).toByteArray());
        } else {
          assertThat(got.reason(i)).isEmpty();
          assertThat(got.topic(i)).isEqualTo(router.route(got.tenant(), service, parsed.getRecords(i)));
          assertThat(LogRecord.parseFrom(got.value(i))).isEqualTo(enriched);
        }
      }
    }
    // the rich batch exercises every dead-letter reason and every kind of route
    assertThat(batches.get(1).reasons()).anyMatch(r -> r.startsWith("INVALID_TRACE_ID"))
        .anyMatch(r -> r.startsWith("INVALID_SPAN_ID")).anyMatch(r -> r.startsWith("INVALID_SEVERITY"))
        .anyMatch(r -> r.startsWith("RECORD_TOO_LARGE"));
    assertThat(batches.get(0).topics()).contains("logs", "errors-acme");
    assertThat(batches.get(1).topics()).contains("logs", "pay-payments", "shop-logs");
    assertThat(batches.get(2).topics()).contains("pay-payments-eu");
  }

  /** Sends the rich batch under each resource on one stream; returns what was handed to the publisher. */
  private static List<PublishBatch> ingest() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    try (Collector collector = Collector.start(CONFIG, publisher);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("rich", 42, HELLO.toArray(new KeyValue[0])));
      for (int b = 0; b < RESOURCES.size(); b++) {
        byte[] raw = RichBatches.batch(RESOURCES.get(b), RichBatches.records());
        s.send(Frames.batch(b + 1, Codec.CODEC_ZSTD, com.github.luben.zstd.Zstd.compress(raw, 3),
            RichBatches.records().size(), raw.length));
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> publisher.published.size() == RESOURCES.size());
      publisher.completeAll();
      for (int b = 0; b < RESOURCES.size(); b++) {
        assertThat(s.next().getAck().getSequence()).isEqualTo(b + 1);
      }
      return publisher.published.stream().map(ManualPublisher.Pending::batch).toList();
    }
  }

  /** Every value, topic, reason and header input of the batches, in order. */
  private static String digest(List<PublishBatch> batches) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (PublishBatch b : batches) {
      text(sha, b.source(), b.tenant(), b.partitionKey());
      sha.update(KafkaHeaders.int64(b.epoch()));
      sha.update(KafkaHeaders.int64(b.sequence()));
      for (int i = 0; i < b.size(); i++) {
        sha.update(KafkaHeaders.int32(i));
        text(sha, String.valueOf(b.topic(i)), b.reason(i));
        sha.update(KafkaHeaders.int32(b.value(i).length));
        sha.update(b.value(i));
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void text(MessageDigest sha, String... parts) {
    for (String p : parts) {
      byte[] b = p.getBytes(StandardCharsets.UTF_8);
      sha.update(KafkaHeaders.int32(b.length));
      sha.update(b);
    }
  }
}
