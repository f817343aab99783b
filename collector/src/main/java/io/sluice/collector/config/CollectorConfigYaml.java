package io.sluice.collector.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads collector.yaml into a {@link CollectorConfig.Builder}. Unknown keys and bad values fail with a
 * {@link ConfigException} that names the file and the dotted key. Layout:
 *
 * <pre>
 * listen: 0.0.0.0:4417
 * kafka:
 *   bootstrap: kafka-1:9092
 *   topic: sluice-logs
 *   partitions: 3
 *   replicationFactor: 1
 *   createTopic: true
 *   producer: { linger.ms: 10 }      # any producer property, over the collector's defaults
 * limits:
 *   maxFrameBytes: 4194304
 *   maxDecompressedBytes: 33554432
 *   maxInFlightBytes: 25165824
 *   maxInFlightBytesPerStream: 8388608
 *   retryAfterMs: 1000
 * shutdownTimeoutMs: 10000
 * embeddedKafka:
 *   enabled: false
 *   dir: /var/lib/sluice/kafka
 * </pre>
 */
public final class CollectorConfigYaml {
  private static final Set<String> TOP = Set.of("listen", "kafka", "limits", "shutdownTimeoutMs", "embeddedKafka",
      "http", "maxConnectionAgeMs", "maxConnectionAgeGraceMs", "tls", "auth", "tenants", "routes", "reloadIntervalMs", "zookeeper");
  private static final Set<String> ZOOKEEPER = Set.of("connect", "path");
  private static final Set<String> KAFKA = Set.of("bootstrap", "topic", "partitions", "replicationFactor",
      "createTopic", "producer", "deadLetterTopic");
  private static final Set<String> LIMITS = Set.of("maxFrameBytes", "maxDecompressedBytes", "maxInFlightBytes",
      "maxInFlightBytesPerStream", "retryAfterMs", "maxRecordsPerBatch", "maxStreamsPerConnection",
      "maxRecordBytes", "tenantDefault", "maxResourceBytes", "maxEnrichedBatchBytes", "resendWindow",
      "resendSources");
  private static final Set<String> RATE = Set.of("recordsPerSecond", "bytesPerSecond", "burstSeconds");
  private static final Set<String> HTTP = Set.of("listen", "tls", "maxConcurrentRequests");
  private static final Set<String> TLS = Set.of("certFile", "keyFile", "clientCaFile", "requireClientCert");
  private static final Set<String> AUTH = Set.of("anonymous", "oidc", "allowUnknownTenants");
  private static final Set<String> OIDC = Set.of("jwksFile", "jwksUrl", "issuer", "audience", "tenantClaim");
  private static final Set<String> TENANT = Set.of("apiKeys", "mtlsSubjects", "topics", "limits");
  private static final Set<String> ROUTE = Set.of("tenant", "service", "minSeverity", "topic");
  private static final java.util.List<String> SEVERITIES = java.util.List.of("TRACE", "DEBUG", "INFO", "WARN",
      "ERROR", "FATAL");
  private static final Set<String> EMBEDDED = Set.of("enabled", "dir");

  private CollectorConfigYaml() {}

