package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import io.grpc.Status;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.Nack;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.kafka.KafkaHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/** End to end over real gRPC and the shared in-JVM KRaft broker. */
class IngestServiceIT {
  private static final int MAX_FRAME = 64 * 1024;
  private static final int MAX_DECODED = 1 << 20;

  private static CollectorConfig config(String topic) {
    return CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(topic)
        .maxFrameBytes(MAX_FRAME).maxDecompressedBytes(MAX_DECODED).shutdownTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void publishesEveryRecordWithIdentityHeadersAndAcksOnlyAfterKafka() throws Exception {
    String topic = SharedKafka.newTopic("ingest", 3);
    try (Collector collector = Collector.start(config(topic));
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("client-1", 42L,
          Frames.kv("service.name", "checkout"), Frames.kv("host.name", "h1")));
      LogBatch b1 = Frames.logBatch("one", 5, Frames.kv("env", "prod"));
      LogBatch b2 = Frames.logBatch("two", 7, Frames.kv("host.name", "h2"));

      s.send(Frames.zstdBatch(1, b1));
      assertThat(s.next().getAck().getSequence()).isEqualTo(1);
      // the ack came after Kafka acknowledged: the records are already in the log
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(5);

      s.send(Frames.zstdBatch(2, b2));
      assertThat(s.next().getAck().getSequence()).isEqualTo(2);
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(12);

      List<ConsumerRecord<byte[], byte[]>> got =
          KafkaRecords.read(SharedKafka.bootstrap(), topic, 12, Duration.ofSeconds(30));
      assertThat(got).hasSize(12);
      got.sort(Comparator.comparingLong((ConsumerRecord<byte[], byte[]> r) -> seq(r)).thenComparingInt(r -> idx(r)));
      for (int i = 0; i < 12; i++) {
        ConsumerRecord<byte[], byte[]> r = got.get(i);
        boolean first = i < 5;
        int idx = first ? i : i - 5;
        assertThat(text(r, KafkaHeaders.SOURCE)).isEqualTo("client-1");
        assertThat(KafkaHeaders.readInt64(header(r, KafkaHeaders.EPOCH))).isEqualTo(42L);
        assertThat(header(r, KafkaHeaders.EPOCH)).hasSize(8);
        assertThat(seq(r)).isEqualTo(first ? 1 : 2);
        assertThat(header(r, KafkaHeaders.IDX)).hasSize(4);
        assertThat(idx(r)).isEqualTo(idx);
        assertThat(text(r, KafkaHeaders.TENANT)).isEqualTo("acme");
        assertThat(text(r, KafkaHeaders.SCHEMA)).isEqualTo("1");
        assertThat(java.util.Arrays.stream(r.headers().toArray()).map(h -> h.key()))
            .containsExactly(KafkaHeaders.SOURCE, KafkaHeaders.EPOCH, KafkaHeaders.SEQ, KafkaHeaders.IDX,
                KafkaHeaders.TENANT, KafkaHeaders.SCHEMA);
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(first ? "checkout/h1" : "checkout/h2");

        LogRecord sent = (first ? b1 : b2).getRecords(idx);
        LogRecord value = LogRecord.parseFrom(r.value());
        assertThat(value.toBuilder().clearAttributes().build()).isEqualTo(sent.toBuilder().clearAttributes().build());
        Map<String, String> attrs = value.getAttributesList().stream()
            .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
        if (first) {
          assertThat(attrs).containsExactlyInAnyOrderEntriesOf(Map.of("k", "v", "resource.service.name", "checkout",
              "resource.host.name", "h1", "resource.env", "prod"));
        } else {
          assertThat(attrs).containsExactlyInAnyOrderEntriesOf(Map.of("k", "v", "resource.service.name", "checkout",
              "resource.host.name", "h2"));
        }
      }
      assertThat(collector.metrics().recordsPublished()).isEqualTo(12);
      assertThat(collector.metrics().batchesAcked()).isEqualTo(2);
    }
  }

