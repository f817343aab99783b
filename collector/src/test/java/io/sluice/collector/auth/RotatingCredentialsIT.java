package io.sluice.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.OidcConfig;
import io.sluice.collector.config.TenantConfig;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Credentials that rotate, end to end: a real pipeline (what the appenders run) ships continuously to a real
 * collector on 127.0.0.1 and on to Kafka while (1) its OAuth2 tokens, issued by a local Keycloak-like token endpoint
 * for three seconds each, expire again and again, and (2) its credentials file is missing at start, appears, and is
 * replaced by a new key that the collector then makes the only valid one. Every record offered is counted in Kafka.
 */
class RotatingCredentialsIT {
  private static final String CLIENT_ID = "sluice-agent";
  private static final String SECRET = "s3cret:&=";

  @Test
  void oauth2TokensAreRefreshedAcrossThreeExpiriesWithNothingLost(@TempDir Path dir) throws Exception {
    RSAKey signing = new RSAKeyGenerator(2048).keyID("k1").generate();
    AtomicInteger served = new AtomicInteger();
    AtomicInteger badClient = new AtomicInteger();
    HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String issuer = "http://127.0.0.1:" + idp.getAddress().getPort() + "/realms/apps";
    idp.createContext("/realms/apps/.well-known/openid-configuration", ex -> json(ex, 200, """
        {"issuer": "%s", "token_endpoint": "%s/protocol/openid-connect/token",
         "jwks_uri": "%s/protocol/openid-connect/certs"}""".formatted(issuer, issuer, issuer)));
    idp.createContext("/realms/apps/protocol/openid-connect/certs", ex -> json(ex, 200,
        new JWKSet(signing.toPublicJWK()).toString()));
    idp.createContext("/realms/apps/protocol/openid-connect/token", ex -> {
      String form = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String basic = "Basic " + Base64.getEncoder().encodeToString((CLIENT_ID + ":"
          + java.net.URLEncoder.encode(SECRET, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      if (!ex.getRequestMethod().equals("POST") || !basic.equals(ex.getRequestHeaders().getFirst("Authorization"))
          || !form.contains("grant_type=client_credentials") || !form.contains("scope=logs%3Awrite")) {
        badClient.incrementAndGet();
        json(ex, 401, "{\"error\": \"invalid_client\"}");
        return;
      }
      // valid for 3 to 4 s (exp has whole seconds); the collector allows no clock skew, so an expired token fails
      long exp = System.currentTimeMillis() / 1000 + 4;
      try {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1").type(JOSEObjectType.JWT)
            .build(),
            new JWTClaimsSet.Builder().issuer(issuer).audience("sluice").subject(CLIENT_ID)
                .claim("tenant", "acme").expirationTime(new Date(exp * 1000)).build());
        jwt.sign(new RSASSASigner(signing));
        served.incrementAndGet();
        json(ex, 200, "{\"access_token\": \"" + jwt.serialize() + "\", \"token_type\": \"Bearer\", \"expires_in\": 3}");
      } catch (Exception e) {
        json(ex, 500, "{}");
      }
    });
    idp.start();
    String topic = SharedKafka.newTopic("oauth2", 1);
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("off")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false)
        .tenant(new TenantConfig("acme", List.of(), List.of(), List.of(), null))
        .oidc(new OidcConfig(null, URI.create(issuer + "/protocol/openid-connect/certs"), issuer, "sluice", "tenant",
            Duration.ZERO))
        .build();
    Path secretFile = dir.resolve("client-secret");
    Files.writeString(secretFile, SECRET + "\n");
    Writer writer;
    try (Collector collector = Collector.start(config)) {
      PipelineConfig client = PipelineConfig.builder().endpoint("127.0.0.1:" + collector.port())
          .serviceName("oauth2-app").spoolDir(dir.resolve("spool")).lingerMs(10).reconnectMinMs(20)
          .reconnectMaxMs(200).set("oauth2Issuer", issuer).set("oauth2ClientId", CLIENT_ID)
          .set("oauth2ClientSecretFile", secretFile.toString()).set("oauth2Scope", "logs:write")
          .diagnostics((message, error) -> {}).build();
      try (Pipeline p = Pipeline.start(client)) {
        writer = new Writer(p, "tok-");
        // four tokens = three expiries, with records offered all along
        await().atMost(Duration.ofSeconds(40)).until(() -> served.get() >= 4);
        writer.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == writer.offered.get());
        assertThat(p.stats().refusedStreams()).as("no stream was refused (an expired token would be)").isZero();
        assertThat(p.credentialRotations()).as("a new stream per new token").isGreaterThanOrEqualTo(3);
        assertThat(p.credentialErrors()).isZero();
        assertThat(badClient.get()).isZero();
      }
    } finally {
      idp.stop(0);
    }
    assertEveryRecordInKafka(topic, writer);
  }

