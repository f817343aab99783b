package io.sluice.collector.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a {@code Collector} needs, immutable and already validated. Built only through {@link Builder}: YAML
 * ({@link CollectorConfigYaml}), CLI flags and tests all end in the same builder, so each check lives once, and each
 * error names the collector.yaml key (see {@link ConfigException}).
 *
 * <p>Byte limits bound memory: a stream holds at most about {@code maxInFlightBytesPerStream} of decoded batches
 * waiting for Kafka (plus the one frame that crossed the bound), the collector at most about {@code maxInFlightBytes}
 * across streams. Keep {@code maxInFlightBytes} below the producer's {@code buffer.memory} (32 MiB by default) so the
 * producer never blocks the publishing thread.
 */
public final class CollectorConfig {
  public static final String DEFAULT_LISTEN = "0.0.0.0:4417";
  public static final String DEFAULT_TOPIC = "sluice-logs";
  public static final String DEFAULT_HTTP_LISTEN = "0.0.0.0:4418";
  private static final String DEFAULT_MARK = "(default)";
  public static final String DEFAULT_DEAD_LETTER_TOPIC = "sluice-dead-letter";

  private final String listenHost;
  private final int listenPort;
  private final String kafkaBootstrap;
  private final String topic;
  private final int topicPartitions;
  private final short topicReplicationFactor;
  private final boolean createTopic;
  private final Map<String, String> producerOverrides;
  private final int maxFrameBytes;
  private final int maxDecompressedBytes;
  private final long maxInFlightBytes;
  private final long maxInFlightBytesPerStream;
  private final int retryAfterMs;
  private final Duration shutdownTimeout;
  private final boolean embeddedKafka;
  private final Path embeddedKafkaDir;
  private final String httpListen;
  private final Duration maxConnectionAge;
  private final Duration maxConnectionAgeGrace;
  private final Duration permitKeepAliveTime;
  private final int maxRecordsPerBatch;
  private final int maxStreamsPerConnection;
  private final TlsConfig tls;
  private final boolean httpTls;
  private final int httpMaxConcurrentRequests;
  private final Boolean anonymous;
  private final io.opentelemetry.api.OpenTelemetry openTelemetry;
  private final OidcConfig oidc;
  private final Map<String, TenantConfig> tenants;
  private final RateLimit tenantDefaultLimit;
  private final List<RouteRule> routes;
  private final String deadLetterTopic;
  private final io.sluice.wire.kafka.KafkaFormat kafkaFormat;
  private final Map<String, io.sluice.wire.kafka.KafkaFormat> topicFormats;
  private final int maxRecordBytes;
  private final Path configFile;
  private final Duration reloadInterval;
  private final String zookeeperConnect;
  private final String zookeeperPath;
  private final int maxResourceBytes;
  private final long maxEnrichedBatchBytes;
  private final int resendWindow;
  private final int resendSources;
  private final boolean allowUnknownTenants;
  private final FluentConfig fluent;
  private final FluentConfig.Builder fluentBuilder;

