package io.sluice.collector.config;

import io.sluice.config.ConfigNode;
import io.sluice.config.ConfigProblem;
import io.sluice.config.ConfigReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads collector.yaml into a {@link CollectorConfig.Builder} through the shared reader {@link ConfigReader}: sizes
 * ({@code 4MiB}, {@code 512KiB}, bytes) and durations ({@code 2s}, {@code 500ms}, {@code 1m}; a plain number is
 * milliseconds), {@code ${VAR}} / {@code ${VAR:-default}} / {@code $$} in values, and every problem of the file at
 * once, each with file, line and dotted key, unknown keys named with the nearest known one ({@link ConfigException}).
 * Layout:
 *
 * <pre>
 * listen: 0.0.0.0:4417
 * kafka:
 *   bootstrap: ${KAFKA_BOOTSTRAP:-kafka-1:9092}
 *   topic: sluice-logs
 *   partitions: 3
 *   replicationFactor: 1
 *   createTopic: true
 *   producer: { linger.ms: 10 }      # any producer property, over the collector's defaults
 *   format: batch                    # Kafka record format: batch (one record per batch and topic) or record
 *   topicFormats: { legacy-logs: record }   # per-topic exceptions
 * limits:
 *   maxFrameBytes: 4MiB
 *   maxDecompressedBytes: 32MiB
 *   maxInFlightBytes: 24MiB
 *   maxInFlightBytesPerStream: 8MiB
 *   retryAfterMs: 1s
 * shutdownTimeoutMs: 10s
 * embeddedKafka:
 *   enabled: false
 *   dir: /var/lib/sluice/kafka
 * </pre>
 */
public final class CollectorConfigYaml {
  private static io.sluice.wire.kafka.KafkaFormat kafkaFormat(String key, String value) {
    try {
      return io.sluice.wire.kafka.KafkaFormat.parse(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key, e.getMessage());
    }
  }