  @Test
  void theBatchFormatPassesTheClientsZstdFrameOnAsItCameWithTheResourceInAHeader() throws Exception {
    String topic = SharedKafka.newTopic("ingest-forward", 1);
    try (Collector collector = Collector.start(config(topic));
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("client-f", 5, Frames.kv("service.name", "checkout")));
      LogBatch b = Frames.logBatch("fwd", 20, Frames.kv("env", "prod"));
      io.sluice.proto.v1.ClientFrame frame = Frames.zstdBatch(1, b);
      s.send(frame);
      assertThat(s.next().getAck().getSequence()).isEqualTo(1);

      ConsumerRecord<byte[], byte[]> r = KafkaRecords.readRaw(SharedKafka.bootstrap(), topic, 1,
          Duration.ofSeconds(30)).get(0);
      assertThat(text(r, KafkaHeaders.SCHEMA)).isEqualTo(KafkaHeaders.SCHEMA_BATCH);
      assertThat(r.value()).as("the client's frame, neither decoded nor compressed again")
          .isEqualTo(frame.getBatch().getPayload().toByteArray());
      assertThat(LogBatch.parseFrom(header(r, KafkaHeaders.RESOURCE)).getResourceList())
          .containsExactly(Frames.kv("service.name", "checkout"), Frames.kv("env", "prod"));
      assertThat(r.headers().lastHeader(KafkaHeaders.INDEXES)).isNull();
      // read back, every line is the record the record format would carry
      List<ConsumerRecord<byte[], byte[]>> lines = KafkaRecords.lines(r);
      assertThat(lines).hasSize(20);
      LogRecord line = LogRecord.parseFrom(lines.get(3).value());
      assertThat(line).isEqualTo(b.getRecords(3).toBuilder().addAttributes(Frames.kv("resource.service.name",
          "checkout")).addAttributes(Frames.kv("resource.env", "prod")).build());
    }
  }

  @Test
  void badFramesGetClearNacksWhileAnotherStreamKeepsDelivering() throws Exception {
    String topic = SharedKafka.newTopic("bad-frames", 1);
    try (Collector collector = Collector.start(config(topic));
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream good = client.open().send(Frames.hello("good", 1));
      IngestClient.Stream bad = client.open().send(Frames.hello("bad", 1));
      int goodRecords = 0;
      long goodSeq = 0;

      // garbage payload
      bad.send(Frames.batch(1, Codec.CODEC_ZSTD, "\u0000garbage, not zstd".getBytes(), 1, 20));
      assertNack(bad.next(), 1, "CORRUPT_PAYLOAD");
      good.send(Frames.zstdBatch(++goodSeq, Frames.logBatch("g1", 3)));
      goodRecords += 3;

      // payload above limits.maxFrameBytes, but small enough to get through gRPC: a Nack, the stream stays
      bad.send(Frames.batch(2, Codec.CODEC_NONE, new byte[MAX_FRAME + 100], 0, 0));
      assertNack(bad.next(), 2, "FRAME_TOO_LARGE");

      // zstd bomb declaring its size
      byte[] declared = Zstd.compress(new byte[64 << 20], 3);
      bad.send(Frames.batch(3, Codec.CODEC_ZSTD, declared, 1, 100));
      assertNack(bad.next(), 3, "DECOMPRESSED_TOO_LARGE");

      // zstd bomb without a declared size (streamed), lying about uncompressed_size
      bad.send(Frames.batch(4, Codec.CODEC_ZSTD, streamedZeros(64 << 20), 1, 100));
      assertNack(bad.next(), 4, "DECOMPRESSED_TOO_LARGE");
      good.send(Frames.zstdBatch(++goodSeq, Frames.logBatch("g2", 4)));
      goodRecords += 4;

      // decodes, but is not a LogBatch; then a record count that lies
      byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
      bad.send(Frames.batch(5, Codec.CODEC_ZSTD, Zstd.compress(junk), 1, junk.length));
      assertNack(bad.next(), 5, "UNPARSABLE");
      LogBatch two = Frames.logBatch("liar", 2);
      bad.send(Frames.batch(6, Codec.CODEC_ZSTD, Zstd.compress(two.toByteArray()), 3, two.getSerializedSize()));
      assertNack(bad.next(), 6, "COUNT_MISMATCH");
      bad.send(Frames.batch(7, Codec.CODEC_UNSPECIFIED, new byte[4], 0, 0));
      assertNack(bad.next(), 7, "BAD_CODEC");

      // the bad stream is still open and accepts a good batch
      bad.send(Frames.zstdBatch(8, Frames.logBatch("b8", 1)));
      assertThat(bad.next().getAck().getSequence()).isEqualTo(8);
      goodRecords += 1;

      // a frame above gRPC's own inbound limit: that stream ends with RESOURCE_EXHAUSTED, nobody else notices
      IngestClient.Stream huge = client.open().send(Frames.hello("huge", 1))
          .send(Frames.batch(1, Codec.CODEC_NONE, new byte[MAX_FRAME + 4096], 0, 0));
      Status hugeStatus = huge.awaitClose();
      assertThat(hugeStatus.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

      good.send(Frames.zstdBatch(++goodSeq, Frames.logBatch("g3", 5)));
      goodRecords += 5;
      for (long i = 1; i <= goodSeq; i++) {
        assertThat(good.next().getAck().getSequence()).isEqualTo(i);
      }
      assertThat(good.closed).isNotDone();
      assertThat(bad.closed).isNotDone();

      assertThat(KafkaRecords.read(SharedKafka.bootstrap(), topic, goodRecords, Duration.ofSeconds(30)))
          .hasSize(goodRecords);
      CollectorMetrics.Snapshot m = collector.metrics();
      assertThat(m.nacked(NackReason.DECOMPRESSED_TOO_LARGE)).isEqualTo(2);
      assertThat(m.nacked(NackReason.CORRUPT_PAYLOAD)).isEqualTo(1);
      assertThat(m.batchesAcked()).isEqualTo(goodSeq + 1);
    }
  }

  private static void assertNack(ServerFrame frame, long seq, String reason) {
    assertThat(frame.hasNack()).as("expected a nack, got %s", frame).isTrue();
    Nack n = frame.getNack();
    assertThat(n.getSequence()).isEqualTo(seq);
    assertThat(n.getRetryable()).isFalse();
    assertThat(n.getReason()).startsWith(reason + ": ");
  }

  private static byte[] streamedZeros(int size) throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    byte[] chunk = new byte[1 << 16];
    try (ZstdOutputStream z = new ZstdOutputStream(bos)) {
      for (int written = 0; written < size; written += chunk.length) {
        z.write(chunk);
      }
    }
    return bos.toByteArray();
  }

  static byte[] header(ConsumerRecord<byte[], byte[]> r, String key) {
    Header h = r.headers().lastHeader(key);
    assertThat(h).as("header %s", key).isNotNull();
    return h.value();
  }

  static String text(ConsumerRecord<byte[], byte[]> r, String key) {
    return new String(header(r, key), StandardCharsets.UTF_8);
  }

  static long seq(ConsumerRecord<byte[], byte[]> r) {
    return KafkaHeaders.readInt64(header(r, KafkaHeaders.SEQ));
  }

  static int idx(ConsumerRecord<byte[], byte[]> r) {
    return KafkaHeaders.readInt32(header(r, KafkaHeaders.IDX));
  }
}