  private CollectorConfig(Builder b) {
    this.listenHost = b.listenHost;
    this.listenPort = b.listenPort;
    this.kafkaBootstrap = b.kafkaBootstrap;
    this.topic = b.topic;
    this.topicPartitions = b.topicPartitions;
    this.topicReplicationFactor = b.topicReplicationFactor;
    this.createTopic = b.createTopic;
    this.producerOverrides = Collections.unmodifiableMap(new LinkedHashMap<>(b.producerOverrides));
    this.maxFrameBytes = b.maxFrameBytes;
    this.maxDecompressedBytes = b.maxDecompressedBytes;
    this.maxInFlightBytes = b.maxInFlightBytes;
    this.maxInFlightBytesPerStream = b.maxInFlightBytesPerStream;
    this.retryAfterMs = b.retryAfterMs;
    this.shutdownTimeout = b.shutdownTimeout;
    this.embeddedKafka = b.embeddedKafka;
    this.embeddedKafkaDir = b.embeddedKafkaDir;
    this.httpListen = b.httpListen;
    this.maxConnectionAge = b.maxConnectionAge;
    this.maxConnectionAgeGrace = b.maxConnectionAgeGrace;
    this.permitKeepAliveTime = b.permitKeepAliveTime;
    this.maxRecordsPerBatch = b.maxRecordsPerBatch;
    this.maxStreamsPerConnection = b.maxStreamsPerConnection;
    this.tls = b.tls;
    this.httpTls = b.httpTls;
    this.httpMaxConcurrentRequests = b.httpMaxConcurrentRequests;
    this.anonymous = b.anonymous;
    this.openTelemetry = b.openTelemetry;
    this.oidc = b.oidc;
    this.tenants = Collections.unmodifiableMap(new LinkedHashMap<>(b.tenants));
    this.tenantDefaultLimit = b.tenantDefaultLimit;
    this.routes = List.copyOf(b.routes);
    this.deadLetterTopic = b.deadLetterTopic;
    this.kafkaFormat = b.kafkaFormat;
    this.topicFormats = Map.copyOf(b.topicFormats);
    this.maxRecordBytes = b.maxRecordBytes;
    this.configFile = b.configFile;
    this.reloadInterval = b.reloadInterval;
    this.zookeeperConnect = b.zookeeperConnect;
    this.zookeeperPath = b.zookeeperPath;
    this.maxResourceBytes = b.maxResourceBytes;
    this.maxEnrichedBatchBytes = b.maxEnrichedBatchBytes;
    this.resendWindow = b.resendWindow;
    this.resendSources = b.resendSources;
    this.allowUnknownTenants = b.allowUnknownTenants;
    this.fluentBuilder = b.fluent;
    this.fluent = b.fluent == null ? null : b.fluent.build(b.maxFrameBytes, b.maxDecompressedBytes);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values, to change a few. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.listenHost = listenHost;
    b.listenPort = listenPort;
    b.kafkaBootstrap = kafkaBootstrap;
    b.topic = topic;
    b.topicPartitions = topicPartitions;
    b.topicReplicationFactor = topicReplicationFactor;
    b.createTopic = createTopic;
    b.producerOverrides.putAll(producerOverrides);
    b.maxFrameBytes = maxFrameBytes;
    b.maxDecompressedBytes = maxDecompressedBytes;
    b.maxInFlightBytes = maxInFlightBytes;
    b.maxInFlightBytesPerStream = maxInFlightBytesPerStream;
    b.retryAfterMs = retryAfterMs;
    b.shutdownTimeout = shutdownTimeout;
    b.embeddedKafka = embeddedKafka;
    b.embeddedKafkaDir = embeddedKafkaDir;
    b.httpListen = httpListen;
    b.maxConnectionAge = maxConnectionAge;
    b.maxConnectionAgeGrace = maxConnectionAgeGrace;
    b.permitKeepAliveTime = permitKeepAliveTime;
    b.maxRecordsPerBatch = maxRecordsPerBatch;
    b.maxStreamsPerConnection = maxStreamsPerConnection;
    b.tls = tls;
    b.httpTls = httpTls;
    b.httpMaxConcurrentRequests = httpMaxConcurrentRequests;
    b.anonymous = anonymous;
    b.openTelemetry = openTelemetry;
    b.oidc = oidc;
    b.tenants.putAll(tenants);
    b.fluent = fluentBuilder;
    b.tenantDefaultLimit = tenantDefaultLimit;
    b.routes.addAll(routes);
    b.deadLetterTopic = deadLetterTopic;
    b.kafkaFormat = kafkaFormat;
    b.topicFormats.putAll(topicFormats);
    b.maxRecordBytes = maxRecordBytes;
    b.configFile = configFile;
    b.reloadInterval = reloadInterval;
    b.zookeeperConnect = zookeeperConnect;
    b.zookeeperPath = zookeeperPath;
    b.maxResourceBytes = maxResourceBytes;
    b.maxEnrichedBatchBytes = maxEnrichedBatchBytes;
    b.resendWindow = resendWindow;
    b.resendSources = resendSources;
    b.allowUnknownTenants = allowUnknownTenants;
    return b;
  }

  /** Interface to bind (key {@code listen}, host part). */
  public String listenHost() { return listenHost; }

  /** Port to bind, 0 for any free port (key {@code listen}, port part). */
  public int listenPort() {
    return listenPort;
  }

  /** Kafka bootstrap servers; null only when {@link #embeddedKafka()} (key {@code kafka.bootstrap}). */
  public String kafkaBootstrap() {
    return kafkaBootstrap;
  }

  /** Topic every record goes to (key {@code kafka.topic}, default {@value #DEFAULT_TOPIC}). */
  public String topic() {
    return topic;
  }

  /** Partitions when the collector creates the topic (key {@code kafka.partitions}, default 3). */
  public int topicPartitions() {
    return topicPartitions;
  }

  /** Replication factor when the collector creates the topic (key {@code kafka.replicationFactor}, default 1). */
  public short topicReplicationFactor() {
    return topicReplicationFactor;
  }

  /** Create the topic on start if it is missing (key {@code kafka.createTopic}, default true). */
  public boolean createTopic() {
    return createTopic;
  }

  /** Producer properties applied over the collector's defaults (key {@code kafka.producer}). */
  public Map<String, String> producerOverrides() {
    return producerOverrides;
  }

  /** Largest compressed payload one Batch may carry, bytes (key {@code limits.maxFrameBytes}, default 4 MiB). */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Largest decoded LogBatch, bytes; larger is nacked as a bomb (key {@code limits.maxDecompressedBytes}, 32 MiB). */
  public int maxDecompressedBytes() {
    return maxDecompressedBytes;
  }

