package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The query service's configuration, read from YAML by {@link #read(Path)}: unknown keys and bad values fail with
 * an {@link IllegalArgumentException} naming the file and the dotted key. Immutable. Layout (every engine optional;
 * an endpoint whose engine is absent answers 503 saying which key to set):
 *
 * <pre>
 * listen: 127.0.0.1:8080
 * opensearch: { urls: [http://opensearch:9200], indexPrefix: sluice-logs- }
 * cassandra:  { contactPoints: [cassandra:9042], datacenter: datacenter1, keyspace: sluice }
 * kafka:      { bootstrap: kafka:9092, topic: sluice.logs, alertsTopic: sluice-alerts }
 *   # scanSearch: true  -- no OpenSearch: search and histogram scan the topic (the demo; at most
 *   #                      KafkaScanLogs.MAX_SCAN_RECORDS newest records per partition)
 * limits:
 *   maxLimit: 500            # most hits, rows or alerts one request may ask for
 *   queryTimeoutMs: 5000     # every engine call; past it the request gets 504
 *   maxConcurrentRequests: 16
 *   tailMaxClients: 8        # live-tail connections at once; the next gets 429
 *   tailBufferBytes: 1048576 # per live-tail client; a client that falls this far behind is dropped (slow_client)
 * auth:
 *   anonymous: false         # true: requests without a key see anonymousTenant's data
 *   anonymousTenant: ""
 * tenants:
 *   acme: { apiKeys: ["sha256:&lt;hex of the key&gt;"] }
 * </pre>
 */
public record QueryConfig(
    String listenHost,
    int listenPort,
    List<String> opensearchUrls,
    String indexPrefix,
    List<String> cassandraContactPoints,
    String cassandraDatacenter,
    String cassandraKeyspace,
    String kafkaBootstrap,
    String kafkaTopic,
    String alertsTopic,
    boolean kafkaScanSearch,
    int maxLimit,
    Duration queryTimeout,
    int maxConcurrentRequests,
    int tailMaxClients,
    long tailBufferBytes,
    boolean anonymous,
    String anonymousTenant,
    Map<String, List<String>> apiKeyDigestsByTenant) {

  private static final Set<String> TOP = Set.of("listen", "opensearch", "cassandra", "kafka", "limits", "auth",
      "tenants");
  private static final Set<String> OPENSEARCH = Set.of("urls", "indexPrefix");
  private static final Set<String> CASSANDRA = Set.of("contactPoints", "datacenter", "keyspace");
  private static final Set<String> KAFKA = Set.of("bootstrap", "topic", "alertsTopic", "scanSearch");
  private static final Set<String> LIMITS = Set.of("maxLimit", "queryTimeoutMs", "maxConcurrentRequests",
      "tailMaxClients", "tailBufferBytes");
  private static final Set<String> AUTH = Set.of("anonymous", "anonymousTenant");
  private static final Set<String> TENANT = Set.of("apiKeys");

  public QueryConfig {
    if (maxLimit < 1 || maxLimit > 10_000) {
      throw new IllegalArgumentException("limits.maxLimit is " + maxLimit + "; use 1..10000");
    }
    if (queryTimeout.isNegative() || queryTimeout.isZero()) {
      throw new IllegalArgumentException("limits.queryTimeoutMs must be positive");
    }
    if (maxConcurrentRequests < 1 || tailMaxClients < 0 || tailBufferBytes < 1024) {
      throw new IllegalArgumentException("limits: maxConcurrentRequests >= 1, tailMaxClients >= 0 and "
          + "tailBufferBytes >= 1024 are required");
    }
    if (!anonymous && apiKeyDigestsByTenant.values().stream().allMatch(List::isEmpty)) {
      throw new IllegalArgumentException("no way in: set tenants.<name>.apiKeys, or auth.anonymous: true");
    }
    opensearchUrls = List.copyOf(opensearchUrls);
    cassandraContactPoints = List.copyOf(cassandraContactPoints);
    apiKeyDigestsByTenant = Map.copyOf(apiKeyDigestsByTenant);
  }

  /** A builder-style starting point: listen on 127.0.0.1 (port 0 = any free one), no engines, anonymous off. */
  public static QueryConfig defaults(Map<String, List<String>> keys, boolean anonymous) {
    return new QueryConfig("127.0.0.1", 0, List.of(), "sluice-logs-", List.of(), "datacenter1", "sluice", null,
        "sluice.logs", null, false, 500, Duration.ofSeconds(5), 16, 8, 1 << 20, anonymous, "", keys);
  }

  public QueryConfig withOpenSearch(List<String> urls, String prefix) {
    return new QueryConfig(listenHost, listenPort, urls, prefix, cassandraContactPoints, cassandraDatacenter,
        cassandraKeyspace, kafkaBootstrap, kafkaTopic, alertsTopic, kafkaScanSearch, maxLimit, queryTimeout,
        maxConcurrentRequests,
        tailMaxClients, tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withCassandra(List<String> contactPoints, String datacenter, String keyspace) {
    return new QueryConfig(listenHost, listenPort, opensearchUrls, indexPrefix, contactPoints, datacenter, keyspace,
        kafkaBootstrap, kafkaTopic, alertsTopic, kafkaScanSearch, maxLimit, queryTimeout, maxConcurrentRequests,
        tailMaxClients,
        tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withKafka(String bootstrap, String topic, String alerts) {
    return new QueryConfig(listenHost, listenPort, opensearchUrls, indexPrefix, cassandraContactPoints,
        cassandraDatacenter, cassandraKeyspace, bootstrap, topic, alerts, kafkaScanSearch, maxLimit, queryTimeout,
        maxConcurrentRequests, tailMaxClients, tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withLimits(int maxLimit, Duration timeout, int tailMaxClients, long tailBufferBytes) {
    return new QueryConfig(listenHost, listenPort, opensearchUrls, indexPrefix, cassandraContactPoints,
        cassandraDatacenter, cassandraKeyspace, kafkaBootstrap, kafkaTopic, alertsTopic, kafkaScanSearch, maxLimit,
        timeout,
        maxConcurrentRequests, tailMaxClients, tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withScanSearch() {
    return new QueryConfig(listenHost, listenPort, opensearchUrls, indexPrefix, cassandraContactPoints,
        cassandraDatacenter, cassandraKeyspace, kafkaBootstrap, kafkaTopic, alertsTopic, true, maxLimit, queryTimeout,
        maxConcurrentRequests, tailMaxClients, tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withListen(String host, int port) {
    return new QueryConfig(host, port, opensearchUrls, indexPrefix, cassandraContactPoints, cassandraDatacenter,
        cassandraKeyspace, kafkaBootstrap, kafkaTopic, alertsTopic, kafkaScanSearch, maxLimit, queryTimeout,
        maxConcurrentRequests,
        tailMaxClients, tailBufferBytes, anonymous, anonymousTenant, apiKeyDigestsByTenant);
  }

  public QueryConfig withAnonymousTenant(String tenant) {
    return new QueryConfig(listenHost, listenPort, opensearchUrls, indexPrefix, cassandraContactPoints,
        cassandraDatacenter, cassandraKeyspace, kafkaBootstrap, kafkaTopic, alertsTopic, kafkaScanSearch, maxLimit,
        queryTimeout,
        maxConcurrentRequests, tailMaxClients, tailBufferBytes, true, tenant, apiKeyDigestsByTenant);
  }

  public static QueryConfig read(Path file) throws IOException {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(Files.readString(file));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(file + ": no such file; pass --config with the path of query.yaml");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalArgumentException(file + ": not YAML: " + e.getOriginalMessage());
    }
    try {
      return parse(root);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  static QueryConfig parse(JsonNode root) {
    if (root == null || root.isMissingNode() || root.isNull()) {
      root = YAMLMapper.builder().build().createObjectNode();
    }
    known(root, "", TOP);
    String listen = text(root, "listen", "127.0.0.1:8080");
    int colon = listen.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("listen is '" + listen + "'; use host:port, e.g. 127.0.0.1:8080");
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("listen is '" + listen + "'; the port must be a number");
    }
    JsonNode os = root.path("opensearch");
    known(os, "opensearch.", OPENSEARCH);
    JsonNode cs = root.path("cassandra");
    known(cs, "cassandra.", CASSANDRA);
    JsonNode kf = root.path("kafka");
    known(kf, "kafka.", KAFKA);
    JsonNode lim = root.path("limits");
    known(lim, "limits.", LIMITS);
    JsonNode auth = root.path("auth");
    known(auth, "auth.", AUTH);
    Map<String, List<String>> keys = new LinkedHashMap<>();
    JsonNode tenants = root.path("tenants");
    for (Iterator<Map.Entry<String, JsonNode>> it = tenants.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> t = it.next();
      known(t.getValue(), "tenants." + t.getKey() + ".", TENANT);
      List<String> digests = new ArrayList<>();
      for (String k : list(t.getValue(), "apiKeys", "tenants." + t.getKey() + ".apiKeys")) {
        if (!k.matches("sha256:[0-9a-f]{64}")) {
          throw new IllegalArgumentException("tenants." + t.getKey() + ".apiKeys has '" + k + "'; write keys as "
              + "sha256:<64 lowercase hex> (printf %s KEY | sha256sum), never in clear");
        }
        digests.add(k.substring(7));
      }
      keys.put(t.getKey(), digests);
    }
    String bootstrap = text(kf, "bootstrap", null);
    return new QueryConfig(listen.substring(0, colon), port,
        list(os, "urls", "opensearch.urls"), text(os, "indexPrefix", "sluice-logs-"),
        list(cs, "contactPoints", "cassandra.contactPoints"), text(cs, "datacenter", "datacenter1"),
        text(cs, "keyspace", "sluice"),
        bootstrap, text(kf, "topic", "sluice.logs"), text(kf, "alertsTopic", null),
        kf.path("scanSearch").asBoolean(false),
        integer(lim, "maxLimit", 500, "limits."), Duration.ofMillis(integer(lim, "queryTimeoutMs", 5000, "limits.")),
        integer(lim, "maxConcurrentRequests", 16, "limits."), integer(lim, "tailMaxClients", 8, "limits."),
        integer(lim, "tailBufferBytes", 1 << 20, "limits."),
        auth.path("anonymous").asBoolean(false), text(auth, "anonymousTenant", ""), keys);
  }

  private static void known(JsonNode node, String prefix, Set<String> allowed) {
    if (node.isMissingNode()) {
      return;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException(prefix.isEmpty() ? "the file must be a YAML mapping"
          : prefix.substring(0, prefix.length() - 1) + " must be a mapping");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext();) {
      String k = it.next();
      if (!allowed.contains(k)) {
        throw new IllegalArgumentException(
            "unknown key " + prefix + k + "; known: " + new java.util.TreeSet<>(allowed));
      }
    }
  }

  private static String text(JsonNode node, String key, String dflt) {
    JsonNode v = node.path(key);
    return v.isMissingNode() || v.isNull() ? dflt : v.asText();
  }

  private static int integer(JsonNode node, String key, int dflt, String prefix) {
    JsonNode v = node.path(key);
    if (v.isMissingNode()) {
      return dflt;
    }
    if (!v.canConvertToInt()) {
      throw new IllegalArgumentException(prefix + key + " is '" + v.asText() + "'; use a whole number");
    }
    return v.asInt();
  }

  private static List<String> list(JsonNode node, String key, String dotted) {
    JsonNode v = node.path(key);
    List<String> out = new ArrayList<>();
    if (v.isMissingNode() || v.isNull()) {
      return out;
    }
    if (v.isTextual()) {
      for (String s : v.asText().split(",")) {
        if (!s.isBlank()) {
          out.add(s.strip());
        }
      }
      return out;
    }
    if (!v.isArray()) {
      throw new IllegalArgumentException(dotted + " must be a list");
    }
    v.forEach(e -> out.add(e.asText()));
    return out;
  }
}
