package io.sluice.backend.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QueryConfigTest {
  @TempDir
  Path dir;

  private QueryConfig read(String yaml) throws Exception {
    Path f = dir.resolve("query.yaml");
    Files.writeString(f, yaml);
    return QueryConfig.read(f);
  }

  @Test
  void readsEverySection() throws Exception {
    QueryConfig c = read("""
        listen: 0.0.0.0:9000
        opensearch: { urls: [http://os:9200], indexPrefix: logs- }
        cassandra: { contactPoints: "c1:9042,c2:9042", datacenter: dc2, keyspace: k }
        kafka: { bootstrap: "k:9092", topic: t, alertsTopic: a }
        limits: { maxLimit: 50, queryTimeoutMs: 2500, tailMaxClients: 3, tailBufferBytes: 65536 }
        tenants:
          acme: { apiKeys: ["sha256:%s"] }
        """.formatted(ApiKeys.sha256Hex("k1")));
    assertThat(c.listenPort()).isEqualTo(9000);
    assertThat(c.cassandraContactPoints()).containsExactly("c1:9042", "c2:9042");
    assertThat(c.queryTimeout().toMillis()).isEqualTo(2500);
    assertThat(new ApiKeys(c.apiKeyDigestsByTenant(), false, "").tenant("Bearer k1", null, null)).isEqualTo("acme");
  }

  @Test
  void errorsNameTheKey() {
    assertThatThrownBy(() -> read("opensearch: { url: x }\nauth: { anonymous: true }"))
        .hasMessageContaining("unknown key opensearch.url");
    assertThatThrownBy(() -> read("limits: { maxLimit: lots }\nauth: { anonymous: true }"))
        .hasMessageContaining("limits.maxLimit");
    assertThatThrownBy(() -> read("tenants: { acme: { apiKeys: [secret] } }"))
        .hasMessageContaining("tenants.acme.apiKeys");
    assertThatThrownBy(() -> read("listen: 127.0.0.1:8080")).hasMessageContaining("auth.anonymous");
  }

  @Test
  void keysMapToTenantsAndAnonymousIsOptIn() throws Exception {
    ApiKeys keys = new ApiKeys(Map.of("acme", List.of(ApiKeys.sha256Hex("k1"))), false, "");
    assertThat(keys.tenant(null, "k1", null)).isEqualTo("acme");
    assertThat(keys.tenant(null, null, "a=b; sluice_key=k1")).isEqualTo("acme");
    assertThat(assertThatThrownBy(() -> keys.tenant(null, null, null)).isInstanceOf(HttpError.class));
    assertThatThrownBy(() -> keys.tenant("Bearer k2", null, null)).hasMessageContaining("not recognised");
    assertThat(new ApiKeys(Map.of(), true, "demo").tenant(null, null, null)).isEqualTo("demo");
  }
}