  /** Decoded bytes waiting for Kafka across all streams before reads pause (key {@code limits.maxInFlightBytes}). */
  public long maxInFlightBytes() {
    return maxInFlightBytes;
  }

  /** The same bound per stream (key {@code limits.maxInFlightBytesPerStream}, default 8 MiB). */
  public long maxInFlightBytesPerStream() {
    return maxInFlightBytesPerStream;
  }

  /** Suggested wait in a retryable Nack, ms (key {@code limits.retryAfterMs}, default 1000). */
  public int retryAfterMs() {
    return retryAfterMs;
  }

  /** How long close() waits for in-flight batches before it gives up on them (key {@code shutdownTimeoutMs}). */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** Start a KRaft broker in this process and publish to it (key {@code embeddedKafka.enabled}). */
  public boolean embeddedKafka() {
    return embeddedKafka;
  }

  /** Data directory of the embedded broker; null for a temp dir removed on close (key {@code embeddedKafka.dir}). */
  public Path embeddedKafkaDir() {
    return embeddedKafkaDir;
  }

  /**
   * HTTP listener for /livez, /readyz, /metrics, {@code host:port}, or null for none (key {@code http.listen}).
   * Default: the gRPC host, port 4418, or port 0 (any free port) when the gRPC port is 0.
   */
  public String httpListen() {
    if (httpListen != null && httpListen.equals(DEFAULT_MARK)) {
      String host = listenHost.contains(":") ? "[" + listenHost + "]" : listenHost;
      return host + ":" + (listenPort == 0 ? 0 : 4418);
    }
    return httpListen;
  }

  /** Connections older than this get an HTTP/2 GOAWAY so clients reconnect, maybe elsewhere (0 = never). */
  public Duration maxConnectionAge() {
    return maxConnectionAge;
  }

  /** How long streams of an aged connection may go on before it is cut (key {@code maxConnectionAgeGraceMs}). */
  public Duration maxConnectionAgeGrace() {
    return maxConnectionAgeGrace;
  }

  /**
   * The shortest interval between a client's keepalive pings that the server tolerates, with or without an open
   * call; a client that pings more often is sent {@code GOAWAY too_many_pings} (after gRPC's two strikes). Default
   * {@link #DEFAULT_PERMIT_KEEPALIVE_TIME} (10 s), at most the Sluice client's own interval (30 s by default, never
   * below gRPC's 10 s floor), so an idle appender or agent is never disconnected; gRPC's own default is 5 minutes.
   */
  public Duration permitKeepAliveTime() { return permitKeepAliveTime; }

  /** See {@link #permitKeepAliveTime()}: gRPC clients cannot ping more often than every 10 s. */
  public static final Duration DEFAULT_PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(10);

  /** Most records one batch may carry; more is nacked TOO_MANY_RECORDS (key {@code limits.maxRecordsPerBatch}). */
  public int maxRecordsPerBatch() {
    return maxRecordsPerBatch;
  }

  /** Concurrent streams one connection may open (key {@code limits.maxStreamsPerConnection}). */
  public int maxStreamsPerConnection() {
    return maxStreamsPerConnection;
  }

  /** TLS on the listeners, or null for plaintext (key {@code tls}). */
  public TlsConfig tls() { return tls; }
  /** HTTPS on the HTTP listener with the certificate and key of {@link #tls()} (key {@code http.tls}). Default false. */
  public boolean httpTls() {
    return httpTls;
  }

  /**
   * Requests the HTTP listener reads and handles at once (its threads; key {@code http.maxConcurrentRequests},
   * default 128). A request that finds them all busy waits in a queue of a quarter of that, beyond which its
   * connection is closed unanswered (counted in {@code sluice_collector_http_requests_refused_total}).
   */
  public int httpMaxConcurrentRequests() { return httpMaxConcurrentRequests; }

  /**
   * Whether clients without credentials are let in (key {@code auth.anonymous}): only when set to true. A collector
   * without any authentication method must set it (see {@link #checkAuthentication()}).
   */
  public boolean anonymous() {
    return anonymous != null && anonymous;
  }

  /**
   * Fails unless clients can be authenticated somehow: a tenant with {@code apiKeys} or {@code mtlsSubjects},
   * {@code auth.oidc}, or {@code auth.anonymous: true}. Checked at start-up and on every reload, so that a
   * collector never silently lets everyone in, nor silently refuses everyone.
   */
  public void checkAuthentication() {
    boolean anyAuth = oidc != null || tenants.values().stream()
        .anyMatch(t -> !t.apiKeySha256().isEmpty() || !t.mtlsSubjects().isEmpty())
        || (fluent != null && !fluent.tenants().isEmpty());
    if (!anyAuth && !anonymous()) {
      throw new ConfigException("auth.anonymous", "no authentication is configured (tenants.<name>.apiKeys, "
          + "tenants.<name>.mtlsSubjects or auth.oidc), so no client could connect; configure one, or set "
          + "auth.anonymous: true (flag --anonymous) to let clients in without credentials (demos, tests)");
    }
  }

