package io.sluice.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Frames;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaHeaders;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Both Kafka record formats through the in-JVM broker: a batch split by destination topic, each topic in the format
 * configured for it, read back by a consumer of each format with every line's identity; a resent batch repeats the
 * same identities; a batch-format record the broker refuses as too large is sent again line by line.
 */
class KafkaFormatsIT {
  private static final KafkaRecordReader READER = new KafkaRecordReader();

  @Test
  void splitsABatchByTopicAndWritesEachTopicInItsFormat() throws Exception {
    String batched = SharedKafka.newTopic("formats-batch", 1);
    String perLine = SharedKafka.newTopic("formats-record", 1);
    String dlq = SharedKafka.newTopic("formats-dlq", 1);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      records.add(Frames.record("line-" + i));
    }
    // lines 0, 2, 4 to the batch topic, 1, 3 to the record topic, 5 dead-lettered by a routing rule
    List<String> topics = List.of(batched, perLine, batched, perLine, batched, dlq);
    List<String> reasons = List.of("", "", "", "", "", "ROUTE_INVALID: no topic for service x");
    TopicFormats formats = new TopicFormats(KafkaFormat.BATCH, Map.of(perLine, KafkaFormat.RECORD));
    try (KafkaPublisher publisher = new KafkaPublisher(KafkaPublisher.producerDefaults(SharedKafka.bootstrap()),
        batched, dlq, KafkaPublisher.Options.DEFAULTS, formats)) {
      publisher.publish(new PublishBatch("app-1", 3, "acme", 17, "k", records, 100, topics, reasons))
          .get(60, TimeUnit.SECONDS);
      assertThat(publisher.kafkaRecordsSent()).isEqualTo(1 + 2 + 1);
    }

    // the consumer of the batch format: one Kafka record holding three lines, with their indexes in the batch
    List<ConsumerRecord<byte[], byte[]>> batchRecords = KafkaRecords.readRaw(SharedKafka.bootstrap(), batched, 1,
        Duration.ofSeconds(30));
    assertThat(batchRecords).hasSize(1);
    ConsumerRecord<byte[], byte[]> b = batchRecords.get(0);
    assertThat(header(b, KafkaHeaders.SCHEMA)).isEqualTo(KafkaHeaders.SCHEMA_BATCH);
    assertThat(KafkaHeaders.readInt32(b.headers().lastHeader(KafkaHeaders.COUNT).value())).isEqualTo(3);
    assertThat(b.headers().lastHeader(KafkaHeaders.IDX)).isNull();
    List<KafkaLine> lines = READER.read(name -> value(b, name), b.value());
    assertThat(lines).extracting(KafkaLine::index).containsExactly(0, 2, 4);
    assertThat(lines).extracting(l -> l.record().getBody().getStringValue())
        .containsExactly("line-0", "line-2", "line-4");
    assertThat(lines).allSatisfy(l -> {
      assertThat(l.source()).isEqualTo("app-1");
      assertThat(l.epoch()).isEqualTo(3);
      assertThat(l.sequence()).isEqualTo(17);
      assertThat(l.tenant()).isEqualTo("acme");
    });

    // the consumer of the record format: one Kafka record per line, a plain LogRecord each
    List<ConsumerRecord<byte[], byte[]>> recordRecords = KafkaRecords.readRaw(SharedKafka.bootstrap(), perLine, 2,
        Duration.ofSeconds(30));
    assertThat(recordRecords).hasSize(2);
    assertThat(recordRecords).allSatisfy(r -> assertThat(header(r, KafkaHeaders.SCHEMA))
        .isEqualTo(KafkaHeaders.SCHEMA_RECORD));
    assertThat(recordRecords).extracting(r -> KafkaHeaders.readInt32(r.headers().lastHeader(KafkaHeaders.IDX).value()))
        .containsExactly(1, 3);
    assertThat(recordRecords).extracting(r -> LogRecord.parseFrom(r.value()).getBody().getStringValue())
        .containsExactly("line-1", "line-3");