  @Test
  void aCredentialsFileThatAppearsAndIsReplacedKeepsShippingAfterTheOldKeyIsRevoked(@TempDir Path dir)
      throws Exception {
    String oldKey = "key-one-" + System.nanoTime();
    String newKey = "key-two-" + System.nanoTime();
    Path collectorYaml = dir.resolve("collector.yaml");
    Files.writeString(collectorYaml, tenants(oldKey));
    String topic = SharedKafka.newTopic("credfile", 1);
    // connections age out every second, so every client reconnects (and authenticates again) often
    CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("off")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false)
        .tenant(new TenantConfig("acme", List.of(Authenticator.sha256Hex(oldKey)), List.of(), List.of(), null))
        .configFile(collectorYaml).reloadInterval(Duration.ofMillis(50)).maxConnectionAge(Duration.ofSeconds(1))
        .maxConnectionAgeGrace(Duration.ofSeconds(1)).build();
    Path credentials = dir.resolve("secrets").resolve("sluice-credentials");
    Files.createDirectories(credentials.getParent());
    Writer writer;
    try (Collector collector = Collector.start(config)) {
      PipelineConfig client = PipelineConfig.builder().endpoint("127.0.0.1:" + collector.port())
          .serviceName("file-app").spoolDir(dir.resolve("spool")).lingerMs(10).reconnectMinMs(20)
          .reconnectMaxMs(200).set("credentialsFile", credentials.toString())
          .diagnostics((message, error) -> {}).build();
      try (Pipeline p = Pipeline.start(client)) {
        writer = new Writer(p, "file-");
        // no file yet (the secret manager has not written it): a clear, counted error; records stay spooled
        await().atMost(Duration.ofSeconds(30)).until(() -> p.credentialErrors() >= 1);
        assertThat(p.credentialsProblem()).contains(credentials.toString()).contains("cannot be read");
        assertThat(p.stats().acknowledged()).isZero();

        atomicWrite(credentials, oldKey + "\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() > 0);
        assertThat(p.credentialsProblem()).isNull();

        // rotation: the collector accepts both keys, the file gets the new one, then the old one is revoked
        Files.writeString(collectorYaml, tenants(oldKey, newKey));
        await().atMost(Duration.ofSeconds(30)).until(() -> acmeKeys(collector).size() == 2);
        atomicWrite(credentials, newKey + "\n");
        await().atMost(Duration.ofSeconds(30)).until(() -> p.credentialRotations() >= 1);
        Files.writeString(collectorYaml, tenants(newKey));
        await().atMost(Duration.ofSeconds(30)).until(() -> acmeKeys(collector)
            .equals(List.of(Authenticator.sha256Hex(newKey))));
        long reconnects = p.stats().reconnects();
        long acked = p.stats().acknowledged();
        // the connection ages out and the client authenticates again, with the new key only
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().reconnects() >= reconnects + 2
            && p.stats().acknowledged() > acked);
        writer.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == writer.offered.get());
        assertThat(p.stats().refusedStreams()).isZero();
      }
    }
    assertEveryRecordInKafka(topic, writer);
  }

  private static List<String> acmeKeys(Collector collector) {
    return collector.policy().config().tenants().get("acme").apiKeySha256();
  }

  private static String tenants(String... keys) {
    StringBuilder sb = new StringBuilder("tenants:\n  acme:\n    apiKeys:\n");
    for (String k : keys) sb.append("      - \"sha256:").append(Authenticator.sha256Hex(k)).append("\"\n");
    return sb.toString();
  }

  /** Writes beside the file and renames over it, as the Vault agent does. */
  private static void atomicWrite(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static void assertEveryRecordInKafka(String topic, Writer writer) throws Exception {
    int n = writer.offered.get();
    List<ConsumerRecord<byte[], byte[]>> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, n,
        Duration.ofSeconds(30));
    Set<String> bodies = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> r : got) {
      bodies.add(io.sluice.proto.v1.LogRecord.parseFrom(r.value()).getBody().getStringValue());
    }
    Set<String> expected = new HashSet<>();
    for (int i = 0; i < n; i++) expected.add(writer.prefix + i);
    assertThat(n).isGreaterThan(100);
    assertThat(bodies).isEqualTo(expected);
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  /** An application logging all along: one record about every 5 ms until stopped. */
  private static final class Writer {
    final AtomicInteger offered = new AtomicInteger();
    final AtomicBoolean stop = new AtomicBoolean();
    final String prefix;
    final Thread thread;

    Writer(Pipeline p, String prefix) {
      this.prefix = prefix;
      this.thread = new Thread(() -> {
        while (!stop.get()) {
          int i = offered.get();
          if (!p.offer(Frames.record(prefix + i))) throw new AssertionError("record " + i + " refused");
          offered.incrementAndGet();
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // pacing, not synchronisation
        }
      }, "app-writer");
      thread.start();
    }

    void stop() throws InterruptedException {
      stop.set(true);
      thread.join();
    }
  }
}