  /**
   * Where spans of the ingest path go (one per batch or request, with decode and publish children); default
   * {@code GlobalOpenTelemetry}, a no-op unless an SDK or the Java agent installed one. Not a YAML key.
   */
  public io.opentelemetry.api.OpenTelemetry openTelemetry() {
    return openTelemetry != null ? openTelemetry : io.opentelemetry.api.GlobalOpenTelemetry.get();
  }

  /** OIDC bearer-token validation, or null (key {@code auth.oidc}). */
  public OidcConfig oidc() { return oidc; }

  /** The Fluent forward protocol listener (key {@code fluent}), or null when off (the default). */
  public FluentConfig fluent() {
    return fluent;
  }

  /** Known tenants by name (key {@code tenants}). */
  public Map<String, TenantConfig> tenants() { return tenants; }

  /** Rate limit of tenants without their own (key {@code limits.tenantDefault}; unlimited by default). */
  public RateLimit tenantDefaultLimit() {
    return tenantDefaultLimit;
  }

  /** Routing rules, first match wins; no match goes to {@link #topic()} (key {@code routes}). */
  public List<RouteRule> routes() {
    return routes;
  }

  /** Where permanently invalid records go, with a {@code sluice.reason} header (key {@code kafka.deadLetterTopic}). */
  public String deadLetterTopic() {
    return deadLetterTopic;
  }

  /**
   * The Kafka record format of every topic not in {@link #topicFormats()} (key {@code kafka.format}, {@code batch}
   * or {@code record}; default {@code batch}, see collector/README.md). Read at start, not reloaded.
   */
  public io.sluice.wire.kafka.KafkaFormat kafkaFormat() { return kafkaFormat; }

  /** Per-topic exceptions to {@link #kafkaFormat()} (key {@code kafka.topicFormats}, topic: format). */
  public Map<String, io.sluice.wire.kafka.KafkaFormat> topicFormats() {
    return topicFormats;
  }

  /** Largest encoded record; larger ones are dead-lettered, truncated (key {@code limits.maxRecordBytes}). */
  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  /** The YAML file watched for dynamic changes (tenants, limits, routes, auth), or null. */
  public Path configFile() {
    return configFile;
  }

  /** How often {@link #configFile()} is checked for changes (key {@code reloadIntervalMs}, default 2000). */
  public Duration reloadInterval() {
    return reloadInterval;
  }

  /**
   * ZooKeeper connect string whose node {@link #zookeeperPath()} holds the dynamic configuration, or null (key
   * {@code zookeeper.connect}). When set, that node replaces the config file as the source of reloads.
   */
  public String zookeeperConnect() { return zookeeperConnect; }

  /** The ZooKeeper node (absolute path) holding the dynamic configuration as YAML (key {@code zookeeper.path}). */
  public String zookeeperPath() {
    return zookeeperPath;
  }

  /**
   * Largest encoded resource (Hello's overlaid by the batch's, as the {@code resource.*} attributes copied into every
   * record) a batch may carry (key {@code limits.maxResourceBytes}, default 65536). A larger one is nacked
   * RESOURCE_TOO_LARGE (not retryable) before anything is copied.
   */
  public int maxResourceBytes() { return maxResourceBytes; }

  /**
   * Largest number of bytes one batch or request may produce for Kafka once each record carries its copy of the
   * resource (key {@code limits.maxEnrichedBatchBytes}, default 64 MiB). Checked by arithmetic before any copy; a
   * larger batch is nacked ENRICHED_TOO_LARGE (not retryable). These produced bytes are what the in-flight budgets
   * and the tenant's bytes/s limit are charged.
   */
  public long maxEnrichedBatchBytes() { return maxEnrichedBatchBytes; }

  /**
   * Published sequences remembered per source and epoch to acknowledge a resent batch without publishing it again
   * (key {@code limits.resendWindow}, default 4096; 0 turns suppression off). Older sequences are published again.
   */
  public int resendWindow() { return resendWindow; }

  /** Sources (tenant, client_id, epoch) whose windows are kept, least recently used evicted (key {@code limits.resendSources}, default 10000). */
  public int resendSources() {
    return resendSources;
  }

  /**
   * Whether a valid bearer token naming a tenant that is not under {@code tenants} is let in with the default limits
   * (key {@code auth.allowUnknownTenants}, default false: such a stream or request is refused PERMISSION_DENIED).
   */
  public boolean allowUnknownTenants() { return allowUnknownTenants; }

