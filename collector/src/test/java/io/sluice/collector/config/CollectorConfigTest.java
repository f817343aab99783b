package io.sluice.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CollectorConfigTest {
  @TempDir
  Path dir;

  @Test
  void readsEveryKeyFromYaml() throws Exception {
    Path f = write("""
        listen: 127.0.0.1:5000
        kafka:
          bootstrap: k1:9092,k2:9092
          topic: logs-x
          partitions: 6
          replicationFactor: 2
          createTopic: false
          producer: { linger.ms: 20, batch.size: 65536 }
        limits:
          maxFrameBytes: 1048576
          maxDecompressedBytes: 8388608
          maxInFlightBytes: 1000000
          maxInFlightBytesPerStream: 500000
          retryAfterMs: 250
        shutdownTimeoutMs: 3000
        embeddedKafka:
          enabled: true
          dir: /tmp/k
        """);
    CollectorConfig c = CollectorConfigYaml.load(f, CollectorConfig.builder()).build();
    assertThat(c.listenHost()).isEqualTo("127.0.0.1");
    assertThat(c.listenPort()).isEqualTo(5000);
    assertThat(c.kafkaBootstrap()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.topic()).isEqualTo("logs-x");
    assertThat(c.topicPartitions()).isEqualTo(6);
    assertThat(c.topicReplicationFactor()).isEqualTo((short) 2);
    assertThat(c.createTopic()).isFalse();
    assertThat(c.producerOverrides()).containsEntry("linger.ms", "20").containsEntry("batch.size", "65536");
    assertThat(c.maxFrameBytes()).isEqualTo(1048576);
    assertThat(c.maxDecompressedBytes()).isEqualTo(8388608);
    assertThat(c.maxInFlightBytes()).isEqualTo(1000000);
    assertThat(c.maxInFlightBytesPerStream()).isEqualTo(500000);
    assertThat(c.retryAfterMs()).isEqualTo(250);
    assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.embeddedKafka()).isTrue();
    assertThat(c.embeddedKafkaDir()).isEqualTo(Path.of("/tmp/k"));
  }

  @Test
  void readsTheAdmissionKeysAndTheirDefaults() throws Exception {
    Path f = write("""
        kafka: { bootstrap: k:9092 }
        limits:
          maxResourceBytes: 4096
          maxEnrichedBatchBytes: 1048576
          resendWindow: 128
          resendSources: 50
        auth:
          anonymous: true
          allowUnknownTenants: true
        """);
    CollectorConfig c = CollectorConfigYaml.load(f, CollectorConfig.builder()).build();
    assertThat(c.maxResourceBytes()).isEqualTo(4096);
    assertThat(c.maxEnrichedBatchBytes()).isEqualTo(1048576);
    assertThat(c.resendWindow()).isEqualTo(128);
    assertThat(c.resendSources()).isEqualTo(50);
    assertThat(c.allowUnknownTenants()).isTrue();
    CollectorConfig d = CollectorConfig.builder().kafkaBootstrap("k:9092").build();
    assertThat(d.maxResourceBytes()).isEqualTo(65536);
    assertThat(d.maxEnrichedBatchBytes()).isEqualTo(64L << 20);
    assertThat(d.resendWindow()).isEqualTo(4096);
    assertThat(d.allowUnknownTenants()).isFalse();
  }

  @Test
  void badListenNamesFileKeyAndExample() throws Exception {
    Path f = write("listen: abc\nkafka: { bootstrap: k:9092 }\n");
    assertThatThrownBy(() -> CollectorConfigYaml.load(f, CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("collector.yaml:1: listen: \"abc\" is not host:port; write e.g. 0.0.0.0:4417");
  }

  @Test
  void kafkaRecordFormatIsBatchByDefaultAndChosenPerTopic() throws Exception {
    assertThat(CollectorConfig.builder().kafkaBootstrap("k:9092").build().kafkaFormat())
        .isEqualTo(io.sluice.wire.kafka.KafkaFormat.BATCH);
    CollectorConfig c = CollectorConfigYaml.apply(
        "kafka:\n  bootstrap: k:9092\n  format: record\n  topicFormats: { logs-fast: batch, logs-legacy: RECORD }\n",
        CollectorConfig.builder()).build();
    assertThat(c.kafkaFormat()).isEqualTo(io.sluice.wire.kafka.KafkaFormat.RECORD);
    assertThat(c.topicFormats()).containsEntry("logs-fast", io.sluice.wire.kafka.KafkaFormat.BATCH)
        .containsEntry("logs-legacy", io.sluice.wire.kafka.KafkaFormat.RECORD);
    assertThat(c.toBuilder().build().topicFormats()).isEqualTo(c.topicFormats());
    assertThatThrownBy(() -> CollectorConfigYaml.apply("kafka:\n  format: lines\n", CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.format: \"lines\" is not a Kafka record format; write record or batch");
    assertThatThrownBy(() -> CollectorConfigYaml.apply("kafka:\n  topicFormats: { x: per-line }\n",
        CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("kafka.topicFormats.x");
  }

  @Test
  void unknownKeyIsNamedWithItsPath() throws Exception {
    Path f = write("kafka:\n  bootstrap: k:9092\n  topik: x\n");
    assertThatThrownBy(() -> CollectorConfigYaml.load(f, CollectorConfig.builder()))
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.key()).isEqualTo("kafka.topik");
          assertThat(e.getMessage())
              .isEqualTo("collector.yaml:3: kafka.topik: unknown key; did you mean topic? (known here: "
                  + "bootstrap, createTopic, deadLetterTopic, format, partitions, producer, replicationFactor, topic, topicFormats)");
        });
  }

  @Test
  void nonNumericLimitNamesKey() throws Exception {
    Path f = write("limits:\n  maxFrameBytes: lots\n");
    assertThatThrownBy(() -> CollectorConfigYaml.load(f, CollectorConfig.builder()))
        .hasMessage("collector.yaml:2: limits.maxFrameBytes: \"lots\" is not a size (examples: 4MiB, 512KiB, 1048576)");
  }

  @Test
  void negativePartitionsNamesKey() {
    assertThatThrownBy(() -> CollectorConfigYaml.apply("kafka: { partitions: -1 }", CollectorConfig.builder()))
        .hasMessageStartingWith("line 1: kafka.partitions: -1 is out of range");
  }

  @Test
  void bootstrapIsRequiredUnlessEmbedded() {
    assertThatThrownBy(() -> CollectorConfig.builder().build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("kafka.bootstrap"))
        .hasMessageContaining("--embedded-kafka");
    assertThat(CollectorConfig.builder().embeddedKafka(true).build().kafkaBootstrap()).isNull();
  }

  @Test
  void zookeeperKeysAreReadAndNeedEachOther() {
    CollectorConfig c = CollectorConfigYaml.apply("kafka: {bootstrap: k:9092}\n"
        + "zookeeper: {connect: \"zk-1:2181,zk-2:2181\", path: /sluice/collector}", CollectorConfig.builder()).build();
    assertThat(c.zookeeperConnect()).isEqualTo("zk-1:2181,zk-2:2181");
    assertThat(c.zookeeperPath()).isEqualTo("/sluice/collector");
    assertThatThrownBy(() -> CollectorConfigYaml.apply("kafka: {bootstrap: k:9092}\nzookeeper: {connect: zk:2181}",
        CollectorConfig.builder()).build())
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("zookeeper.path"));
    assertThatThrownBy(() -> CollectorConfigYaml.apply("zookeeper: {path: sluice}", CollectorConfig.builder()))
        .hasMessageStartingWith("line 1: zookeeper.path: \"sluice\" is not an absolute node path");
    assertThatThrownBy(() -> CollectorConfigYaml.apply("zookeeper: {hosts: zk:2181}", CollectorConfig.builder()))
        .hasMessageContaining("zookeeper.hosts");
  }

  @Test
  void httpMaxConcurrentRequestsIsReadAndRangeChecked() throws Exception {
    assertThat(CollectorConfig.builder().kafkaBootstrap("k:9092").build().httpMaxConcurrentRequests()).isEqualTo(128);
    Path ok = write("kafka: { bootstrap: k:9092 }\nhttp: { maxConcurrentRequests: 16 }\n");
    assertThat(CollectorConfigYaml.load(ok, CollectorConfig.builder()).build().httpMaxConcurrentRequests())
        .isEqualTo(16);
    Path bad = write("kafka: { bootstrap: k:9092 }\nhttp: { maxConcurrentRequests: 0 }\n");
    assertThatThrownBy(() -> CollectorConfigYaml.load(bad, CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("http.maxConcurrentRequests");
  }

  @Test
  void defaultsAreDocumentedOnes() {
    CollectorConfig c = CollectorConfig.builder().kafkaBootstrap("k:9092").build();
    assertThat(c.listen()).isEqualTo(CollectorConfig.DEFAULT_LISTEN);
    assertThat(c.topic()).isEqualTo("sluice-logs");
    assertThat(c.topicPartitions()).isEqualTo(3);
    assertThat(c.createTopic()).isTrue();
  }

  @Test
  void serializersCannotBeOverridden() {
    assertThatThrownBy(() -> CollectorConfig.builder().producerOverride("value.serializer", "x"))
        .hasMessageStartingWith("kafka.producer.value.serializer:");
  }

  @Test
  void sizesAndDurationsTakeUnitsLikeTheAgentAndTheAppenders() throws Exception {
    Path f = write("""
        kafka: { bootstrap: k:9092 }
        limits:
          maxFrameBytes: 4MiB
          maxDecompressedBytes: 32MB
          maxInFlightBytes: 24 MiB
          maxInFlightBytesPerStream: 8388608
          maxRecordBytes: 512KiB
          retryAfterMs: 2s
          tenantDefault: {recordsPerSecond: 1000, bytesPerSecond: 10MiB, burstSeconds: 500ms}
        shutdownTimeoutMs: 1m
        maxConnectionAgeMs: 1h
        maxConnectionAgeGraceMs: 30s
        reloadIntervalMs: 1500ms
        """);
    CollectorConfig c = CollectorConfigYaml.load(f, CollectorConfig.builder()).build();
    assertThat(c.maxFrameBytes()).isEqualTo(4 << 20);
    assertThat(c.maxDecompressedBytes()).isEqualTo(32 << 20);
    assertThat(c.maxInFlightBytes()).isEqualTo(24L << 20);
    assertThat(c.maxInFlightBytesPerStream()).isEqualTo(8388608L);
    assertThat(c.maxRecordBytes()).isEqualTo(512 << 10);
    assertThat(c.retryAfterMs()).isEqualTo(2000);
    assertThat(c.tenantDefaultLimit()).isEqualTo(new RateLimit(1000, 10L << 20, 0.5));
    assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.maxConnectionAge()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxConnectionAgeGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.reloadInterval()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void environmentVariablesAreSubstitutedWithDefaults() throws Exception {
    // the process environment: SLUICE_TEST_UNSET_* are never set, so the defaults apply (before, the text stayed as
    // written and "${...:-127.0.0.1}" passed as a host name)
    Path f = write("""
        listen: ${SLUICE_TEST_UNSET_HOST:-127.0.0.1}:${SLUICE_TEST_UNSET_PORT:-5000}
        kafka: { bootstrap: "${SLUICE_TEST_UNSET_KAFKA:-k1:9092}", topic: "logs-${SLUICE_TEST_UNSET_ENV:-prod}" }
        """);
    CollectorConfig c = CollectorConfigYaml.load(f, CollectorConfig.builder()).build();
    assertThat(c.listenHost()).isEqualTo("127.0.0.1");
    assertThat(c.listenPort()).isEqualTo(5000);
    assertThat(c.kafkaBootstrap()).isEqualTo("k1:9092");
    assertThat(c.topic()).isEqualTo("logs-prod");
    CollectorConfig.Builder b = CollectorConfig.builder();
    CollectorConfigYaml.read(f, b, java.util.Map.of("SLUICE_TEST_UNSET_HOST", "10.0.0.7")::get);
    assertThat(b.build().listenHost()).isEqualTo("10.0.0.7");
  }

  @Test
  void anUnsetVariableWithoutDefaultNamesFileLineAndVariable() throws Exception {
    Path f = write("listen: 0.0.0.0:4417\nkafka:\n  bootstrap: ${SLUICE_TEST_UNSET_BOOTSTRAP}\n");
    assertThatThrownBy(() -> CollectorConfigYaml.load(f, CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("collector.yaml:3: kafka.bootstrap: ${SLUICE_TEST_UNSET_BOOTSTRAP}: environment variable "
            + "SLUICE_TEST_UNSET_BOOTSTRAP is not set and has no default; set it, or write "
            + "${SLUICE_TEST_UNSET_BOOTSTRAP:-default}");
  }

  @Test
  void everyProblemOfTheFileIsReportedAtOnce() throws Exception {
    Path f = write("""
        listen: abc
        kafka:
          bootstrap: k:9092
          topik: x
          partitions: many
        limits:
          maxFrameBytes: 4 MBs
          retryAfterMs: soon
        tenants:
          acme: {apiKeys: [plaintext-key]}
        routes:
          - {topic: "not a topic"}
          - {tenant: acme}
        """);
    assertThatThrownBy(() -> CollectorConfigYaml.load(f, CollectorConfig.builder()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).extracting(Object::toString)
            .containsExactlyInAnyOrder(
                "collector.yaml:1: listen: \"abc\" is not host:port; write e.g. 0.0.0.0:4417",
                "collector.yaml:4: kafka.topik: unknown key; did you mean topic? (known here: bootstrap, createTopic, "
                    + "deadLetterTopic, format, partitions, producer, replicationFactor, topic, topicFormats)",
                "collector.yaml:5: kafka.partitions: \"many\" is not a whole number; write e.g. 16",
                "collector.yaml:7: limits.maxFrameBytes: \"4 MBs\" is not a size (examples: 4MiB, 512KiB, 1048576)",
                "collector.yaml:8: limits.retryAfterMs: \"soon\" is not a duration (examples: 500ms, 2s, 1m, 1h; a "
                    + "plain number is milliseconds)",
                "collector.yaml:10: tenants.acme.apiKeys[0]: entries are sha256:<hex of SHA-256 of the key>; never "
                    + "write the key itself (printf %s KEY | sha256sum)",
                "collector.yaml:12: routes[0].topic: \"not a topic\" is not a topic name (placeholders {tenant} and "
                    + "{service} allowed); write e.g. logs-{tenant}",
                "collector.yaml:13: routes[1].topic: is required"));
  }

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("collector.yaml");
    Files.writeString(f, yaml);
    return f;
  }
}
