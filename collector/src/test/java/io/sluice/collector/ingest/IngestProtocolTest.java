package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.NackReason;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.ServerFrame;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The stream protocol over real gRPC on 127.0.0.1, with a hand-completed publisher in place of Kafka. */
class IngestProtocolTest {
  private final ManualPublisher publisher = new ManualPublisher();
  private Collector collector;
  private IngestClient client;

  @BeforeEach
  void start() throws Exception {
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .shutdownTimeout(Duration.ofSeconds(10)).build();
    collector = Collector.start(config, publisher);
    client = new IngestClient(collector.port());
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    collector.close();
  }

  @Test
  void batchBeforeHelloIsInvalidArgument() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.zstdBatch(1, Frames.logBatch("a", 1)));
    Status status = s.awaitClose();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("first frame must be Hello");
    assertThat(publisher.published).isEmpty();
  }

  @Test
  void emptyClientIdIsInvalidArgument() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.hello("", 1));
    assertThat(s.awaitClose().getDescription()).contains("client_id is empty");
  }

  @Test
  void unsupportedProtocolVersionIsInvalidArgument() throws Exception {
    ClientFrame hello = Frames.hello("c", 1);
    hello = hello.toBuilder().setHello(hello.getHello().toBuilder().setProtocolVersion(2)).build();
    Status status = client.open().send(hello).awaitClose();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("protocol_version 2");
  }

  @Test
  void secondHelloIsInvalidArgument() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.hello("c", 1)).send(Frames.hello("c", 1));
    Status status = s.awaitClose();
    assertThat(status.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(status.getDescription()).contains("Hello was already received");
    assertThat(collector.metrics().streamsRejected()).isEqualTo(1);
  }

  @Test
  void badBatchIsNackedAndTheStreamGoesOn() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.hello("c", 1));
    s.send(Frames.batch(1, Codec.CODEC_ZSTD, "garbage".getBytes(), 1, 0));
    ServerFrame nack = s.next();
    assertThat(nack.getNack().getSequence()).isEqualTo(1);
    assertThat(nack.getNack().getRetryable()).isFalse();
    assertThat(nack.getNack().getReason()).startsWith("CORRUPT_PAYLOAD");

    s.send(Frames.zstdBatch(2, Frames.logBatch("b", 2)));
    await().until(() -> publisher.published.size() == 1);
    publisher.completeAll();
    assertThat(s.next().getAck().getSequence()).isEqualTo(2);
    assertThat(collector.metrics().nacked(NackReason.CORRUPT_PAYLOAD)).isEqualTo(1);
    assertThat(collector.metrics().batchesAcked()).isEqualTo(1);
  }

  @Test
  void ackWaitsForThePublisherAndFailureIsARetryableNack() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.hello("c", 1)).send(Frames.zstdBatch(5, Frames.logBatch("a", 3)))
        .send(Frames.zstdBatch(6, Frames.logBatch("b", 3)));
    await().until(() -> publisher.published.size() == 2);
    assertThat(s.received).isEmpty(); // nothing acked before the publisher says so
    publisher.published.get(1).future().completeExceptionally(new RuntimeException("broker gone"));
    ServerFrame nack = s.next();
    assertThat(nack.getNack().getSequence()).isEqualTo(6);
    assertThat(nack.getNack().getRetryable()).isTrue();
    assertThat(nack.getNack().getRetryAfterMs()).isEqualTo(1000);
    assertThat(nack.getNack().getReason()).contains("KAFKA_FAILED", "broker gone");
    publisher.published.get(0).future().complete(null);
    assertThat(s.next().getAck().getSequence()).isEqualTo(5);
  }

  @Test
  void gracefulShutdownWaitsForInFlightBatchesThenSendsGoAway() throws Exception {
    IngestClient.Stream s = client.open().send(Frames.hello("c", 1)).send(Frames.zstdBatch(1, Frames.logBatch("a", 1)))
        .send(Frames.zstdBatch(2, Frames.logBatch("b", 1)));
    await().until(() -> publisher.published.size() == 2);
    CompletableFuture<Void> closing = CompletableFuture.runAsync(collector::close);
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !closing.isDone());
    publisher.completeAll();
    closing.get();
    assertThat(s.next().getAck().getSequence()).isEqualTo(1);
    assertThat(s.next().getAck().getSequence()).isEqualTo(2);
    assertThat(s.next().hasGoAway()).isTrue();
    assertThat(s.awaitClose().isOk()).isTrue();
    assertThat(publisher.closed).isTrue();
  }

  @Test
  void shutdownDeadlineNacksWhatKafkaDidNotAcknowledge() throws Exception {
    collector.close();
    collector =
        Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .shutdownTimeout(Duration.ofMillis(200)).build(), publisher);
    client.close();
    client = new IngestClient(collector.port());
    IngestClient.Stream s = client.open().send(Frames.hello("c", 1)).send(Frames.zstdBatch(9, Frames.logBatch("a", 1)));
    await().until(() -> publisher.published.size() == 1);
    collector.close();
    ServerFrame nack = s.next();
    assertThat(nack.getNack().getSequence()).isEqualTo(9);
    assertThat(nack.getNack().getRetryable()).isTrue();
    assertThat(nack.getNack().getReason()).startsWith("SHUTTING_DOWN");
    assertThat(s.next().hasGoAway()).isTrue();
  }
}