  /** host:port as it would be written in collector.yaml. */
  public String listen() {
    return (listenHost.contains(":") ? "[" + listenHost + "]" : listenHost) + ":" + listenPort;
  }

  @Override
  public String toString() {
    return "CollectorConfig{listen=" + listen() + ", kafkaBootstrap=" + kafkaBootstrap + ", topic=" + topic
        + ", partitions=" + topicPartitions + ", maxFrameBytes=" + maxFrameBytes + ", maxDecompressedBytes="
        + maxDecompressedBytes + ", maxInFlightBytes=" + maxInFlightBytes + ", maxInFlightBytesPerStream="
        + maxInFlightBytesPerStream + ", embeddedKafka=" + embeddedKafka + "}";
  }

  /** Validates each value as it is set (the error names the key) and the combination in {@link #build()}. */
  public static final class Builder {
    private String listenHost = "0.0.0.0";
    private int listenPort = 4417;
    private String kafkaBootstrap;
    private String topic = DEFAULT_TOPIC;
    private int topicPartitions = 3;
    private short topicReplicationFactor = 1;
    private boolean createTopic = true;
    private final Map<String, String> producerOverrides = new LinkedHashMap<>();
    private int maxFrameBytes = 4 << 20;
    private int maxDecompressedBytes = 32 << 20;
    private long maxInFlightBytes = 24L << 20;
    private long maxInFlightBytesPerStream = 8L << 20;
    private int retryAfterMs = 1000;
    private Duration shutdownTimeout = Duration.ofSeconds(10);
    private boolean embeddedKafka;
    private Path embeddedKafkaDir;
    private String httpListen = DEFAULT_MARK;
    private Duration maxConnectionAge = Duration.ofMinutes(30);
    private Duration maxConnectionAgeGrace = Duration.ofSeconds(30);
    private Duration permitKeepAliveTime = DEFAULT_PERMIT_KEEPALIVE_TIME;
    private int maxRecordsPerBatch = 100_000;
    private int maxStreamsPerConnection = 16;
    private TlsConfig tls;
    private boolean httpTls;
    private int httpMaxConcurrentRequests = 128;
    private FluentConfig.Builder fluent;
    private Boolean anonymous;
    private io.opentelemetry.api.OpenTelemetry openTelemetry;
    private OidcConfig oidc;
    private final Map<String, TenantConfig> tenants = new LinkedHashMap<>();
    private RateLimit tenantDefaultLimit = RateLimit.UNLIMITED;
    private final java.util.ArrayList<RouteRule> routes = new java.util.ArrayList<>();
    private String deadLetterTopic = DEFAULT_DEAD_LETTER_TOPIC;
    private io.sluice.wire.kafka.KafkaFormat kafkaFormat = io.sluice.wire.kafka.KafkaFormat.BATCH;
    private final Map<String, io.sluice.wire.kafka.KafkaFormat> topicFormats = new LinkedHashMap<>();
    private int maxRecordBytes = 1_000_000;
    private Path configFile;
    private Duration reloadInterval = Duration.ofSeconds(2);
    private String zookeeperConnect;
    private String zookeeperPath;
    private int maxResourceBytes = 64 << 10;
    private long maxEnrichedBatchBytes = 64L << 20;
    private int resendWindow = 4096;
    private int resendSources = 10_000;
    private boolean allowUnknownTenants;

    private Builder() {}

    /** See {@link CollectorConfig#maxResourceBytes()}. */
    public Builder maxResourceBytes(long n) {
      this.maxResourceBytes = (int) bounded("limits.maxResourceBytes", n, 0, Integer.MAX_VALUE, "65536");
      return this;
    }

    /** See {@link CollectorConfig#maxEnrichedBatchBytes()}. */
    public Builder maxEnrichedBatchBytes(long n) {
      this.maxEnrichedBatchBytes = bounded("limits.maxEnrichedBatchBytes", n, 1024, Long.MAX_VALUE / 2, "67108864");
      return this;
    }

    /** See {@link CollectorConfig#resendWindow()}. */
    public Builder resendWindow(long n) {
      this.resendWindow = (int) bounded("limits.resendWindow", n, 0, 1 << 20, "4096");
      return this;
    }

    /** See {@link CollectorConfig#resendSources()}. */
    public Builder resendSources(long n) {
      this.resendSources = (int) bounded("limits.resendSources", n, 1, 10_000_000, "10000");
      return this;
    }

    /** See {@link CollectorConfig#allowUnknownTenants()}. */
    public Builder allowUnknownTenants(boolean allow) {
      this.allowUnknownTenants = allow;
      return this;
    }

