package io.sluice.collector.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import com.sun.net.httpserver.HttpServer;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.NackReason;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.OidcConfig;
import io.sluice.collector.config.RouteRule;
import io.sluice.collector.config.TenantConfig;
import io.sluice.collector.config.TlsConfig;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.ServerFrame;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API keys, mTLS and OIDC bearer tokens over real gRPC on 127.0.0.1 (a JWKS served by a local HTTP server, certs
 * from a throwaway BouncyCastle CA), with a hand-completed publisher in place of Kafka.
 */
class AuthenticationTest {
  static final String KEY = "sk-acme-0123456789";

  static TenantConfig acme(List<String> subjects, List<String> topics) {
    return new TenantConfig("acme", List.of(Authenticator.sha256Hex(KEY)), subjects, topics, null);
  }

  static ClientFrame hello(String tenant, String credentials) {
    return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClientId("c").setEpoch(1).setTenant(tenant)
        .setCredentials(credentials).setProtocolVersion(1)).build();
  }

  static CollectorConfig.Builder base() {
    return CollectorConfig.builder().listen("127.0.0.1:0").kafkaBootstrap("unused:9092").httpListen("off")
        .shutdownTimeout(Duration.ofSeconds(1));
  }

  /** Sends one batch and returns the first server frame; the publisher acks everything. */
  static ServerFrame sendOne(IngestClient.Stream s, ManualPublisher publisher) throws Exception {
    s.send(Frames.zstdBatch(1, Frames.logBatch("a", 2)));
    ServerFrame[] first = new ServerFrame[1];
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      publisher.completeAll();
      first[0] = s.received.peek();
      return first[0] != null || s.closed.isDone();
    });
    return s.next(Duration.ofSeconds(5));
  }

  @Test
  void apiKeyAuthenticatesItsTenantAndWrongOrMissingKeysAreUnauthenticated() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    try (Collector c = Collector.start(base().tenant(acme(List.of(), List.of())).build(), publisher);
        IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream ok = client.open().send(hello("", KEY));
      assertThat(sendOne(ok, publisher).hasAck()).isTrue();
      assertThat(publisher.published.get(0).batch().tenant()).isEqualTo("acme");

      Status wrong = client.open().send(hello("", "sk-guess")).awaitClose();
      assertThat(wrong.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(wrong.getDescription()).contains("API key").contains("not recognised");

      Status none = client.open().send(hello("acme", "")).awaitClose();
      assertThat(none.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(none.getDescription()).contains("requires authentication");

      Status other = client.open().send(hello("globex", KEY)).awaitClose();
      assertThat(other.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }
  }

  @Test
  void anonymousOnlyWhenEnabled() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    try (Collector c = Collector.start(base().tenant(acme(List.of(), List.of())).anonymous(true).build(), publisher);
        IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(hello("free", ""));
      assertThat(sendOne(s, publisher).hasAck()).isTrue();
      assertThat(publisher.published.get(0).batch().tenant()).isEqualTo("free");
    }
  }

  @Test
  void withoutAnyAuthenticationTheCollectorRefusesToStartUnlessAnonymousIsSet() {
    assertThatThrownBy(() -> Collector.start(base().build(), new ManualPublisher()))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("auth.anonymous"))
        .hasMessageContaining("set auth.anonymous: true");
    assertThat(base().build().anonymous()).isFalse();
    assertThat(base().anonymous(true).build().anonymous()).isTrue();
  }

  @Test
  void tenantWritesOnlyToItsOwnTopics() throws Exception {
    ManualPublisher publisher = new ManualPublisher();
    CollectorConfig config = base().tenant(acme(List.of(), List.of("acme-*"))).build();
    try (Collector c = Collector.start(config, publisher); IngestClient client = new IngestClient(c.port())) {
      ServerFrame f = sendOne(client.open().send(hello("", KEY)), publisher);
      assertThat(f.hasNack()).isTrue();
      assertThat(f.getNack().getRetryable()).isFalse();
      assertThat(f.getNack().getReason()).startsWith(NackReason.FORBIDDEN_TOPIC.name()).contains("sluice-logs");
    }
    ManualPublisher p2 = new ManualPublisher();
    CollectorConfig routed = base().tenant(acme(List.of(), List.of("acme-*")))
        .route(new RouteRule("acme", null, 0, "acme-{tenant}")).build();
    try (Collector c = Collector.start(routed, p2); IngestClient client = new IngestClient(c.port())) {
      assertThat(sendOne(client.open().send(hello("", KEY)), p2).hasAck()).isTrue();
      assertThat(p2.published.get(0).batch().topics()).containsOnly("acme-acme");
    }
  }

  @Test
  void mtlsMapsTheClientCertificateToItsTenant(@TempDir Path dir) throws Exception {
    TestCerts certs = new TestCerts(dir);
    Path[] server = certs.issue("server", "localhost", new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
    Path[] agent = certs.issue("agent", "agent.acme.example", null);
    Path[] stranger = certs.issue("stranger", "stranger.example", null);
    ManualPublisher publisher = new ManualPublisher();
    CollectorConfig config = base().tenant(acme(List.of("agent.acme.example"), List.of()))
        .tls(new TlsConfig(server[0], server[1], certs.caFile(), false)).build();
    try (Collector c = Collector.start(config, publisher)) {
      try (IngestClient client = tlsClient(c.port(), certs, agent)) {
        assertThat(sendOne(client.open().send(hello("", "")), publisher).hasAck()).isTrue();
        assertThat(publisher.published.get(0).batch().tenant()).isEqualTo("acme");
      }
      try (IngestClient client = tlsClient(c.port(), certs, stranger)) {
        Status st = client.open().send(hello("", "")).awaitClose();
        assertThat(st.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(st.getDescription()).contains("stranger.example").contains("mtlsSubjects");
      }
      try (IngestClient client = tlsClient(c.port(), certs, null)) { // TLS without a client cert, plus an API key
        assertThat(sendOne(client.open().send(hello("", KEY)), publisher).hasAck()).isTrue();
      }
    }
  }

  static IngestClient tlsClient(int port, TestCerts certs, Path[] clientCert) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(certs.caFile().toFile());
    if (clientCert != null) {
      ssl.keyManager(clientCert[0].toFile(), clientCert[1].toFile());
    }
    return new IngestClient(NettyChannelBuilder.forAddress("127.0.0.1", port).sslContext(ssl.build()).build());
  }

  @Test
  void oidcBearerTokensAreValidatedAgainstAJwksUrl() throws Exception {
    RSAKey signing = new RSAKeyGenerator(2048).keyID("k1").generate();
    RSAKey stranger = new RSAKeyGenerator(2048).keyID("k1").generate();
    HttpServer idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] jwks = new JWKSet(signing.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    idp.createContext("/realms/r/protocol/openid-connect/certs", ex -> {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, jwks.length);
      ex.getResponseBody().write(jwks);
      ex.close();
    });
    idp.start();
    String issuer = "http://127.0.0.1:" + idp.getAddress().getPort() + "/realms/r";
    ManualPublisher publisher = new ManualPublisher();
    CollectorConfig config = base().tenant(acme(List.of(), List.of())).oidc(new OidcConfig(null,
        URI.create(issuer + "/protocol/openid-connect/certs"), issuer, "sluice", "tenant")).build();
    try (Collector c = Collector.start(config, publisher); IngestClient client = new IngestClient(c.port())) {
      String good = token(signing, issuer, "sluice", "acme", 300);
      assertThat(sendOne(client.open().send(hello("", "Bearer " + good)), publisher).hasAck()).isTrue();
      assertThat(publisher.published.get(0).batch().tenant()).isEqualTo("acme");

      Status expired = client.open().send(hello("", "Bearer " + token(signing, issuer, "sluice", "acme", -300)))
          .awaitClose();
      assertThat(expired.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(expired.getDescription()).contains("bearer token was rejected").containsIgnoringCase("expired");

      Status forged = client.open().send(hello("", token(stranger, issuer, "sluice", "acme", 300))).awaitClose();
      assertThat(forged.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

      Status audience = client.open().send(hello("", "Bearer " + token(signing, issuer, "other", "acme", 300)))
          .awaitClose();
      assertThat(audience.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);

      // a well-signed token naming a tenant this collector does not configure is refused (auth.allowUnknownTenants)
      Status unknown = client.open().send(hello("", "Bearer " + token(signing, issuer, "sluice", "stranger", 300)))
          .awaitClose();
      assertThat(unknown.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(unknown.getDescription()).contains("\"stranger\" is not configured").contains("allowUnknownTenants");
    } finally {
      idp.stop(0);
    }
  }

  static String token(RSAKey key, String issuer, String audience, String tenant, long expiresInSeconds)
      throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
        .type(JOSEObjectType.JWT).build(),
        new JWTClaimsSet.Builder().issuer(issuer).audience(audience)
            .subject("svc-agent").claim("tenant", tenant)
            .expirationTime(new Date(System.currentTimeMillis() + expiresInSeconds * 1000)).build());
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }
}