    // dead-lettered per line, in the dead-letter topic's format (batch), with its reason
    List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.readRaw(SharedKafka.bootstrap(), dlq, 1,
        Duration.ofSeconds(30));
    assertThat(dead).hasSize(1);
    List<KafkaLine> deadLines = READER.read(name -> value(dead.get(0), name), dead.get(0).value());
    assertThat(deadLines).singleElement().satisfies(l -> {
      assertThat(l.index()).isEqualTo(5);
      assertThat(l.reason()).startsWith("ROUTE_INVALID");
      assertThat(l.record().getBody().getStringValue()).isEqualTo("line-5");
    });
  }

  @Test
  void aResentBatchRepeatsEachLinesIdentitySoDuplicatesDropPerLine() throws Exception {
    String topic = SharedKafka.newTopic("formats-resend", 2);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      records.add(Frames.record("resend-" + i));
    }
    try (KafkaPublisher publisher = new KafkaPublisher(KafkaPublisher.producerDefaults(SharedKafka.bootstrap()),
        topic, null, KafkaPublisher.Options.DEFAULTS, TopicFormats.all(KafkaFormat.BATCH))) {
      for (long seq = 1; seq <= 2; seq++) {
        publisher.publish(new PublishBatch("app-2", 1, "t", seq, "k", records, 100)).get(60, TimeUnit.SECONDS);
      }
      // the client did not see the ack of batch 2 (a collector restart) and sends it again
      publisher.publish(new PublishBatch("app-2", 1, "t", 2, "k", records, 100)).get(60, TimeUnit.SECONDS);
    }
    List<ConsumerRecord<byte[], byte[]>> lines = KafkaRecords.read(SharedKafka.bootstrap(), topic, 150,
        Duration.ofSeconds(30));
    assertThat(lines).hasSize(150);
    Set<String> identities = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : lines) {
      identities.add(header(r, KafkaHeaders.SOURCE) + "/" + KafkaHeaders.readInt64(value(r, KafkaHeaders.EPOCH))
          + "/" + KafkaHeaders.readInt64(value(r, KafkaHeaders.SEQ)) + "/"
          + KafkaHeaders.readInt32(value(r, KafkaHeaders.IDX)));
    }
    assertThat(identities).as("distinct lines after dropping duplicates by identity").hasSize(100);
  }

  @Test
  void aBatchRecordTooLargeForTheTopicIsSentLineByLineAndOnlyTheTooLargeLineIsDeadLettered() throws Exception {
    String topic = "formats-small-" + UUID.randomUUID().toString().substring(0, 8);
    SharedKafka.get().admin().createTopics(List.of(new NewTopic(topic, 1, (short) 1)
        .configs(Map.of("max.message.bytes", "6000")))).all().get(30, TimeUnit.SECONDS);
    String dlq = SharedKafka.newTopic("formats-small-dlq", 1);
    Random random = new Random(7);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      records.add(withBody("ok-" + i + " " + noise(random, 1500))); // ~2 KB each, incompressible: 8 do not fit
    }
    records.add(withBody("huge " + noise(random, 9000)));
    try (KafkaPublisher publisher = new KafkaPublisher(KafkaPublisher.producerDefaults(SharedKafka.bootstrap()),
        topic, dlq, KafkaPublisher.Options.DEFAULTS, TopicFormats.all(KafkaFormat.BATCH))) {
      publisher.publish(new PublishBatch("app-3", 1, "t", 1, "k", records, 100)).get(60, TimeUnit.SECONDS);
      assertThat(publisher.batchFallbacks()).isEqualTo(1);
      assertThat(publisher.deadLetteredByReason()).containsEntry("RECORD_TOO_LARGE", 1L);
    }
    List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, 8,
        Duration.ofSeconds(30));
    assertThat(got).extracting(r -> KafkaHeaders.readInt32(value(r, KafkaHeaders.IDX)))
        .containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
    List<ConsumerRecord<byte[], byte[]>> dead = KafkaRecords.read(SharedKafka.bootstrap(), dlq, 1,
        Duration.ofSeconds(30));
    assertThat(dead).singleElement().satisfies(r -> {
      assertThat(KafkaHeaders.readInt32(value(r, KafkaHeaders.IDX))).isEqualTo(8);
      assertThat(header(r, KafkaHeaders.REASON)).startsWith("RECORD_TOO_LARGE");
    });
  }

  @Test
  void aBatchLargerThanARequestIsCutIntoSeveralBatchRecordsKeepingEachLinesIndex() throws Exception {
    String topic = SharedKafka.newTopic("formats-cut", 1);
    Random random = new Random(11);
    List<LogRecord> records = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      records.add(withBody("cut-" + i + " " + noise(random, 1000))); // incompressible: 40 KB do not fit 20 KB
    }
    Map<String, Object> props = KafkaPublisher.producerDefaults(SharedKafka.bootstrap());
    props.put("max.request.size", String.valueOf(20 * 1024 + 16 * 1024));
    try (KafkaPublisher publisher = new KafkaPublisher(props, topic, null, KafkaPublisher.Options.DEFAULTS,
        TopicFormats.all(KafkaFormat.BATCH))) {
      publisher.publish(new PublishBatch("app-4", 1, "t", 1, "k", records, 100)).get(60, TimeUnit.SECONDS);
      assertThat(publisher.batchFallbacks()).as("no record was refused and resent line by line").isZero();
      assertThat(publisher.kafkaRecordsSent()).isBetween(2L, 4L);
    }
    List<ConsumerRecord<byte[], byte[]>> raw = KafkaRecords.readRaw(SharedKafka.bootstrap(), topic, 2,
        Duration.ofSeconds(30));
    assertThat(raw).allSatisfy(r -> assertThat(header(r, KafkaHeaders.SCHEMA)).isEqualTo(KafkaHeaders.SCHEMA_BATCH));
    List<Integer> indexes = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : raw) {
      for (KafkaLine l : READER.read(name -> value(r, name), r.value())) {
        indexes.add(l.index());
        assertThat(l.record().getBody().getStringValue()).startsWith("cut-" + l.index() + " ");
      }
    }
    assertThat(indexes).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 40).boxed().toList());
  }

  private static LogRecord withBody(String body) {
    return LogRecord.newBuilder().setTimeUnixNano(1).setBody(AnyValue.newBuilder().setStringValue(body)).build();
  }

  private static String noise(Random random, int bytes) {
    byte[] b = new byte[bytes * 3 / 4];
    random.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  private static byte[] value(ConsumerRecord<byte[], byte[]> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? null : h.value();
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
