package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Back-pressure: while the publisher (Kafka) holds batches, the collector stops reading frames, and the client
 * sees it as isReady() = false; completing the publishes resumes reading.
 */
class FlowControlTest {
  private static final Duration STEADY = Duration.ofMillis(500);

  @Test
  void stopsReadingAtThePerStreamBoundAndResumesWhenPublished() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    LogBatch batch = Frames.logBatch("x".repeat(1000), 100); // ~110 KB decoded
    long size = batch.getSerializedSize();
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .maxInFlightBytesPerStream(3 * size).maxInFlightBytes(100 * size).build();
    try (Collector collector = Collector.start(config, publisher);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("c", 1));
      int total = 40;
      for (int i = 1; i <= total; i++) {
        s.send(Frames.zstdBatch(i, batch));
      }
      // Three batches fill the per-stream bound; no fourth frame is read while they are pending.
      await().until(() -> publisher.published.size() == 3);
      await().during(STEADY).atMost(STEADY.multipliedBy(4)).until(() -> publisher.published.size() == 3);
      assertThat(s.received).isEmpty();
      assertThat(collector.metrics().inFlightBytes()).isEqualTo(3 * size);

      // Each completion lets more in; in the end everything is acked exactly once.
      Set<Long> acked = new HashSet<>();
      await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(30)).until(() -> {
        publisher.completeAll();
        List<ServerFrame> frames = new ArrayList<>();
        s.received.drainTo(frames);
        frames.forEach(f -> acked.add(f.getAck().getSequence()));
        return acked.size() == total;
      });
      assertThat(publisher.published).hasSize(total);
      assertThat(collector.metrics().inFlightBytes()).isZero();
    }
  }

  @Test
  void globalBoundPausesEveryStreamAndTheClientSeesNotReady() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    // incompressible-ish records so frames are big on the wire and fill the HTTP/2 window quickly
    java.util.Random random = new java.util.Random(1);
    LogBatch.Builder b = LogBatch.newBuilder();
    for (int i = 0; i < 16; i++) {
      byte[] noise = new byte[16 * 1024];
      random.nextBytes(noise);
      b.addRecords(Frames.record(java.util.Base64.getEncoder().encodeToString(noise)));
    }
    LogBatch batch = b.build();
    long size = batch.getSerializedSize();
    // On the wire a frame is its message plus gRPC's 5-byte header; HTTP/2 windows count these bytes.
    long wire = Frames.zstdBatch(1, batch).getSerializedSize() + 5;
    // What one stream can have sent that the collector did not read: its HTTP/2 window (the connection's is refilled
    // as data arrives: no further bound). What it read (at most the 2 + 2 frames below) may have gone back to the
    // client in WINDOW_UPDATEs too. Each stream writes two frames more than window and reads hold, so more than
    // gRPC's 32 KiB on-ready threshold stays queued in the client whichever frames the collector read.
    int frames = (int) ((Collector.FLOW_CONTROL_WINDOW_BYTES + 4 * wire) / wire) + 2;
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .maxInFlightBytesPerStream(100 * size).maxInFlightBytes(2 * size).build();
    try (Collector collector = Collector.start(config, publisher);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s1 = client.open().send(Frames.hello("a", 1));
      IngestClient.Stream s2 = client.open().send(Frames.hello("b", 1));
      for (int i = 1; i <= frames; i++) {
        s1.send(Frames.zstdBatch(i, batch));
        s2.send(Frames.zstdBatch(i, batch));
      }
      // Two batches exhaust the collector-wide budget, whichever streams they came from; each stream may have had
      // one more frame requested before the budget ran out, so at most 2 + 2 are read and admitted (the bound is
      // soft by one frame per stream). The unread frames back up into the transport: the client is told to stop
      // writing, and stays stopped while nothing is published.
      await().until(() -> publisher.published.size() >= 2);
      await().during(STEADY).atMost(STEADY.multipliedBy(4)).until(() -> publisher.published.size() <= 4
          && collector.metrics().inFlightBytes() <= 4 * size && !s1.isReady() && !s2.isReady());

      Set<String> acked = new HashSet<>();
      await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(30)).until(() -> {
        publisher.completeAll();
        drainAcks(s1, "a", acked);
        drainAcks(s2, "b", acked);
        return acked.size() == 2 * frames;
      });
      await().until(() -> s1.isReady() && s2.isReady());
    }
  }

  private static void drainAcks(IngestClient.Stream s, String prefix, Set<String> acked) {
    List<ServerFrame> frames = new ArrayList<>();
    s.received.drainTo(frames);
    for (ServerFrame f : frames) {
      assertThat(f.hasAck()).as("only acks expected, got %s", f).isTrue();
      acked.add(prefix + f.getAck().getSequence());
    }
  }
}
