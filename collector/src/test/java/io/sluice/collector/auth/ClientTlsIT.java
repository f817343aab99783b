package io.sluice.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.TenantConfig;
import io.sluice.collector.config.TlsConfig;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.kafka.KafkaHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sdk-core's GrpcShipper over TLS and mTLS to a real TLS collector (certificates made here with BouncyCastle):
 * records arrive in Kafka for the tenant the client certificate maps to; a client trusting the wrong CA fails the
 * handshake with a clear error and keeps its records spooled until it trusts the right one.
 */
class ClientTlsIT {

  @Test
  void pipelineShipsOverMutualTlsAndAWrongCaKeepsTheDataSpooled(@TempDir Path dir) throws Exception {
    TestCerts certs = new TestCerts(Files.createDirectories(dir.resolve("pki")));
    TestCerts otherCa = new TestCerts(Files.createDirectories(dir.resolve("other-pki")));
    Path[] server = certs.issue("server", "localhost", new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    Path[] agent = certs.issue("agent", "agent.acme.example", null);
    String topic = SharedKafka.newTopic("tls", 1);
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("off")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false)
        .tenant(new TenantConfig("acme", List.of(), List.of("agent.acme.example"), List.of(), null))
        .tls(new TlsConfig(server[0], server[1], certs.caFile(), true)).build();
    try (Collector collector = Collector.start(config)) {
      String endpoint = "127.0.0.1:" + collector.port();
      PipelineConfig.Builder good = PipelineConfig.builder().endpoint(endpoint).serviceName("tls-app")
          .spoolDir(dir.resolve("spool-good")).lingerMs(20).reconnectMinMs(20).reconnectMaxMs(200)
          .set("tls", "true").set("trustCertPath", certs.caFile().toString())
          .set("clientCertPath", agent[0].toString()).set("clientKeyPath", agent[1].toString())
          .diagnostics((message, error) -> {});
      try (Pipeline p = Pipeline.start(good.build())) {
        for (int i = 0; i < 50; i++) {
          assertThat(p.offer(Frames.record("tls-" + i))).isTrue();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 50);
      }

      // the same client certificate, but the collector's certificate is checked against another CA
      List<String> warnings = new CopyOnWriteArrayList<>();
      Path spool = dir.resolve("spool-wrong-ca");
      PipelineConfig wrong = PipelineConfig.builder().endpoint(endpoint).serviceName("tls-app").spoolDir(spool)
          .lingerMs(20).reconnectMinMs(20).reconnectMaxMs(200).closeTimeoutMs(500).tls(true)
          .trustCertPath(otherCa.caFile())
          .clientCertPath(agent[0]).clientKeyPath(agent[1])
          .diagnostics((message, error) -> warnings.add(message + " " + causes(error))).build();
      try (Pipeline p = Pipeline.start(wrong)) {
        for (int i = 0; i < 20; i++) {
          assertThat(p.offer(Frames.record("spooled-" + i))).isTrue();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().spooled() == 20
            && warnings.stream().anyMatch(w -> w.contains("PKIX") || w.contains("certificate")));
        assertThat(p.stats().acknowledged()).isZero();
      }
      // trusting the right CA, the same spool delivers what it kept
      try (Pipeline p = Pipeline.start(good.spoolDir(spool).build())) {
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 20);
      }
    }
    List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, 70,
        Duration.ofSeconds(30));
    assertThat(got.stream().map(r -> new String(r.headers().lastHeader(KafkaHeaders.TENANT).value(),
        StandardCharsets.UTF_8)).distinct()).containsExactly("acme");
    assertThat(got.stream().map(r -> parseBody(r.value())).distinct()).hasSize(70);
  }

  private static String causes(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c).append(" / ");
    }
    return sb.toString();
  }

  private static String parseBody(byte[] value) {
    try {
      return io.sluice.proto.v1.LogRecord.parseFrom(value).getBody().getStringValue();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