  private static final Set<String> TOP = Set.of("listen", "kafka", "limits", "shutdownTimeoutMs", "embeddedKafka",
      "http", "maxConnectionAgeMs", "maxConnectionAgeGraceMs", "tls", "auth", "tenants", "routes", "reloadIntervalMs",
      "zookeeper", "fluent");
  private static final Set<String> FLUENT = Set.of("listen", "selfHostname", "tenants", "serviceKey", "maxFrameBytes",
      "maxDecompressedBytes", "maxConnections", "idleTimeoutMs", "anonymousTenant");
  private static final Set<String> FLUENT_TENANT = Set.of("sharedKey", "users");
  private static final Set<String> ZOOKEEPER = Set.of("connect", "path");
  private static final Set<String> KAFKA = Set.of("bootstrap", "topic", "partitions", "replicationFactor",
      "createTopic", "producer", "deadLetterTopic", "format", "topicFormats");
  private static final Set<String> LIMITS = Set.of("maxFrameBytes", "maxDecompressedBytes", "maxInFlightBytes",
      "maxInFlightBytesPerStream", "retryAfterMs", "maxRecordsPerBatch", "maxStreamsPerConnection",
      "maxRecordBytes", "tenantDefault", "maxResourceBytes", "maxEnrichedBatchBytes", "resendWindow",
      "resendSources");
  private static final Set<String> RATE = Set.of("recordsPerSecond", "bytesPerSecond", "burstSeconds");
  private static final Set<String> HTTP = Set.of("listen", "tls", "maxConcurrentRequests");
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "clientCaFile", "requireClientCert");
  private static final Set<String> AUTH = Set.of("anonymous", "oidc", "allowUnknownTenants");
  private static final Set<String> OIDC = Set.of("jwksFile", "jwksUrl", "issuer", "audience", "tenantClaim",
      "clockSkewMs");
  private static final Set<String> TENANT = Set.of("apiKeys", "mtlsSubjects", "topics", "limits");
  private static final Set<String> ROUTE = Set.of("tenant", "service", "minSeverity", "topic");
  private static final List<String> SEVERITIES = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");
  private static final Set<String> EMBEDDED = Set.of("enabled", "dir");

  private CollectorConfigYaml() {}

  /** Applies {@code file} to {@code builder}, substituting from the process environment. */
  public static CollectorConfig.Builder load(Path file, CollectorConfig.Builder builder) {
    read(file, builder, System::getenv);
    return builder;
  }

  /**
   * Applies {@code file} to {@code builder}, substituting from {@code env}, and returns the reader, which locates
   * later problems (of {@code build()}) in the file ({@link #locate}).
   *
   * @throws ConfigException with every problem of the file
   */
  public static ConfigReader read(Path file, CollectorConfig.Builder builder, Function<String, String> env) {
    return applyTo(ConfigReader.read(file, env), builder);
  }

  /** Applies YAML text to {@code builder}, substituting from the process environment. */
  public static CollectorConfig.Builder apply(String yaml, CollectorConfig.Builder builder) {
    applyText(null, yaml, builder, System::getenv);
    return builder;
  }

  /** Applies YAML text named {@code source} (null for none) to {@code builder}; see {@link #read}. */
  public static ConfigReader applyText(String source, String yaml, CollectorConfig.Builder builder,
      Function<String, String> env) {
    return applyTo(ConfigReader.parse(source, yaml, env), builder);
  }

  /**
   * {@code e} (thrown by {@code build()} or a check after it) with each problem placed in the document {@code r}
   * read: on the key's line when the file has the key, else just the file.
   */
  public static ConfigException locate(ConfigException e, ConfigReader r) {
    List<ConfigProblem> out = new ArrayList<>();
    for (ConfigProblem p : e.problems()) {
      out.add(p.source() != null ? p : r.hasPath(p.path()) ? r.locate(p.path(), p.message())
          : new ConfigProblem(r.source(), 0, p.path(), p.message()));
    }
    return new ConfigException(out);
  }

  private static ConfigReader applyTo(ConfigReader r, CollectorConfig.Builder b) {
    ConfigNode root = r.root();
    r.knownKeys(root, TOP);
    Function<ConfigNode, Long> int32 = n -> r.integer(n, Integer.MIN_VALUE, Integer.MAX_VALUE);
    Function<ConfigNode, Long> millis = r::millis;
    Function<ConfigNode, Long> bytes = r::bytes;

    r.set(root, "listen", r::text, b::listen);
    r.set(root, "shutdownTimeoutMs", millis, v -> b.shutdownTimeout(Duration.ofMillis(v)));
    r.set(root, "maxConnectionAgeMs", millis, v -> b.maxConnectionAge(Duration.ofMillis(v)));
    r.set(root, "maxConnectionAgeGraceMs", millis, v -> b.maxConnectionAgeGrace(Duration.ofMillis(v)));
    r.set(root, "reloadIntervalMs", millis, v -> b.reloadInterval(Duration.ofMillis(v)));

    ConfigNode kafka = r.mapping(root, "kafka", KAFKA);
    r.set(kafka, "bootstrap", r::text, b::kafkaBootstrap);
    r.set(kafka, "topic", r::text, b::topic);
    r.set(kafka, "partitions", int32, v -> b.topicPartitions(v.intValue()));
    r.set(kafka, "replicationFactor", int32, v -> b.topicReplicationFactor(v.intValue()));
    r.set(kafka, "createTopic", r::bool, b::createTopic);
    r.set(kafka, "deadLetterTopic", r::text, b::deadLetterTopic);
    r.set(kafka, "format", r::text, v -> b.kafkaFormat(kafkaFormat("kafka.format", v)));
    ConfigNode formats = kafka == null ? null : kafka.get("topicFormats");
    if (formats != null && !formats.isNull()) {
      if (!formats.isMapping()) {
        r.problem(formats, "must be a mapping of topic to format, e.g. { legacy-logs: record }");
      } else {
        for (Map.Entry<String, ConfigNode> e : formats.fields().entrySet()) {
          r.set(formats, e.getKey(), r::text,
              v -> b.topicFormat(e.getKey(), kafkaFormat("kafka.topicFormats." + e.getKey(), v)));
        }
      }
    }
    ConfigNode producer = kafka == null ? null : kafka.get("producer");
    if (producer != null && !producer.isNull()) {
      if (!producer.isMapping()) {
        r.problem(producer, "must be a mapping of producer properties, e.g. { linger.ms: 10 }");
      } else {
        for (Map.Entry<String, ConfigNode> e : producer.fields().entrySet()) {
          r.set(producer, e.getKey(), r::text, v -> b.producerOverride(e.getKey(), v));
        }
      }
    }

    ConfigNode limits = r.mapping(root, "limits", LIMITS);
    r.set(limits, "maxFrameBytes", bytes, b::maxFrameBytes);
    r.set(limits, "maxDecompressedBytes", bytes, b::maxDecompressedBytes);
    r.set(limits, "maxInFlightBytes", bytes, b::maxInFlightBytes);
    r.set(limits, "maxInFlightBytesPerStream", bytes, b::maxInFlightBytesPerStream);
    r.set(limits, "retryAfterMs", n -> r.millis(n, 0, Integer.MAX_VALUE), v -> b.retryAfterMs(v.intValue()));
    r.set(limits, "maxRecordsPerBatch", r::integer, b::maxRecordsPerBatch);
    r.set(limits, "maxStreamsPerConnection", r::integer, b::maxStreamsPerConnection);
    r.set(limits, "maxRecordBytes", bytes, b::maxRecordBytes);
    r.set(limits, "maxResourceBytes", bytes, b::maxResourceBytes);
    r.set(limits, "maxEnrichedBatchBytes", bytes, b::maxEnrichedBatchBytes);
    r.set(limits, "resendWindow", r::integer, b::resendWindow);
    r.set(limits, "resendSources", r::integer, b::resendSources);
    if (limits != null && limits.has("tenantDefault")) {
      RateLimit rate = rate(r, limits, "tenantDefault");
      if (rate != null) r.run(limits.get("tenantDefault"), () -> b.tenantDefaultLimit(rate));
    }

    ConfigNode zookeeper = r.mapping(root, "zookeeper", ZOOKEEPER);
    r.set(zookeeper, "connect", r::text, b::zookeeperConnect);
    r.set(zookeeper, "path", r::text, b::zookeeperPath);

    ConfigNode http = r.mapping(root, "http", HTTP);
    r.set(http, "listen", r::text, b::httpListen);
    r.set(http, "tls", r::bool, b::httpTls);
    r.set(http, "maxConcurrentRequests", int32, v -> b.httpMaxConcurrentRequests(v.intValue()));

    ConfigNode tls = r.mapping(root, "tls", TLS);
    if (tls != null) {
      if (!tls.has("certFile") || !tls.has("keyFile")) {
        r.problem(tls, "needs certFile and keyFile (PEM; the key in PKCS#8)");
      } else {
        Path cert = path(r, tls, "certFile");
        Path key = path(r, tls, "keyFile");
        Path ca = tls.has("clientCaFile") ? path(r, tls, "clientCaFile") : null;
        Boolean require = tls.has("requireClientCert") ? r.bool(tls.get("requireClientCert")) : Boolean.FALSE;
        if (cert != null && key != null && require != null) {
          r.run(tls, () -> b.tls(new TlsConfig(cert, key, ca, require)));
        }
      }
    }

    ConfigNode auth = r.mapping(root, "auth", AUTH);
    r.set(auth, "anonymous", r::bool, b::anonymous);
    r.set(auth, "allowUnknownTenants", r::bool, b::allowUnknownTenants);
    ConfigNode oidc = auth == null ? null : r.mapping(auth, "oidc", OIDC);
    if (oidc != null) {
      Path jwksFile = oidc.has("jwksFile") ? path(r, oidc, "jwksFile") : null;
      URI jwksUrl = oidc.has("jwksUrl") ? uri(r, oidc.get("jwksUrl")) : null;
      String issuer = oidc.has("issuer") ? r.text(oidc.get("issuer")) : null;
      String audience = oidc.has("audience") ? r.text(oidc.get("audience")) : null;
      String claim = oidc.has("tenantClaim") ? r.text(oidc.get("tenantClaim")) : "tenant";
      Long skewMs = oidc.has("clockSkewMs") ? r.millis(oidc.get("clockSkewMs")) : null;
      java.time.Duration skew = skewMs == null ? null : Duration.ofMillis(skewMs);
      r.run(oidc, () -> b.oidc(new OidcConfig(jwksFile, jwksUrl, issuer, audience, claim, skew)));
    }

    ConfigNode tenants = root.get("tenants");
    if (tenants != null && !tenants.isNull()) {
      if (!tenants.isMapping()) {
        r.problem(tenants, "must be a mapping of tenant names to their settings, e.g. acme: {apiKeys: [sha256:...]}");
      } else {
        for (Map.Entry<String, ConfigNode> e : tenants.fields().entrySet()) {
          tenant(r, b, e.getKey(), e.getValue());
        }
      }
    }

    ConfigNode routes = root.get("routes");
    if (routes != null && !routes.isNull()) {
      if (!routes.isList()) {
        r.problem(routes, "must be a list of rules, e.g. - {tenant: acme, topic: logs-acme}");
      } else {
        for (ConfigNode rule : routes.items()) {
          route(r, b, rule);
        }
      }
    }

    fluent(r, b, root);

    ConfigNode embedded = r.mapping(root, "embeddedKafka", EMBEDDED);
    r.set(embedded, "enabled", r::bool, b::embeddedKafka);
    if (embedded != null && embedded.has("dir")) {
      Path dir = path(r, embedded, "dir");
      if (dir != null) b.embeddedKafkaDir(dir);
    }
    if (!r.problems().isEmpty()) {
      throw new ConfigException(r.problems());
    }
    return r;
  }

  /** The optional {@code fluent:} section: the Fluent forward protocol listener (see {@link FluentConfig}). */
  private static void fluent(ConfigReader r, CollectorConfig.Builder b, ConfigNode root) {
    ConfigNode fluent = r.mapping(root, "fluent", FLUENT);
    if (fluent == null) return;
    FluentConfig.Builder f = FluentConfig.builder();
    r.set(fluent, "listen", r::text, f::listen);
    r.set(fluent, "selfHostname", r::text, f::selfHostname);
    r.set(fluent, "serviceKey", r::text, f::serviceKey);
    r.set(fluent, "anonymousTenant", r::text, f::anonymousTenant);
    r.set(fluent, "maxFrameBytes", r::bytes, f::maxFrameBytes);
    r.set(fluent, "maxDecompressedBytes", r::bytes, f::maxDecompressedBytes);
    r.set(fluent, "maxConnections", r::integer, f::maxConnections);
    r.set(fluent, "idleTimeoutMs", r::millis, v -> f.idleTimeout(Duration.ofMillis(v)));
    ConfigNode tenants = fluent.get("tenants");
    if (tenants != null && !tenants.isNull()) {
      if (!tenants.isMapping()) {
        r.problem(tenants, "must be a mapping of tenant names to {sharedKey: ..., users: {...}}");
      } else {
        for (Map.Entry<String, ConfigNode> e : tenants.fields().entrySet()) {
          ConfigNode t = r.mapping(tenants, e.getKey(), FLUENT_TENANT);
          if (t == null) {
            r.problem(e.getValue(), "must be a mapping such as {sharedKey: ${FLUENT_KEY}}");
            continue;
          }
          String key = t.has("sharedKey") ? r.text(t.get("sharedKey")) : "";
          Map<String, String> users = new java.util.LinkedHashMap<>();
          ConfigNode u = t.get("users");
          if (u != null && !u.isNull()) {
            if (!u.isMapping()) {
              r.problem(u, "must be a mapping of username to password, e.g. {fluentbit: ${FLUENT_PASSWORD}}");
            } else {
              for (Map.Entry<String, ConfigNode> user : u.fields().entrySet()) {
                String password = r.text(user.getValue());
                if (password != null) users.put(user.getKey(), password);
              }
            }
          }
          if (key != null) r.run(t, () -> f.tenant(e.getKey(), key, users));
        }
      }
    }
    r.run(fluent, () -> b.fluent(f));
  }

  private static void tenant(ConfigReader r, CollectorConfig.Builder b, String name, ConfigNode t) {
    if (t.isNull()) {
      r.run(t, () -> b.tenant(new TenantConfig(name, List.of(), List.of(), List.of(), null)));
      return;
    }
    if (!t.isMapping()) {
      r.problem(t, "must be a mapping with apiKeys, mtlsSubjects, topics or limits, found " + t.describe());
      return;
    }
    r.knownKeys(t, TENANT);
    List<String> keys = new ArrayList<>();
    boolean ok = true;
    ConfigNode apiKeys = t.get("apiKeys");
    if (apiKeys != null && !apiKeys.isNull()) {
      if (!apiKeys.isList()) {
        r.problem(apiKeys, "must be a list, e.g. [sha256:<hex>]");
        ok = false;
      } else {
        for (ConfigNode k : apiKeys.items()) {
          String v = r.text(k);
          if (v == null) {
            ok = false;
          } else if (!v.startsWith("sha256:")) {
            r.problem(k, "entries are sha256:<hex of SHA-256 of the key>; never write the key itself "
                + "(printf %s KEY | sha256sum)");
            ok = false;
          } else {
            keys.add(v.substring("sha256:".length()).toLowerCase(Locale.ROOT));
          }
        }
      }
    }
    List<String> subjects = t.has("mtlsSubjects") ? r.strings(t.get("mtlsSubjects"), false) : List.of();
    List<String> topics = t.has("topics") ? r.strings(t.get("topics"), false) : List.of();
    RateLimit limit = t.has("limits") ? rate(r, t, "limits") : null;
    if (!ok || subjects == null || topics == null || (t.has("limits") && limit == null)) return;
    r.run(apiKeys != null ? apiKeys : t, () -> b.tenant(new TenantConfig(name, keys, subjects, topics, limit)));
  }

  private static void route(ConfigReader r, CollectorConfig.Builder b, ConfigNode rule) {
    if (!rule.isMapping()) {
      r.problem(rule, "must be a rule such as {tenant: acme, topic: logs-acme}, found " + rule.describe());
      return;
    }
    r.knownKeys(rule, ROUTE);
    if (!rule.has("topic")) {
      r.problem(rule, "topic", "is required");
      return;
    }
    String tenant = rule.has("tenant") ? r.text(rule.get("tenant")) : null;
    String service = rule.has("service") ? r.text(rule.get("service")) : null;
    Integer severity = rule.has("minSeverity") ? severity(r, rule.get("minSeverity")) : Integer.valueOf(0);
    String topic = r.text(rule.get("topic"));
    if (topic == null || severity == null || (rule.has("tenant") && tenant == null)
        || (rule.has("service") && service == null)) {
      return;
    }
    try {
      b.route(new RouteRule(tenant, service, severity, topic));
    } catch (ConfigException e) {
      String leaf = e.key().substring(e.key().lastIndexOf('.') + 1);
      r.problem(rule, rule.has(leaf) ? leaf : "topic", e.problem());
    }
  }

  private static RateLimit rate(ConfigReader r, ConfigNode parent, String key) {
    ConfigNode node = r.mapping(parent, key, RATE);
    if (node == null) {
      if (parent.get(key).isNull()) {
        r.problem(parent.get(key), "must be a mapping, e.g. {recordsPerSecond: 10000, bytesPerSecond: 10MiB}");
      }
      return null;
    }
    Long records = node.has("recordsPerSecond") ? r.integer(node.get("recordsPerSecond")) : Long.valueOf(0);
    Long bytesPerSecond = node.has("bytesPerSecond") ? r.bytes(node.get("bytesPerSecond")) : Long.valueOf(0);
    Double burst = node.has("burstSeconds") ? seconds(r, node.get("burstSeconds")) : Double.valueOf(1);
    if (records == null || bytesPerSecond == null || burst == null) return null;
    try {
      return new RateLimit(records, bytesPerSecond, burst);
    } catch (ConfigException e) {
      r.problem(node, e.problem());
      return null;
    }
  }

  /** A number of seconds ({@code 1}, {@code 0.5}) or a duration ({@code 500ms}, {@code 2s}). */
  private static Double seconds(ConfigReader r, ConfigNode n) {
    String v = r.text(n);
    if (v == null) return null;
    try {
      return Double.parseDouble(v.trim());
    } catch (NumberFormatException notANumber) {
      Long ms = r.millis(n);
      return ms == null ? null : ms / 1000.0;
    }
  }

  private static Integer severity(ConfigReader r, ConfigNode n) {
    String v = r.text(n);
    if (v == null) return null;
    String t = v.trim();
    if (t.matches("-?\\d{1,9}")) return Integer.parseInt(t);
    int i = SEVERITIES.indexOf(t.toUpperCase(Locale.ROOT));
    if (i < 0) {
      r.problem(n, n.describe() + " is not a severity; write one of " + SEVERITIES + " or 1..24");
      return null;
    }
    return 1 + 4 * i;
  }

  private static Path path(ConfigReader r, ConfigNode parent, String key) {
    String v = r.nonBlank(parent.get(key));
    return v == null ? null : Path.of(v);
  }

  private static URI uri(ConfigReader r, ConfigNode n) {
    String v = r.text(n);
    if (v == null) return null;
    try {
      return new URI(v);
    } catch (URISyntaxException e) {
      r.problem(n, n.describe() + " is not a URL; write e.g. https://idp/realms/r/protocol/openid-connect/certs");
      return null;
    }
  }
}
