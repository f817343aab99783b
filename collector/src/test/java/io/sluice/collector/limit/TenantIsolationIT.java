package io.sluice.collector.limit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.NackReason;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import io.sluice.sdk.pipeline.Diagnostics;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tenants through real sdk-core pipelines (RocksDB spools, GrpcShipper) into one collector and the in-JVM
 * broker: "flood" is rate limited and gets RATE_LIMITED nacks with retry_after_ms, which its ShipWorker honours by
 * keeping the batches in its spool; "calm" is never throttled and its records reach Kafka promptly. Counted at
 * Kafka by record identity: nothing is lost for either.
 */
class TenantIsolationIT {
  @Test
  void floodingTenantIsThrottledWithoutSlowingAnotherAndNothingIsLost(@TempDir Path dir) throws Exception {
    String topic = SharedKafka.newTopic("isolation", 3);
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(topic).createTopic(false)
        .tenant(new TenantConfig("flood", List.of(Authenticator.sha256Hex("flood-key")), List.of(), List.of(),
            new RateLimit(2_000, 0, 1)))
        .tenant(new TenantConfig("calm", List.of(Authenticator.sha256Hex("calm-key")), List.of(), List.of(),
            new RateLimit(2_000, 0, 1)))
        .build();
    int floodRecords = 12_000;
    int calmRecords = 200;
    try (Collector collector = Collector.start(config)) {
      String endpoint = "127.0.0.1:" + collector.port();
      try (Pipeline flood = Pipeline.start(pipeline(endpoint, "flood-key", dir.resolve("flood")));
          Pipeline calm = Pipeline.start(pipeline(endpoint, "calm-key", dir.resolve("calm")))) {
        for (int i = 0; i < floodRecords; i++) {
          assertThat(flood.offer(Frames.record("flood-" + i))).isTrue();
        }
        long calmStart = System.nanoTime();
        for (int i = 0; i < calmRecords; i++) {
          calm.offer(Frames.record("calm-" + i));
          java.util.concurrent.locks.LockSupport.parkNanos(5_000_000); // pacing a steady tenant, not awaiting a condition
        }
        // calm's records are all in Kafka shortly after it logged them, while flood still waits for tokens
        await().atMost(Duration.ofSeconds(10)).until(() -> calm.stats().acknowledged() >= calmRecords);
        Duration calmTook = Duration.ofNanos(System.nanoTime() - calmStart);
        assertThat(flood.stats().acknowledged()).isLessThan(floodRecords);
        assertThat(calmTook).isLessThan(Duration.ofSeconds(6));

        try {
          await().atMost(Duration.ofSeconds(30)).until(() -> flood.stats().acknowledged() >= floodRecords);
        } catch (Throwable t) {
          throw new AssertionError("flood: " + flood.stats() + "\ncollector: " + collector.metrics(), t);
        }
      }
      String metrics = Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body();
      assertThat(metrics).contains("sluice_collector_tenant_throttled_batches_total{tenant=\"calm\"} 0.0");
      assertThat(metrics).doesNotContain("sluice_collector_tenant_throttled_batches_total{tenant=\"flood\"} 0.0");
      assertThat(collector.metrics().nacked(NackReason.RATE_LIMITED)).isPositive();
    }
    List<ConsumerRecord<byte[], byte[]>> all =
        KafkaRecords.read(SharedKafka.bootstrap(), topic, floodRecords + calmRecords, Duration.ofSeconds(60));
    assertThat(distinct(all, "flood")).hasSize(floodRecords);
    assertThat(distinct(all, "calm")).hasSize(calmRecords);
  }

  private static PipelineConfig pipeline(String endpoint, String key, Path spool) {
    return PipelineConfig.builder().endpoint(endpoint).serviceName("isolation").credentials(key)
        .spoolDir(spool).lingerMs(20).batchMaxRecords(500).reconnectMinMs(20).reconnectMaxMs(200)
        .diagnostics(Diagnostics.NONE).build();
  }

  /** Record identities (source, epoch, seq, idx) of one tenant: duplicates from retries collapse. */
  private static Set<String> distinct(List<ConsumerRecord<byte[], byte[]>> records, String tenant) {
    Set<String> ids = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      if (!new String(r.headers().lastHeader(KafkaHeaders.TENANT).value(), StandardCharsets.UTF_8).equals(tenant)) {
        continue;
      }
      ids.add(new String(r.headers().lastHeader(KafkaHeaders.SOURCE).value(), StandardCharsets.UTF_8) + "/"
          + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.EPOCH).value()) + "/"
          + KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.SEQ).value()) + "/"
          + KafkaHeaders.readInt32(r.headers().lastHeader(KafkaHeaders.IDX).value()));
    }
    return ids;
  }
}
