package io.sluice.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.TlsConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With {@code http.tls} the HTTP listener (probes, metrics, OTLP/HTTP, HTTP/JSON ingest) speaks only HTTPS. */
class HttpsListenerIT {

  @Test
  void httpListenerServesHttpsWithTheTlsCertificateAndRefusesPlainHttp(@TempDir Path dir) throws Exception {
    TestCerts certs = new TestCerts(Files.createDirectories(dir.resolve("pki")));
    Path[] server = certs.issue("server", "localhost", new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("127.0.0.1:0").httpTls(true)
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(SharedKafka.newTopic("https", 1)).createTopic(false)
        .anonymous(true).tls(new TlsConfig(server[0], server[1], null, false)).build();
    try (Collector collector = Collector.start(config)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("ca", certs.ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest ready = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + collector.httpPort() + "/readyz"))
          .timeout(Duration.ofSeconds(10)).build();
      await().atMost(Duration.ofSeconds(30))
          .until(() -> https.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      HttpResponse<String> metrics = https.send(
          HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + collector.httpPort() + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body()).contains("sluice_collector_");

      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest plainReady =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.httpPort() + "/readyz"))
              .timeout(Duration.ofSeconds(5)).build();
      assertThatThrownBy(() -> plain.send(plainReady, HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(IOException.class);
    }
  }

  @Test
  void httpTlsWithoutATlsCertificateNamesTheKey() {
    assertThatThrownBy(() -> CollectorConfig.builder().kafkaBootstrap("k:9092").anonymous(true).httpTls(true).build())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("http.tls");
  }
}