  /** Applies {@code file} to {@code builder}; errors are prefixed with the file name. */
  public static CollectorConfig.Builder load(Path file, CollectorConfig.Builder builder) {
    String source = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("--config", "file " + file + " does not exist; check the path");
    } catch (IOException e) {
      throw new ConfigException("--config", "cannot read " + file + " (" + e.getMessage() + ")");
    }
    try {
      return apply(text, builder);
    } catch (ConfigException e) {
      throw e.from(source);
    }
  }

  /** Applies YAML text to {@code builder}. */
  public static CollectorConfig.Builder apply(String yaml, CollectorConfig.Builder builder) {
    JsonNode root;
    try {
      root = new YAMLMapper().readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new ConfigException("(file)", "is not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return builder;
    }
    requireObject("(top level)", root);
    checkKeys("", root, TOP);
    JsonNode listen = root.get("listen");
    if (listen != null) {
      builder.listen(text("listen", listen));
    }
    if (root.has("shutdownTimeoutMs")) {
      builder.shutdownTimeout(Duration.ofMillis(number("shutdownTimeoutMs", root.get("shutdownTimeoutMs"))));
    }
    JsonNode kafka = root.get("kafka");
    if (kafka != null) {
      requireObject("kafka", kafka);
      checkKeys("kafka.", kafka, KAFKA);
      if (kafka.has("bootstrap")) builder.kafkaBootstrap(text("kafka.bootstrap", kafka.get("bootstrap")));
      if (kafka.has("topic")) builder.topic(text("kafka.topic", kafka.get("topic")));
      if (kafka.has("partitions")) {
        builder.topicPartitions((int) intRange("kafka.partitions", kafka.get("partitions")));
      }
      if (kafka.has("replicationFactor")) {
        builder.topicReplicationFactor((int) intRange("kafka.replicationFactor", kafka.get("replicationFactor")));
      }
      if (kafka.has("createTopic")) builder.createTopic(bool("kafka.createTopic", kafka.get("createTopic")));
      JsonNode producer = kafka.get("producer");
      if (producer != null) {
        requireObject("kafka.producer", producer);
        for (Iterator<Map.Entry<String, JsonNode>> it = producer.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getValue().isValueNode() || e.getValue().isNull()) {
            throw new ConfigException("kafka.producer." + e.getKey(), "must be a plain value; write e.g. 10");
          }
          builder.producerOverride(e.getKey(), e.getValue().asText());
        }
      }
    }
    JsonNode limits = root.get("limits");
    if (limits != null) {
      requireObject("limits", limits);
      checkKeys("limits.", limits, LIMITS);
      if (limits.has("maxFrameBytes")) {
        builder.maxFrameBytes(number("limits.maxFrameBytes", limits.get("maxFrameBytes")));
      }
      if (limits.has("maxDecompressedBytes")) {
        builder.maxDecompressedBytes(number("limits.maxDecompressedBytes", limits.get("maxDecompressedBytes")));
      }
      if (limits.has("maxInFlightBytes")) {
        builder.maxInFlightBytes(number("limits.maxInFlightBytes", limits.get("maxInFlightBytes")));
      }
      if (limits.has("maxInFlightBytesPerStream")) {
        builder.maxInFlightBytesPerStream(
            number("limits.maxInFlightBytesPerStream", limits.get("maxInFlightBytesPerStream")));
      }
      if (limits.has("retryAfterMs")) {
        builder.retryAfterMs((int) intRange("limits.retryAfterMs", limits.get("retryAfterMs")));
      }
    }
    if (root.has("maxConnectionAgeMs")) {
      builder.maxConnectionAge(Duration.ofMillis(number("maxConnectionAgeMs", root.get("maxConnectionAgeMs"))));
    }
    if (root.has("maxConnectionAgeGraceMs")) {
      builder.maxConnectionAgeGrace(
          Duration.ofMillis(number("maxConnectionAgeGraceMs", root.get("maxConnectionAgeGraceMs"))));
    }
    if (root.has("reloadIntervalMs")) {
      builder.reloadInterval(Duration.ofMillis(number("reloadIntervalMs", root.get("reloadIntervalMs"))));
    }
    if (kafka != null && kafka.has("deadLetterTopic")) {
      builder.deadLetterTopic(text("kafka.deadLetterTopic", kafka.get("deadLetterTopic")));
    }
    if (limits != null) {
      if (limits.has("maxRecordsPerBatch")) {
        builder.maxRecordsPerBatch(number("limits.maxRecordsPerBatch", limits.get("maxRecordsPerBatch")));
      }
      if (limits.has("maxStreamsPerConnection")) {
        builder.maxStreamsPerConnection(
            number("limits.maxStreamsPerConnection", limits.get("maxStreamsPerConnection")));
      }
      if (limits.has("maxRecordBytes")) {
        builder.maxRecordBytes(number("limits.maxRecordBytes", limits.get("maxRecordBytes")));
      }
      if (limits.has("maxResourceBytes")) {
        builder.maxResourceBytes(number("limits.maxResourceBytes", limits.get("maxResourceBytes")));
      }
      if (limits.has("maxEnrichedBatchBytes")) {
        builder.maxEnrichedBatchBytes(number("limits.maxEnrichedBatchBytes", limits.get("maxEnrichedBatchBytes")));
      }
      if (limits.has("resendWindow")) {
        builder.resendWindow(number("limits.resendWindow", limits.get("resendWindow")));
      }
      if (limits.has("resendSources")) {
        builder.resendSources(number("limits.resendSources", limits.get("resendSources")));
      }
      if (limits.has("tenantDefault")) {
        builder.tenantDefaultLimit(rate("limits.tenantDefault", limits.get("tenantDefault")));
      }
    }
    JsonNode zookeeper = root.get("zookeeper");
    if (zookeeper != null) {
      requireObject("zookeeper", zookeeper);
      checkKeys("zookeeper.", zookeeper, ZOOKEEPER);
      if (zookeeper.has("connect")) builder.zookeeperConnect(text("zookeeper.connect", zookeeper.get("connect")));
      if (zookeeper.has("path")) builder.zookeeperPath(text("zookeeper.path", zookeeper.get("path")));
    }
    JsonNode http = root.get("http");
    if (http != null) {
      requireObject("http", http);
      checkKeys("http.", http, HTTP);
      if (http.has("listen")) builder.httpListen(text("http.listen", http.get("listen")));
      if (http.has("tls")) {
        if (!http.get("tls").isBoolean()) {
          throw new ConfigException("http.tls", http.get("tls") + " is not true or false");
        }
        builder.httpTls(http.get("tls").booleanValue());
      }
      if (http.has("maxConcurrentRequests")) {
        builder.httpMaxConcurrentRequests((int) intRange("http.maxConcurrentRequests", http.get("maxConcurrentRequests")));
      }
    }
    JsonNode tls = root.get("tls");
    if (tls != null) {
      requireObject("tls", tls);
      checkKeys("tls.", tls, TLS);
      if (!tls.has("certFile") || !tls.has("keyFile")) {
        throw new ConfigException("tls", "needs certFile and keyFile (PEM; the key in PKCS#8)");
      }
      builder.tls(new TlsConfig(Path.of(text("tls.certFile", tls.get("certFile"))),
          Path.of(text("tls.keyFile", tls.get("keyFile"))),
          tls.has("clientCaFile") ? Path.of(text("tls.clientCaFile", tls.get("clientCaFile"))) : null,
          tls.has("requireClientCert") && bool("tls.requireClientCert", tls.get("requireClientCert"))));
    }
    JsonNode auth = root.get("auth");
    if (auth != null) {
      requireObject("auth", auth);
      checkKeys("auth.", auth, AUTH);
      if (auth.has("anonymous")) builder.anonymous(bool("auth.anonymous", auth.get("anonymous")));
      if (auth.has("allowUnknownTenants")) {
        builder.allowUnknownTenants(bool("auth.allowUnknownTenants", auth.get("allowUnknownTenants")));
      }
      JsonNode oidc = auth.get("oidc");
      if (oidc != null) {
        requireObject("auth.oidc", oidc);
        checkKeys("auth.oidc.", oidc, OIDC);
        builder.oidc(new OidcConfig(
            oidc.has("jwksFile") ? Path.of(text("auth.oidc.jwksFile", oidc.get("jwksFile"))) : null,
            oidc.has("jwksUrl") ? uri("auth.oidc.jwksUrl", oidc.get("jwksUrl")) : null,
            oidc.has("issuer") ? text("auth.oidc.issuer", oidc.get("issuer")) : null,
            oidc.has("audience") ? text("auth.oidc.audience", oidc.get("audience")) : null,
            oidc.has("tenantClaim") ? text("auth.oidc.tenantClaim", oidc.get("tenantClaim")) : "tenant"));
      }
    }
    JsonNode tenants = root.get("tenants");
    if (tenants != null) {
      requireObject("tenants", tenants);
      for (Iterator<Map.Entry<String, JsonNode>> it = tenants.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String key = "tenants." + e.getKey();
        JsonNode t = e.getValue();
        if (t.isNull()) {
          builder.tenant(new TenantConfig(e.getKey(), java.util.List.of(), java.util.List.of(), java.util.List.of(),
              null));
          continue;
        }
        requireObject(key, t);
        checkKeys(key + ".", t, TENANT);
        java.util.List<String> keys = new java.util.ArrayList<>();
        for (String k : strings(key + ".apiKeys", t.get("apiKeys"))) {
          if (!k.startsWith("sha256:")) {
            throw new ConfigException(key + ".apiKeys", "entries are sha256:<hex of SHA-256 of the key>; never "
                + "write the key itself (printf %s KEY | sha256sum)");
          }
          keys.add(k.substring("sha256:".length()).toLowerCase(java.util.Locale.ROOT));
        }
        builder.tenant(new TenantConfig(e.getKey(), keys, strings(key + ".mtlsSubjects", t.get("mtlsSubjects")),
            strings(key + ".topics", t.get("topics")),
            t.has("limits") ? rate(key + ".limits", t.get("limits")) : null));
      }
    }
    JsonNode routes = root.get("routes");
    if (routes != null) {
      if (!routes.isArray()) {
        throw new ConfigException("routes", "must be a list of rules, e.g. - {tenant: acme, topic: logs-acme}");
      }
      int i = 0;
      for (JsonNode r : routes) {
        String key = "routes[" + i++ + "]";
        requireObject(key, r);
        checkKeys(key + ".", r, ROUTE);
        if (!r.has("topic")) {
          throw new ConfigException(key + ".topic", "is required");
        }
        builder.route(new RouteRule(
            r.has("tenant") ? text(key + ".tenant", r.get("tenant")) : null,
            r.has("service") ? text(key + ".service", r.get("service")) : null,
            r.has("minSeverity") ? severity(key + ".minSeverity", r.get("minSeverity")) : 0,
            text(key + ".topic", r.get("topic"))));
      }
    }
    JsonNode embedded = root.get("embeddedKafka");
    if (embedded != null) {
      requireObject("embeddedKafka", embedded);
      checkKeys("embeddedKafka.", embedded, EMBEDDED);
      if (embedded.has("enabled")) builder.embeddedKafka(bool("embeddedKafka.enabled", embedded.get("enabled")));
      if (embedded.has("dir")) builder.embeddedKafkaDir(Path.of(text("embeddedKafka.dir", embedded.get("dir"))));
    }
    return builder;
  }

  private static RateLimit rate(String key, JsonNode node) {
    requireObject(key, node);
    checkKeys(key + ".", node, RATE);
    double burst = 1;
    if (node.has("burstSeconds")) {
      if (!node.get("burstSeconds").isNumber()) {
        throw new ConfigException(key + ".burstSeconds", "must be a number of seconds, e.g. 1");
      }
      burst = node.get("burstSeconds").asDouble();
    }
    try {
      return new RateLimit(node.has("recordsPerSecond") ? number(key + ".recordsPerSecond",
          node.get("recordsPerSecond")) : 0,
          node.has("bytesPerSecond") ? number(key + ".bytesPerSecond", node.get("bytesPerSecond")) : 0, burst);
    } catch (ConfigException e) {
      throw new ConfigException(key, e.getMessage());
    }
  }

  private static int severity(String key, JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.asInt();
    }
    int i = SEVERITIES.indexOf(text(key, node).trim().toUpperCase(java.util.Locale.ROOT));
    if (i < 0) {
      throw new ConfigException(key, describe(node) + " is not a severity; write one of " + SEVERITIES);
    }
    return 1 + 4 * i;
  }

  private static java.net.URI uri(String key, JsonNode node) {
    try {
      return new java.net.URI(text(key, node));
    } catch (java.net.URISyntaxException e) {
      throw new ConfigException(key, describe(node) + " is not a URL; write e.g. https://idp/realms/r/protocol/"
          + "openid-connect/certs");
    }
  }

  private static java.util.List<String> strings(String key, JsonNode node) {
    java.util.List<String> out = new java.util.ArrayList<>();
    if (node == null || node.isNull()) {
      return out;
    }
    if (!node.isArray()) {
      throw new ConfigException(key, "must be a list, e.g. [a, b]");
    }
    for (JsonNode n : node) {
      out.add(text(key, n));
    }
    return out;
  }

  private static void requireObject(String key, JsonNode node) {
    if (!node.isObject()) {
      throw new ConfigException(key, "must be a mapping of keys, found " + describe(node));
    }
  }

  private static void checkKeys(String prefix, JsonNode node, Set<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!known.contains(name)) {
        throw new ConfigException(prefix + name,
            "unknown key; remove it or use one of " + String.join(", ", new TreeSet<>(known)));
      }
    }
  }

  private static String text(String key, JsonNode node) {
    if (!node.isValueNode() || node.isNull()) {
      throw new ConfigException(key, "must be a single value, found " + describe(node));
    }
    return node.asText();
  }

  private static long number(String key, JsonNode node) {
    if (node.isIntegralNumber()) {
      return node.asLong();
    }
    if (node.isTextual()) {
      try {
        return Long.parseLong(node.asText().trim());
      } catch (NumberFormatException ignored) {
        // fall through to the error naming the key
      }
    }
    throw new ConfigException(key, describe(node) + " is not a whole number; write e.g. 1048576");
  }

  private static long intRange(String key, JsonNode node) {
    long v = number(key, node);
    if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
      throw new ConfigException(key, v + " is too large; write a number below " + Integer.MAX_VALUE);
    }
    return v;
  }

  private static boolean bool(String key, JsonNode node) {
    if (node.isBoolean()) {
      return node.asBoolean();
    }
    if (node.isTextual() && (node.asText().equals("true") || node.asText().equals("false"))) {
      return Boolean.parseBoolean(node.asText());
    }
    throw new ConfigException(key, describe(node) + " is not true or false; write true or false");
  }

  private static String describe(JsonNode node) {
    if (node.isTextual()) return "\"" + node.asText() + "\"";
    if (node.isObject()) return "a mapping";
    if (node.isArray()) return "a list";
    return node.toString();
  }
}
