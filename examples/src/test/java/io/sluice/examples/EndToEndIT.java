package io.sluice.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd.App;
import io.sluice.examples.EndToEnd.Arrivals;
import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.wire.kafka.KafkaFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The spine, end to end with real parts: Logback → SluiceAppender → sdk-core (queue, batch, zstd, RocksDB spool,
 * gRPC) → collector → an in-process KRaft Kafka broker → a Kafka consumer. Every record carries its number, so
 * delivery is checked as exact set equality, with duplicates counted.
 */
class EndToEndIT {
  @TempDir
  Path dir;

  @ParameterizedTest
  @EnumSource(KafkaFormat.class)
  void deliversOneHundredThousandRecordsWithExactSetEquality(KafkaFormat format) {
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    try (Collector collector = EndToEnd.startCollector(EndToEnd.collectorConfig(kafka.bootstrapServers(), topic)
        .kafkaFormat(format).build());
        // A burst of 100k is larger than the hand-off queue (65,536) and the caller outruns the batcher, so only
        // the lossless policy delivers all of it: the caller waits for room instead of dropping the oldest.
        App app = EndToEnd.app("127.0.0.1:" + collector.port(), dir.resolve("spool"), Map.of("whenFull", "block"))) {
      EndToEnd.log(app, 0, 100_000);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(app.appender().stats().acknowledged())
          .as("%s", app.appender().stats()).isEqualTo(100_000));
      PipelineStats stats = app.appender().stats();
      assertThat(stats.dropped()).isZero();
      assertThat(stats.balanced()).isTrue();

      Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, 100_000, Duration.ofSeconds(60));
      assertThat(arrivals.containsExactly(0, 100_000)).as("every seq in [0, 100000) exactly").isTrue();
      assertThat(arrivals.duplicates()).isZero();
      assertThat(arrivals.identities).hasSize(100_000);
    }
  }

  @Test
  void collectorDownForAWhileThenBackLosesNothing() {
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    CollectorConfig config = EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).build();
    Collector first = EndToEnd.startCollector(config);
    int port = first.port();
    try (App app = EndToEnd.app("127.0.0.1:" + port, dir.resolve("spool"), Map.of())) {
      EndToEnd.log(app, 0, 10_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.appender().stats().acknowledged() == 10_000);
      first.close();

      EndToEnd.log(app, 10_000, 30_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.appender().stats().spooled() == 20_000);
      assertThat(app.appender().stats().spoolBytes()).isPositive();

      try (Collector second =
          EndToEnd.startCollector(config.toBuilder().listen("127.0.0.1:" + port).createTopic(false).build())) {
        EndToEnd.log(app, 30_000, 40_000);
        await().atMost(Duration.ofSeconds(60)).until(() -> app.appender().stats().acknowledged() == 40_000);
        assertThat(app.appender().stats().balanced()).isTrue();
        Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, 40_000, Duration.ofSeconds(60));
        assertThat(arrivals.containsExactly(0, 40_000)).isTrue();
      }
    }
  }

  @Test
  void appRestartedWithANonEmptySpoolShipsItOnRestart() {
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    CollectorConfig config = EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).build();
    Collector probe = EndToEnd.startCollector(config); // creates the topic and reserves a port
    int port = probe.port();
    probe.close();
    Path spool = dir.resolve("spool");

    try (App first = EndToEnd.app("127.0.0.1:" + port, spool, Map.of("closeTimeoutMs", "300ms"))) {
      EndToEnd.log(first, 0, 5_000);
      await().atMost(Duration.ofSeconds(10)).until(() -> first.appender().stats().spooled() == 5_000);
    }
    try (
        Collector collector =
            EndToEnd.startCollector(config.toBuilder().listen("127.0.0.1:" + port).createTopic(false).build());
        App second = EndToEnd.app("127.0.0.1:" + port, spool, Map.of())) {
      EndToEnd.log(second, 5_000, 6_000);
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.metrics().recordsPublished() >= 6_000);
      Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, 6_000, Duration.ofSeconds(60));
      assertThat(arrivals.containsExactly(0, 6_000)).as("the first run's spool was shipped by the second").isTrue();
      assertThat(arrivals.duplicates()).isZero();
    }
  }

  @Test
  void kafkaBrokerStoppedAndRestartedLosesNothing() {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().baseDir(dir.resolve("kafka")).start()) {
      String topic = EndToEnd.newTopic();
      CollectorConfig config = EndToEnd.collectorConfig(kafka.bootstrapServers(), topic)
          .producerOverride("delivery.timeout.ms", "4000")
          .producerOverride("request.timeout.ms", "1500")
          .build();
      int broker = kafka.brokerIds().iterator().next();
      try (Collector collector = EndToEnd.startCollector(config);
          App app = EndToEnd.app("127.0.0.1:" + collector.port(), dir.resolve("spool"), Map.of())) {
        EndToEnd.log(app, 0, 5_000);
        await().atMost(Duration.ofSeconds(30)).until(() -> app.appender().stats().acknowledged() == 5_000);

        kafka.stopBroker(broker);
        EndToEnd.log(app, 5_000, 15_000);
        // Kafka cannot take them: the collector must not acknowledge, so they stay pending in the spool.
        await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(10))
            .until(() -> app.appender().stats().pending() > 0);
        assertThat(app.appender().stats().acknowledged()).isLessThan(15_000);

        kafka.startBroker(broker);
        await().atMost(Duration.ofSeconds(90)).until(() -> app.appender().stats().acknowledged() == 15_000);
        assertThat(app.appender().stats().balanced()).isTrue();
        assertThat(app.appender().stats().dropped()).isZero();
        Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, 15_000, Duration.ofSeconds(60));
        assertThat(arrivals.containsExactly(0, 15_000)).isTrue();
      }
    }
  }
}
