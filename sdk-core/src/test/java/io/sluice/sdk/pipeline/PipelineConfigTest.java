package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.sdk.ship.Endpoint;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineConfigTest {
  @Test
  void parsesEverySettingFromText() {
    PipelineConfig c = PipelineConfig.builder()
        .set("endpoint", "a:1, b:2")
        .set("serviceName", "checkout")
        .set("resourceAttributes", "team=payments, env=prod")
        .set("spoolMaxBytes", "512MiB")
        .set("queueMaxBytes", "8m")
        .set("whenFull", "drop-newest")
        .set("lingerMs", "2s")
        .set("closeTimeoutMs", "250ms")
        .set("fsync", "every-batch")
        .build();
    assertThat(c.endpoints()).extracting(Object::toString).containsExactly("a:1", "b:2");
    assertThat(c.serviceName()).isEqualTo("checkout");
    assertThat(c.resourceAttributes()).containsEntry("team", "payments").containsEntry("env", "prod");
    assertThat(c.spoolMaxBytes()).isEqualTo(512L << 20);
    assertThat(c.queueMaxBytes()).isEqualTo(8L << 20);
    assertThat(c.whenFull()).isEqualTo(WhenFull.DROP_NEWEST);
    assertThat(c.linger().toMillis()).isEqualTo(2000);
    assertThat(c.closeTimeout().toMillis()).isEqualTo(250);
  }

  @Test
  void everyListedKeyIsKnownAndABadValueNamesIt() {
    assertThat(PipelineConfig.KEYS).hasSize(36);
    for (String key : PipelineConfig.KEYS) {
      try {
        PipelineConfig.builder().set(key, "x?");
      } catch (ConfigException e) {
        assertThat(e.key()).isEqualTo(key);
        assertThat(e.getMessage()).doesNotContain("unknown setting");
      }
    }
  }

  @Test
  void errorsNameTheKeyAndTheFix() {
    assertThatThrownBy(() -> PipelineConfig.builder().set("spoolMaxBytes", "lots"))
        .hasMessageStartingWith("spoolMaxBytes:").hasMessageContaining("256MiB");
    assertThatThrownBy(() -> PipelineConfig.builder().set("endpoint", "nohost"))
        .hasMessageStartingWith("endpoint:").hasMessageContaining("host:port");
    assertThatThrownBy(() -> PipelineConfig.builder().set("whenFull", "sometimes"))
        .hasMessageContaining("drop-oldest, drop-newest or block");
    assertThatThrownBy(() -> PipelineConfig.builder().set("spoolMaxBytse", "1"))
        .hasMessageStartingWith("spoolMaxBytse: unknown setting");
    assertThatThrownBy(() -> PipelineConfig.builder().reconnectMinMs(500).reconnectMaxMs(100).build())
        .hasMessageStartingWith("reconnectMaxMs:");
  }

  @Test
  void tlsSettingsAreValidatedNamingTheKey(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
    assertThat(PipelineConfig.builder().build().tls()).isNull();
    PipelineConfig c = PipelineConfig.builder().set("tls", "true").set("trustCertPath", ca.toString()).build();
    assertThat(c.tls().trustCertPath()).isEqualTo(ca);
    assertThat(c.tls().clientCertPath()).isNull();
    assertThatThrownBy(() -> PipelineConfig.builder().set("tls", "yes"))
        .hasMessageStartingWith("tls: \"yes\" is not true or false");
    assertThatThrownBy(() -> PipelineConfig.builder().trustCertPath(ca).build())
        .hasMessageStartingWith("tls: is false but trustCertPath is set; set tls=true");
    assertThatThrownBy(() -> PipelineConfig.builder().tls(true).trustCertPath(dir.resolve("missing.pem")).build())
        .hasMessageStartingWith("trustCertPath: ").hasMessageContaining("not a readable file");
    assertThatThrownBy(() -> PipelineConfig.builder().tls(true).clientCertPath(ca).build())
        .hasMessageStartingWith("clientKeyPath: is missing");
    assertThatThrownBy(() -> PipelineConfig.builder().tls(true).clientKeyPath(ca).build())
        .hasMessageStartingWith("clientKeyPath: is set without clientCertPath");
  }

  @Test
  void anHttpSchemeEndpointIsPlaintextAndAnHttpsOneTurnsTlsOn() {
    PipelineConfig plain = PipelineConfig.builder().set("endpoint", "http://collector.example:4417/").build();
    assertThat(plain.endpoints()).containsExactly(new Endpoint("collector.example", 4417));
    assertThat(plain.tls()).isNull();

    PipelineConfig tls = PipelineConfig.builder().set("endpoint", "https://a:4417, https://[::1]:4418").build();
    assertThat(tls.endpoints()).containsExactly(new Endpoint("a", 4417),
        new Endpoint("::1", 4418));
    assertThat(tls.tls()).isNotNull();
  }

  @Test
  void anEndpointSchemeSluiceCannotSpeakIsRefusedWithTheFix() {
    assertThatThrownBy(() -> PipelineConfig.builder().set("endpoint", "ftp://a:4417"))
        .hasMessageStartingWith("endpoint:").hasMessageContaining("https://host:port");
    assertThatThrownBy(() -> PipelineConfig.builder().set("endpoint", "http://a:4318/v1/logs"))
        .hasMessageStartingWith("endpoint:").hasMessageContaining("has a path").hasMessageContaining("http://a:4318");
    assertThatThrownBy(() -> PipelineConfig.builder().set("endpoint", "http://a:1,https://b:2"))
        .hasMessageStartingWith("endpoint:").hasMessageContaining("mixes");
    assertThatThrownBy(() -> PipelineConfig.builder().set("endpoint", "https://a:1").set("tls", "false").build())
        .hasMessageStartingWith("tls:").hasMessageContaining("https://");
  }

  @Test
  void rotatingCredentialsAreOneSourceAndOAuth2NamesWhatIsMissing() {
    assertThatThrownBy(() -> PipelineConfig.builder().credentials("k").set("credentialsFile", "/run/secrets/k").build())
        .hasMessageStartingWith("credentialsFile:").hasMessageContaining("keep one");
    assertThatThrownBy(() -> PipelineConfig.builder().set("oauth2Issuer", "https://kc.example/realms/apps").build())
        .hasMessageStartingWith("oauth2ClientId:").hasMessageContaining("required");
    assertThatThrownBy(() -> PipelineConfig.builder().set("oauth2Issuer", "kc.example/realms/apps")
        .set("oauth2ClientId", "a").set("oauth2ClientSecret", "s").build())
        .hasMessageStartingWith("oauth2Issuer:").hasMessageContaining("https://");
    assertThatThrownBy(() -> PipelineConfig.builder().set("oauth2TokenUrl", "https://kc.example/token")
        .set("oauth2ClientId", "a").build())
        .hasMessageStartingWith("oauth2ClientSecret:").hasMessageContaining("oauth2ClientSecretFile");
    assertThatThrownBy(() -> PipelineConfig.builder().set("oauth2ClientId", "a").build())
        .hasMessageStartingWith("oauth2Issuer:").hasMessageContaining("oauth2TokenUrl");
    PipelineConfig ok = PipelineConfig.builder().set("oauth2Issuer", "https://kc.example/realms/apps")
        .set("oauth2ClientId", "a").set("oauth2ClientSecretFile", "/run/secrets/s").set("oauth2Scope", "logs").build();
    assertThat(ok.oauth2().issuer()).hasToString("https://kc.example/realms/apps");
    assertThat(ok.oauth2().clientSecretFile()).hasToString("/run/secrets/s");
    assertThat(PipelineConfig.builder().set("credentialsFile", "/run/secrets/k").build().credentialsFile())
        .hasToString("/run/secrets/k");
    assertThat(PipelineConfig.builder().build().newCredentials()).isNull();
  }
}