    /** {@code host:port} of the HTTP listener (/livez, /readyz, /metrics); null or "off" for none. */
    public Builder httpListen(String hostPort) {
      if (hostPort == null || hostPort.equals("off")) {
        this.httpListen = null;
        return this;
      }
      String v = hostPort.trim();
      int colon = v.lastIndexOf(':');
      if (colon <= 0 || !v.substring(colon + 1).matches("\\d{1,5}")) {
        throw new ConfigException("http.listen", "\"" + hostPort + "\" is not host:port; write e.g. "
            + DEFAULT_HTTP_LISTEN + ", or off");
      }
      this.httpListen = v;
      return this;
    }

    /**
     * Serve the HTTP listener (ops endpoints, OTLP/HTTP and the HTTP/JSON ingest) over HTTPS with the {@code tls}
     * certificate and key; needs {@code tls}. Default false (probes and scrapes inside the pod network stay plain).
     */
    public Builder httpTls(boolean on) {
      this.httpTls = on;
      return this;
    }

    /** See {@link CollectorConfig#httpMaxConcurrentRequests()}; 1 to 10000. */
    public Builder httpMaxConcurrentRequests(int n) {
      if (n < 1 || n > 10_000) {
        throw new ConfigException("http.maxConcurrentRequests", n + " is out of range [1, 10000]; the default is 128");
      }
      this.httpMaxConcurrentRequests = n;
      return this;
    }

    public Builder maxConnectionAge(Duration age) {
      if (age == null || age.isNegative()) {
        throw new ConfigException("maxConnectionAgeMs", age + " is not a duration >= 0; write e.g. 1800000");
      }
      this.maxConnectionAge = age;
      return this;
    }

    /** See {@link CollectorConfig#permitKeepAliveTime()}; not a YAML key (the default suits every Sluice client). */
    public Builder permitKeepAliveTime(Duration permit) {
      if (permit == null || permit.isNegative()) {
        throw new ConfigException("permitKeepAliveTime", permit + " is not a duration >= 0; write e.g. 10s");
      }
      this.permitKeepAliveTime = permit;
      return this;
    }

    public Builder maxConnectionAgeGrace(Duration grace) {
      if (grace == null || grace.isNegative()) {
        throw new ConfigException("maxConnectionAgeGraceMs", grace + " is not a duration >= 0; write e.g. 30000");
      }
      this.maxConnectionAgeGrace = grace;
      return this;
    }

    public Builder maxRecordsPerBatch(long n) {
      this.maxRecordsPerBatch = (int) bounded("limits.maxRecordsPerBatch", n, 1, Integer.MAX_VALUE, "100000");
      return this;
    }

    public Builder maxStreamsPerConnection(long n) {
      this.maxStreamsPerConnection = (int) bounded("limits.maxStreamsPerConnection", n, 1, 10_000, "16");
      return this;
    }

    public Builder maxRecordBytes(long n) {
      this.maxRecordBytes = (int) bounded("limits.maxRecordBytes", n, 1024, Integer.MAX_VALUE, "1000000");
      return this;
    }

    public Builder tls(TlsConfig tls) {
      this.tls = tls;
      return this;
    }

    /** Where ingest spans go; null = {@code GlobalOpenTelemetry}. */
    public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
      this.openTelemetry = openTelemetry;
      return this;
    }

    /** true lets clients without credentials in; null or false does not (key {@code auth.anonymous}). */
    public Builder anonymous(Boolean anonymous) {
      this.anonymous = anonymous;
      return this;
    }

    public Builder oidc(OidcConfig oidc) {
      if (oidc != null && (oidc.jwksFile() == null) == (oidc.jwksUrl() == null)) {
        throw new ConfigException("auth.oidc", "set exactly one of jwksFile and jwksUrl");
      }
      if (oidc != null && (oidc.issuer() == null || oidc.issuer().isBlank())) {
        throw new ConfigException("auth.oidc.issuer", "is required; write the issuer URL your tokens carry");
      }
      this.oidc = oidc;
      return this;
    }

    public Builder tenant(TenantConfig tenant) {
      for (String h : tenant.apiKeySha256()) {
        if (!h.matches("[0-9a-f]{64}")) {
          throw new ConfigException("tenants." + tenant.name() + ".apiKeys",
              "\"" + h + "\" is not a SHA-256 digest; write sha256:<64 hex digits> (printf %s KEY | sha256sum)");
        }
      }
      tenants.put(tenant.name(), tenant);
      return this;
    }

    public Builder clearTenants() {
      tenants.clear();
      return this;
    }

    public Builder tenantDefaultLimit(RateLimit limit) {
      this.tenantDefaultLimit = limit == null ? RateLimit.UNLIMITED : limit;
      return this;
    }

