package io.sluice.collector.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * /livez, /readyz, /metrics and the gRPC health service against a private in-JVM broker that the test stops and
 * starts: not ready (HTTP 503, NOT_SERVING) while Kafka metadata is unavailable, ready again after.
 */
class OperationsIT {
  @Test
  void readinessFollowsKafkaAndMetricsCountWhatWasPublished() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("ops", 1, 1);
      CollectorConfig config =
          CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(kafka.bootstrapServers())
              .topic("ops").createTopic(false).producerOverride("max.block.ms", "2000")
              .producerOverride("delivery.timeout.ms", "3000").producerOverride("request.timeout.ms", "1000")
              .shutdownTimeout(Duration.ofSeconds(3)).build();
      try (Collector collector = Collector.start(config);
          IngestClient client = new IngestClient(collector.port())) {
        String base = "http://127.0.0.1:" + collector.httpPort();
        assertThat(Http.get(base + "/livez").status()).isEqualTo(200);
        assertThat(Http.get(base + "/readyz").status()).isEqualTo(200);
        ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", collector.port()).usePlaintext().build();
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch);
        assertThat(health.check(HealthCheckRequest.newBuilder().setService("sluice.v1.IngestService").build())
            .getStatus()).isEqualTo(ServingStatus.SERVING);

        IngestClient.Stream s = client.open().send(Frames.hello("ops-client", 1));
        s.send(Frames.zstdBatch(1, Frames.logBatch("m", 3)));
        assertThat(s.next().hasAck()).isTrue();
        String metrics = Http.get(base + "/metrics").body();
        assertThat(metrics).contains("sluice_collector_records_published_total 3.0")
            .contains("sluice_collector_batches_acked_total 1.0")
            .contains("sluice_collector_tenant_records_total{tenant=\"acme\"} 3.0")
            .contains("sluice_collector_kafka_publish_seconds_count 1")
            .contains("sluice_collector_batches_nacked_total{reason=\"RATE_LIMITED\"} 0.0")
            .contains("sluice_collector_inflight_bytes 0.0")
            .contains("sluice_collector_kafka_ready 1.0");

        kafka.stopBroker(kafka.brokerIds().iterator().next());
        await().atMost(Duration.ofSeconds(30)).until(() -> Http.get(base + "/readyz").status() == 503);
        assertThat(Http.get(base + "/readyz").body()).contains("Kafka metadata unavailable");
        assertThat(Http.get(base + "/livez").status()).isEqualTo(200);
        assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
            .isEqualTo(ServingStatus.NOT_SERVING);
        assertThat(Http.get(base + "/metrics").body()).contains("sluice_collector_kafka_ready 0.0");

        kafka.startBroker(kafka.brokerIds().iterator().next());
        await().atMost(Duration.ofSeconds(60)).until(() -> Http.get(base + "/readyz").status() == 200);
        assertThat(health.check(HealthCheckRequest.getDefaultInstance()).getStatus())
            .isEqualTo(ServingStatus.SERVING);
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
