package io.sluice.sdk.ship;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a local token endpoint (the JDK's HTTP server) that behaves as Keycloak's does. */
class OAuth2CredentialsTest {
  private HttpServer idp;
  private String issuer;
  private final AtomicInteger issued = new AtomicInteger();
  private final List<String> forms = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private volatile int status = 200;
  private volatile int expiresIn = 300;

  @BeforeEach
  void start() throws IOException {
    idp = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    issuer = "http://127.0.0.1:" + idp.getAddress().getPort() + "/realms/apps";
    idp.createContext("/realms/apps/.well-known/openid-configuration", ex -> json(ex, 200,
        "{\"issuer\": \"" + issuer + "\", \"token_endpoint\": \"" + issuer + "/protocol/openid-connect/token\"}"));
    idp.createContext("/realms/apps/protocol/openid-connect/token", ex -> {
      forms.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
      authorizations.add(ex.getRequestHeaders().getFirst("Authorization"));
      if (status != 200) {
        json(ex, status, "{\"error\": \"invalid_client\", \"error_description\": \"Invalid client credentials\"}");
        return;
      }
      json(ex, 200, "{\"access_token\": \"t" + issued.incrementAndGet() + "\", \"token_type\": \"Bearer\","
          + " \"expires_in\": " + expiresIn + "}");
    });
    idp.start();
  }

  @AfterEach
  void stop() {
    idp.stop(0);
  }

  @Test
  void discoversTheTokenEndpointAndAuthenticatesWithBasicAndAFileSecret(@TempDir Path dir) throws Exception {
    Path secret = Files.writeString(dir.resolve("secret"), "s3cret\n");
    try (OAuth2Credentials c = new OAuth2Credentials(new OAuth2Settings(URI.create(issuer), null,
        "agent", null, secret, "logs:write", "sluice"))) {
      assertThat(c.current()).isEqualTo("Bearer t1");
      assertThat(forms.get(0)).contains("grant_type=client_credentials").contains("scope=logs%3Awrite")
          .contains("audience=sluice");
      assertThat(authorizations.get(0)).isEqualTo("Basic " + Base64.getEncoder()
          .encodeToString("agent:s3cret".getBytes(StandardCharsets.UTF_8)));
    }
  }

  @Test
  void aRefusedTokenIsReplacedAtOnceAndTokensAreRefreshedBeforeExpiry() throws Exception {
    try (OAuth2Credentials c = new OAuth2Credentials(new OAuth2Settings(null,
        URI.create(issuer + "/protocol/openid-connect/token"), "agent", "s", null, null, null))) {
      assertThat(c.current()).isEqualTo("Bearer t1");
      long v = c.version();
      c.refused("Bearer t1"); // the collector answered UNAUTHENTICATED; the token lives 300 s more
      await().atMost(Duration.ofSeconds(20)).until(() -> c.version() != v);
      assertThat(c.current()).isEqualTo("Bearer t2");

      expiresIn = 1;
      c.refused("Bearer t2");
      // a one-second token is replaced after 0.8 s, again and again
      await().atMost(Duration.ofSeconds(20)).until(() -> issued.get() >= 6);
      assertThat(c.failures()).isZero();
    }
  }

  @Test
  void aRejectedClientIsAClearCountedErrorAndATokenArrivesOnceTheEndpointAccepts() throws Exception {
    status = 401;
    try (OAuth2Credentials c = new OAuth2Credentials(new OAuth2Settings(URI.create(issuer), null,
        "agent", "wrong", null, null, null))) {
      assertThatThrownBy(c::current).isInstanceOf(Credentials.Unavailable.class)
          .hasMessageContaining("HTTP 401").hasMessageContaining("invalid_client")
          .hasMessageContaining("oauth2ClientId");
      assertThat(c.failures()).isGreaterThanOrEqualTo(1);
      status = 200;
      // retried with backoff (1 s, doubling, jittered)
      await().atMost(Duration.ofSeconds(20)).until(() -> c.fetched() >= 1);
      assertThat(c.current()).isEqualTo("Bearer t1");
    }
  }

  private static void json(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }
}