    public Builder route(RouteRule rule) {
      if (rule.topic() == null || !rule.topic().replace("{tenant}", "t").replace("{service}", "s")
          .matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new ConfigException("routes.topic", "\"" + rule.topic() + "\" is not a topic name (placeholders "
            + "{tenant} and {service} allowed); write e.g. logs-{tenant}");
      }
      if (rule.minSeverity() < 0 || rule.minSeverity() > 24) {
        throw new ConfigException("routes.minSeverity", rule.minSeverity()
            + " is not a severity; write TRACE, DEBUG, INFO, WARN, ERROR, FATAL or 1..24");
      }
      routes.add(rule);
      return this;
    }

    public Builder clearRoutes() {
      routes.clear();
      return this;
    }

    public Builder deadLetterTopic(String topic) {
      if (topic == null || !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new ConfigException("kafka.deadLetterTopic", "\"" + topic + "\" is not a Kafka topic name; write e.g. "
            + DEFAULT_DEAD_LETTER_TOPIC);
      }
      this.deadLetterTopic = topic;
      return this;
    }

    /** {@code kafka.format}: the Kafka record format of every topic not named in {@link #topicFormat}. */
    public Builder kafkaFormat(io.sluice.wire.kafka.KafkaFormat format) {
      this.kafkaFormat = java.util.Objects.requireNonNull(format, "format");
      return this;
    }

    /** {@code kafka.topicFormats}: writes {@code topic} in {@code format} whatever {@code kafka.format} says. */
    public Builder topicFormat(String topic, io.sluice.wire.kafka.KafkaFormat format) {
      if (topic == null || !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new ConfigException("kafka.topicFormats", "\"" + topic + "\" is not a Kafka topic name");
      }
      topicFormats.put(topic, java.util.Objects.requireNonNull(format, "format"));
      return this;
    }

    public Builder configFile(Path file) {
      this.configFile = file;
      return this;
    }

    /** {@code host:port[,host:port...][/chroot]} of ZooKeeper; null for none (key {@code zookeeper.connect}). */
    public Builder zookeeperConnect(String connect) {
      if (connect != null && connect.isBlank()) {
        throw new ConfigException("zookeeper.connect", "is empty; write e.g. zk-1:2181,zk-2:2181 or leave it out");
      }
      this.zookeeperConnect = connect;
      return this;
    }

    /** Absolute path of the node holding the dynamic configuration (key {@code zookeeper.path}). */
    public Builder zookeeperPath(String path) {
      if (path != null && (!path.startsWith("/") || path.length() < 2 || path.endsWith("/"))) {
        throw new ConfigException("zookeeper.path", "\"" + path + "\" is not an absolute node path; write e.g. "
            + "/sluice/collector/config");
      }
      this.zookeeperPath = path;
      return this;
    }

    public Builder reloadInterval(Duration interval) {
      if (interval == null || interval.toMillis() < 10) {
        throw new ConfigException("reloadIntervalMs", interval + " is too short; write e.g. 2000");
      }
      this.reloadInterval = interval;
      return this;
    }

