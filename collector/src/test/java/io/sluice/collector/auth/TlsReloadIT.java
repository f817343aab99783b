package io.sluice.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.TlsConfig;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The collector's TLS certificate rotates without a restart: the cert and key files are replaced (as cert-manager or
 * a Secret volume does), a stream opened before keeps shipping on its connection, a new connection is served the new
 * certificate, and a broken replacement keeps the good certificate in use and is counted. Every record reaches Kafka.
 */
class TlsReloadIT {

  @Test
  void newConnectionsGetTheNewCertificateWhileAnOpenStreamKeepsShipping(@TempDir Path dir) throws Exception {
    TestCerts certs = new TestCerts(Files.createDirectories(dir.resolve("pki")));
    GeneralName ip = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
    Path[] first = certs.issue("server-1", "localhost", ip);
    Path[] second = certs.issue("server-2", "localhost", ip);
    // laid out as a Kubernetes Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1; an update swaps ..data
    Path live = Files.createDirectories(dir.resolve("live"));
    Path certFile = live.resolve("tls.crt");
    Path keyFile = live.resolve("tls.key");
    publish(live, "..v1", Files.readString(first[0]), Files.readString(first[1]));
    Files.createSymbolicLink(certFile, Path.of("..data", "tls.crt"));
    Files.createSymbolicLink(keyFile, Path.of("..data", "tls.key"));
    String topic = SharedKafka.newTopic("tls-reload", 1);
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("off").anonymous(true)
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false)
        .reloadInterval(Duration.ofMillis(50)).tls(new TlsConfig(certFile, keyFile, null, false)).build();
    int sent = 0;
    try (Collector collector = Collector.start(config)) {
      assertThat(servedSerial(collector.port(), certs)).isEqualTo(serial(first[0]));
      PipelineConfig client = PipelineConfig.builder().endpoint("https://127.0.0.1:" + collector.port())
          .serviceName("tls-reload").spoolDir(dir.resolve("spool")).lingerMs(10).reconnectMinMs(20)
          .reconnectMaxMs(200).trustCertPath(certs.caFile()).diagnostics((message, error) -> {}).build();
      try (Pipeline p = Pipeline.start(client)) {
        for (; sent < 30; sent++) assertThat(p.offer(Frames.record("r-" + sent))).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 30);
        long reconnects = p.stats().reconnects();

        publish(live, "..v2", Files.readString(second[0]), Files.readString(second[1]));
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.tlsReloader().reloads() == 1);
        assertThat(servedSerial(collector.port(), certs)).isEqualTo(serial(second[0]));

        for (; sent < 60; sent++) assertThat(p.offer(Frames.record("r-" + sent))).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 60);
        assertThat(p.stats().reconnects()).as("the stream opened before the rotation went on").isEqualTo(reconnects);

        // a broken replacement (a certificate cut short) is refused: the good certificate stays, the error is counted
        publish(live, "..v3", "-----BEGIN CERTIFICATE-----\nMIIB\n", Files.readString(second[1]));
        await().atMost(Duration.ofSeconds(30)).until(() -> collector.tlsReloader().failures() == 1);
        assertThat(collector.tlsReloader().reloads()).isEqualTo(1);
        assertThat(servedSerial(collector.port(), certs)).isEqualTo(serial(second[0]));
        assertThat(collector.registry().scrape().stream().filter(m -> m.getMetadata().getName()
            .equals("sluice_collector_tls_reloads")).findFirst()).isPresent();
        for (; sent < 90; sent++) assertThat(p.offer(Frames.record("r-" + sent))).isTrue();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 90);
      }
    }
    List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, sent,
        Duration.ofSeconds(30));
    Set<String> bodies = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      bodies.add(io.sluice.proto.v1.LogRecord.parseFrom(r.value()).getBody().getStringValue());
    }
    assertThat(bodies).hasSize(sent);
  }

  /** Writes a version directory and points {@code ..data} at it in one rename, as the kubelet does. */
  private static void publish(Path live, String version, String cert, String key) throws Exception {
    Path v = Files.createDirectories(live.resolve(version));
    Files.writeString(v.resolve("tls.crt"), cert);
    Files.writeString(v.resolve("tls.key"), key);
    Path link = live.resolve("..data_tmp");
    Files.createSymbolicLink(link, Path.of(version));
    Files.move(link, live.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** The serial number of the certificate a new TLS connection to the port is served (a handshake, nothing else). */
  static BigInteger servedSerial(int port, TestCerts certs) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", certs.ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  static BigInteger serial(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in)).getSerialNumber();
    }
  }
}
