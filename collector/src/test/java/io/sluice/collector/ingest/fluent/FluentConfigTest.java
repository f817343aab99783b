package io.sluice.collector.ingest.fluent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.CollectorConfigYaml;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.FluentConfig;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code fluent:} section of collector.yaml, through the collector's config reader. */
class FluentConfigTest {
  @Test
  void fluentIsOffByDefault() {
    assertThat(CollectorConfigYaml.apply("kafka: {bootstrap: k:9092}", CollectorConfig.builder()).build().fluent())
        .isNull();
  }

  @Test
  void readsTheSectionWithUnitsAndEnvironmentAndDefaultsFromLimits() {
    CollectorConfig.Builder b = CollectorConfig.builder();
    CollectorConfigYaml.applyText(null, """
        kafka: {bootstrap: k:9092}
        limits: {maxFrameBytes: 2MiB, maxDecompressedBytes: 16MiB}
        tenants: {acme: {}}
        fluent:
          listen: 127.0.0.1:24224
          selfHostname: col-1
          tenants:
            acme: {sharedKey: "${KEY}", users: {bit: pw}}
          serviceKey: app
          maxConnections: 5
          idleTimeoutMs: 1m30s
        """, b, Map.of("KEY", "s3cret")::get);
    FluentConfig f = b.build().fluent();
    assertThat(f.listenHost()).isEqualTo("127.0.0.1");
    assertThat(f.listenPort()).isEqualTo(24224);
    assertThat(f.selfHostname()).isEqualTo("col-1");
    assertThat(f.tenants().get("acme")).isEqualTo(new FluentConfig.Tenant("s3cret", Map.of("bit", "pw")));
    assertThat(f.serviceKey()).isEqualTo("app");
    assertThat(f.maxConnections()).isEqualTo(5);
    assertThat(f.idleTimeout()).isEqualTo(Duration.ofSeconds(90));
    assertThat(f.maxFrameBytes()).isEqualTo(2 << 20);
    assertThat(f.maxDecompressedBytes()).isEqualTo(16 << 20);
    // a Fluent shared key counts as a way in: no auth.anonymous needed
    b.build().checkAuthentication();
  }

  @Test
  void everyProblemNamesItsKey() {
    assertThatThrownBy(() -> CollectorConfigYaml.apply("""
        kafka: {bootstrap: k:9092}
        fluent:
          listen: nowhere
          maxFrameBytes: 4 MBs
          tenants: {acme: {users: {}}}
          idelTimeoutMs: 1s
        """, CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fluent.listen")
        .hasMessageContaining("fluent.maxFrameBytes")
        .hasMessageContaining("fluent.tenants.acme: sharedKey is required")
        .hasMessageContaining("did you mean idleTimeoutMs?");
  }

  @Test
  void aSharedKeyMustNameAConfiguredTenantAndBeItsOwn() {
    assertThatThrownBy(() -> CollectorConfigYaml.apply("""
        kafka: {bootstrap: k:9092}
        fluent: {tenants: {ghost: {sharedKey: k1}}}
        """, CollectorConfig.builder()).build())
        .isInstanceOf(ConfigException.class).hasMessageContaining("fluent.tenants.ghost")
        .hasMessageContaining("names no tenant under tenants");
    assertThatThrownBy(() -> CollectorConfigYaml.apply("""
        kafka: {bootstrap: k:9092}
        tenants: {a: {}, b: {}}
        fluent: {tenants: {a: {sharedKey: same}, b: {sharedKey: same}}}
        """, CollectorConfig.builder()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("fluent.tenants.b: sharedKey is the same as tenant a's");
  }
}