    /** {@code host:port}, {@code [v6]:port}; port 0 picks a free port. */
    public Builder listen(String hostPort) {
      String v = hostPort == null ? "" : hostPort.trim();
      int colon = v.lastIndexOf(':');
      String hint = "\"" + hostPort + "\" is not host:port; write e.g. " + DEFAULT_LISTEN;
      if (colon <= 0 || colon == v.length() - 1) {
        throw new ConfigException("listen", hint);
      }
      String host = v.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      int port;
      try {
        port = Integer.parseInt(v.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new ConfigException("listen", hint);
      }
      if (port < 0 || port > 65535 || host.isBlank()) {
        throw new ConfigException("listen", hint);
      }
      this.listenHost = host;
      this.listenPort = port;
      return this;
    }

    public Builder kafkaBootstrap(String bootstrap) {
      if (bootstrap == null || bootstrap.isBlank() || !bootstrap.contains(":")) {
        throw new ConfigException("kafka.bootstrap",
            "\"" + bootstrap + "\" is not a list of host:port; write e.g. kafka-1:9092,kafka-2:9092");
      }
      this.kafkaBootstrap = bootstrap.trim();
      return this;
    }

    public Builder topic(String topic) {
      if (topic == null || !topic.matches("[a-zA-Z0-9._-]{1,249}")) {
        throw new ConfigException("kafka.topic",
            "\"" + topic + "\" is not a Kafka topic name; use 1-249 of [a-zA-Z0-9._-], e.g. " + DEFAULT_TOPIC);
      }
      this.topic = topic;
      return this;
    }

    public Builder topicPartitions(int partitions) {
      this.topicPartitions = (int) positive("kafka.partitions", partitions, "3");
      return this;
    }

    public Builder topicReplicationFactor(int replicationFactor) {
      if (replicationFactor < 1 || replicationFactor > Short.MAX_VALUE) {
        throw new ConfigException("kafka.replicationFactor",
            replicationFactor + " is not a replication factor; write e.g. 3 (at most the number of brokers)");
      }
      this.topicReplicationFactor = (short) replicationFactor;
      return this;
    }

    public Builder createTopic(boolean createTopic) {
      this.createTopic = createTopic;
      return this;
    }

    /** One producer property over the defaults (acks=all, idempotence, zstd, linger.ms=5). */
    public Builder producerOverride(String name, String value) {
      if (name == null || name.isBlank() || value == null) {
        throw new ConfigException("kafka.producer",
            "property " + name + "=" + value + " needs a name and a value; write e.g. linger.ms: 10");
      }
      if (name.equals("key.serializer") || name.equals("value.serializer")) {
        throw new ConfigException("kafka.producer." + name, "is fixed by the collector (bytes); remove it");
      }
      producerOverrides.put(name, value);
      return this;
    }

    public Builder maxFrameBytes(long bytes) {
      this.maxFrameBytes = (int) bounded("limits.maxFrameBytes", bytes, 1024, Integer.MAX_VALUE, "4194304");
      return this;
    }

    public Builder maxDecompressedBytes(long bytes) {
      this.maxDecompressedBytes =
          (int) bounded("limits.maxDecompressedBytes", bytes, 1024, Integer.MAX_VALUE - 16, "33554432");
      return this;
    }

    public Builder maxInFlightBytes(long bytes) {
      this.maxInFlightBytes = positive("limits.maxInFlightBytes", bytes, "25165824");
      return this;
    }

    public Builder maxInFlightBytesPerStream(long bytes) {
      this.maxInFlightBytesPerStream = positive("limits.maxInFlightBytesPerStream", bytes, "8388608");
      return this;
    }

    public Builder retryAfterMs(int ms) {
      this.retryAfterMs = (int) bounded("limits.retryAfterMs", ms, 0, 3_600_000, "1000");
      return this;
    }

    public Builder shutdownTimeout(Duration timeout) {
      if (timeout == null || timeout.isNegative()) {
        throw new ConfigException("shutdownTimeoutMs", timeout + " is not a duration >= 0; write e.g. 10000");
      }
      this.shutdownTimeout = timeout;
      return this;
    }

    public Builder embeddedKafka(boolean enabled) {
      this.embeddedKafka = enabled;
      return this;
    }

    /** Keeps the embedded broker's data in {@code dir} across restarts; null for a temp dir. */
    public Builder embeddedKafkaDir(Path dir) {
      this.embeddedKafkaDir = dir;
      return this;
    }

    /** Turns the Fluent forward listener on with these settings (null: off, the default). */
    public Builder fluent(FluentConfig.Builder fluent) {
      this.fluent = fluent;
      return this;
    }

    public CollectorConfig build() {
      if (fluent != null) {
        for (String t : fluent.build(maxFrameBytes, maxDecompressedBytes).tenantNames()) {
          if (!tenants.containsKey(t)) {
            throw new ConfigException("fluent.tenants." + t, "names no tenant under tenants; add tenants." + t
                + " (its limits, topics) or fix the name");
          }
        }
      }
      if (kafkaBootstrap == null && !embeddedKafka) {
        throw new ConfigException("kafka.bootstrap",
            "is not set; write e.g. kafka.bootstrap: kafka-1:9092 (flag --kafka-bootstrap), or use --embedded-kafka");
      }
      if (maxDecompressedBytes < maxFrameBytes) {
        throw new ConfigException("limits.maxDecompressedBytes", maxDecompressedBytes
            + " is below limits.maxFrameBytes (" + maxFrameBytes + "); raise it to at least that");
      }
      if (httpTls && tls == null) {
        throw new ConfigException("http.tls", "is true but tls.certFile / tls.keyFile are not set; configure tls, or"
            + " set http.tls: false");
      }
      if (zookeeperConnect != null && zookeeperPath == null) {
        throw new ConfigException("zookeeper.path", "is not set while zookeeper.connect is; write e.g. "
            + "zookeeper.path: /sluice/collector/config");
      }
      if (zookeeperPath != null && zookeeperConnect == null) {
        throw new ConfigException("zookeeper.connect", "is not set while zookeeper.path is; write e.g. "
            + "zookeeper.connect: zk-1:2181");
      }
      Objects.requireNonNull(listenHost);
      return new CollectorConfig(this);
    }

    private static long positive(String key, long value, String example) {
      return bounded(key, value, 1, Long.MAX_VALUE, example);
    }

    private static long bounded(String key, long value, long min, long max, String example) {
      if (value < min || value > max) {
        throw new ConfigException(key, value + " is out of range [" + min + ", " + max + "]; write e.g. " + example);
      }
      return value;
    }
  }
}
