package io.sluice.sdk.pipeline;

import io.sluice.sdk.ship.Credentials;
import io.sluice.sdk.ship.Endpoint;
import io.sluice.sdk.ship.OAuth2Settings;
import io.sluice.sdk.ship.Tls;
import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything a {@link Pipeline} needs, immutable and validated. logback.xml setters, Log4j2 attributes, YAML and
 * CLI flags all end in {@link Builder}, through typed setters or {@link Builder#set(String, String)} with the same
 * key names as documented in the README's settings table.
 */
public final class PipelineConfig {

  private final List<Endpoint> endpoints;
  private final String serviceName;
  private final Map<String, String> resourceAttributes;
  private final String tenant;
  private final String credentials;
  private final String clientId;
  private final Path spoolDir;
  private final long spoolMaxBytes;
  private final WhenFull whenFull;
  private final Duration blockTimeout;
  private final Duration queueWait;
  private final FsyncPolicy fsync;
  private final int queueMaxRecords;
  private final long queueMaxBytes;
  private final long overflowMaxBytes;
  private final int maxRecordBytes;
  private final int batchMaxRecords;
  private final int batchMaxBytes;
  private final Duration linger;
  private final int maxInFlightBatches;
  private final Duration reconnectMin;
  private final Duration reconnectMax;
  private final Duration closeTimeout;
  private final int zstdLevel;
  private final Diagnostics diagnostics;
  private final io.opentelemetry.api.OpenTelemetry openTelemetry;
  private final Tls tls;
  private final Duration keepAliveTime;
  private final Path credentialsFile;
  private final OAuth2Settings oauth2;

  private PipelineConfig(Builder b) {
    this.endpoints = List.copyOf(b.endpoints);
    this.serviceName = b.serviceName;
    this.resourceAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(b.resourceAttributes));
    this.tenant = b.tenant;
    this.credentials = b.credentials;
    this.clientId = b.clientId;
    this.spoolDir = b.spoolDir != null ? b.spoolDir : defaultSpoolDir(b.serviceName);
    this.spoolMaxBytes = b.spoolMaxBytes;
    this.whenFull = b.whenFull;
    this.blockTimeout = Duration.ofMillis(b.blockTimeoutMs);
    this.queueWait = Duration.ofMillis(b.queueWaitMs);
    this.fsync = b.fsync;
    this.queueMaxRecords = b.queueMaxRecords;
    this.queueMaxBytes = b.queueMaxBytes;
    this.overflowMaxBytes = b.overflowMaxBytes;
    this.maxRecordBytes = b.maxRecordBytes;
    this.batchMaxRecords = b.batchMaxRecords;
    this.batchMaxBytes = b.batchMaxBytes;
    this.linger = Duration.ofMillis(b.lingerMs);
    this.maxInFlightBatches = b.maxInFlightBatches;
    this.reconnectMin = Duration.ofMillis(b.reconnectMinMs);
    this.reconnectMax = Duration.ofMillis(b.reconnectMaxMs);
    this.closeTimeout = Duration.ofMillis(b.closeTimeoutMs);
    this.zstdLevel = b.zstdLevel;
    this.diagnostics = b.diagnostics;
    this.openTelemetry = b.openTelemetry;
    this.keepAliveTime = Duration.ofMillis(b.keepAliveTimeMs);
    this.tls = b.tls ? new Tls(b.trustCertPath, b.clientCertPath, b.clientKeyPath) : null;
    this.credentialsFile = b.credentialsFile;
    this.oauth2 = b.oauth2Settings();
  }

  private static Path defaultSpoolDir(String serviceName) {
    String safe = serviceName.replaceAll("[^A-Za-z0-9._-]", "_");
    return Paths.get(System.getProperty("java.io.tmpdir"), "sluice-spool", safe);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collector addresses, tried in order; the shipper moves to the next one after a failed connection. */
  public List<Endpoint> endpoints() {
    return endpoints;
  }
  /** {@code service.name}; default {@code unknown_service:java}. */
  public String serviceName() { return serviceName; }
  /** Resource attributes sent once per stream and batch, besides {@code service.name}. */
  public Map<String, String> resourceAttributes() {
    return resourceAttributes;
  }
  public String tenant() { return tenant; }
  /** Sent in Hello: an API key, or {@code Bearer <JWT>}; default empty (the collector may accept mTLS or anonymous). */
  public String credentials() {
    return credentials;
  }
  /**
   * A file holding the credentials (an API key or {@code Bearer <JWT>}), re-read when it changes (key
   * {@code credentialsFile}); null when unset. See {@link Credentials#fromFile}.
   */
  public Path credentialsFile() { return credentialsFile; }
  /**
   * OAuth2 client-credentials settings (keys {@code oauth2Issuer} or {@code oauth2TokenUrl}, {@code oauth2ClientId},
   * {@code oauth2ClientSecret} or {@code oauth2ClientSecretFile}, {@code oauth2Scope}, {@code oauth2Audience}), or
   * null when unset. See {@link Credentials#oauth2}.
   */
  public OAuth2Settings oauth2() { return oauth2; }

  /**
   * A new source of rotating credentials for one shipper ({@code credentialsFile} or OAuth2), or null when the
   * credentials are the fixed {@link #credentials()} string. The caller closes it (a {@code GrpcShipper} closes
   * the one it was given).
   */
  public Credentials newCredentials() {
    if (credentialsFile != null) return Credentials.fromFile(credentialsFile);
    if (oauth2 != null) return Credentials.oauth2(oauth2);
    return null;
  }

  /** TLS towards the collector (keys {@code tls}, {@code trustCertPath}, {@code clientCertPath},
   * {@code clientKeyPath}), or null for plaintext (the default). */
  public Tls tls() { return tls; }
  /** Stable client id; null means "the one stored in the spool, created at first start". */
  public String clientId() {
    return clientId;
  }
  /** RocksDB spool directory; one pipeline per directory (RocksDB locks it). */
  public Path spoolDir() {
    return spoolDir;
  }
  /** Byte cap of the spool's compressed batches; at the cap, {@link #whenFull()} decides. Default 256 MiB. */
  public long spoolMaxBytes() {
    return spoolMaxBytes;
  }
  /** Policy when the queue or the spool is full. Default {@link WhenFull#DROP_OLDEST}. */
  public WhenFull whenFull() {
    return whenFull;
  }
  /** How long {@link WhenFull#BLOCK} waits for room before it drops the newest. Default 1 s. */
  public Duration blockTimeout() {
    return blockTimeout;
  }
  /**
   * How long a record waits on the caller's thread for room in a full hand-off queue before it is dropped
   * ({@code QUEUE_FULL}); 0 refuses at once. Default 1 s. The queue drains into the local spool, never onto the
   * network (under {@code drop-oldest}/{@code drop-newest}), so the wait depends on the batcher's speed only. Under
   * {@link WhenFull#BLOCK} the caller waits the longer of this and {@link #blockTimeout()}.
   */
  public Duration queueWait() { return queueWait; }
  public FsyncPolicy fsync() { return fsync; }
  /** Bound of the hand-off queue in records. Default 65,536; rounded up to a power of two. */
  public int queueMaxRecords() {
    return queueMaxRecords;
  }
  /** Bound of the hand-off queue in encoded bytes. Default 64 MiB. */
  public long queueMaxBytes() {
    return queueMaxBytes;
  }
  /**
   * Bound of the queue's overflow on disk ({@code <spoolDir>/overflow}): encoded records not yet batched, written
   * there by logging threads while the in-memory queue is full instead of waiting for the batcher. Default 1 GiB;
   * {@code 0}: no overflow (a full queue makes callers wait up to {@code queueWaitMs}, then drop).
   */
  public long overflowMaxBytes() {
    return overflowMaxBytes;
  }
  /** A record larger than this (encoded) is dropped as {@code TOO_LARGE}. Default 4 MiB. */
  public int maxRecordBytes() {
    return maxRecordBytes;
  }
  /** A batch is cut at this many records. Default 2,048. */
  public int batchMaxRecords() { return batchMaxRecords; }
  /** A batch is cut at this many encoded (uncompressed) bytes. Default 1 MiB. */
  public int batchMaxBytes() {
    return batchMaxBytes;
  }
  /** A non-empty batch is cut at the latest this long after its first record. Default 50 ms. */
  public Duration linger() {
    return linger;
  }
  /** Batches sent and not yet acknowledged, at most. Default 32. */
  public int maxInFlightBatches() {
    return maxInFlightBatches;
  }
  public Duration reconnectMin() { return reconnectMin; }
  public Duration reconnectMax() { return reconnectMax; }
  /** {@link Pipeline#close()} returns within about this long. Default 5 s. */
  public Duration closeTimeout() {
    return closeTimeout;
  }
  /**
   * How long the connection to the collector may be silent before the client sends an HTTP/2 keepalive ping (and
   * gives up on the connection 10 s later without an answer). Default 30 s; gRPC raises anything below 10 s to 10 s.
   * The collector permits pings every 10 s ({@code permitKeepAliveTime}); a collector that permits fewer answers
   * with {@code GOAWAY too_many_pings}. Not a text key: set through {@link Builder#keepAliveTimeMs}.
   */
  public Duration keepAliveTime() { return keepAliveTime; }
  public int zstdLevel() { return zstdLevel; }
  public Diagnostics diagnostics() { return diagnostics; }
  /** Where the pipeline's meters go; null means {@code GlobalOpenTelemetry.getOrNoop()} at start. */
  public io.opentelemetry.api.OpenTelemetry openTelemetry() {
    return openTelemetry;
  }

  /**
   * The resource every batch and stream hello carries: {@code service.name}, the configured attributes, and
   * {@code host.name} (from {@code $HOSTNAME} or {@code /etc/hostname}; never a DNS lookup) unless configured.
   */
  public java.util.List<io.sluice.proto.v1.KeyValue> resource() {
    java.util.List<io.sluice.proto.v1.KeyValue> out = new java.util.ArrayList<>();
    out.add(io.sluice.sdk.record.Values.kv("service.name", serviceName));
    for (Map.Entry<String, String> e : resourceAttributes.entrySet()) {
      if (!e.getKey().equals("service.name")) out.add(io.sluice.sdk.record.Values.kv(e.getKey(), e.getValue()));
    }
    if (!resourceAttributes.containsKey("host.name")) out.add(io.sluice.sdk.record.Values.kv("host.name", HOST_NAME));
    return java.util.List.copyOf(out);
  }

  /** The stream hello for a spool's identity. */
  public io.sluice.proto.v1.Hello hello(String clientId, long epoch) {
    return io.sluice.proto.v1.Hello.newBuilder().setClientId(clientId).setEpoch(epoch).setTenant(tenant)
        .setCredentials(credentials).addAllResource(resource()).setProtocolVersion(1).build();
  }

  private static final String HOST_NAME = hostName();

  private static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) return h.trim();
    try {
      return java.nio.file.Files.readString(Paths.get("/etc/hostname")).trim();
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** A validating builder; {@link #build()} throws {@link ConfigException} naming the first wrong key. */
  public static final class Builder {
    private final List<Endpoint> endpoints = new ArrayList<>(List.of(new Endpoint("127.0.0.1", 4417)));
    private String serviceName = "unknown_service:java";
    private final Map<String, String> resourceAttributes = new LinkedHashMap<>();
    private String tenant = "";
    private String credentials = "";
    private String clientId;
    private Path spoolDir;
    private long spoolMaxBytes = 256L << 20;
    private WhenFull whenFull = WhenFull.DROP_OLDEST;
    private long blockTimeoutMs = 1000;
    private long queueWaitMs = 1000;
    private FsyncPolicy fsync = FsyncPolicy.NEVER;
    private int queueMaxRecords = 65_536;
    private long queueMaxBytes = 64L << 20;
    private long overflowMaxBytes = 1L << 30;
    private int maxRecordBytes = 4 << 20;
    private int batchMaxRecords = 2048;
    private int batchMaxBytes = 1 << 20;
    private long lingerMs = 50;
    private int maxInFlightBatches = 32;
    private long reconnectMinMs = 100;
    private long reconnectMaxMs = 10_000;
    private long closeTimeoutMs = 5000;
    private long keepAliveTimeMs = 30_000;
    private int zstdLevel = 1;
    private Diagnostics diagnostics = Diagnostics.STDERR;
    private io.opentelemetry.api.OpenTelemetry openTelemetry;
    private boolean tls;
    /** Whether {@code tls} was set explicitly (then an endpoint's scheme must agree with it). */
    private boolean tlsSet;
    /** What the endpoints' scheme says: true for https://, false for http://, null when they have none. */
    private Boolean endpointTls;
    private Path trustCertPath;
    private Path clientCertPath;
    private Path clientKeyPath;
    private Path credentialsFile;
    private String oauth2Issuer;
    private String oauth2TokenUrl;
    private String oauth2ClientId;
    private String oauth2ClientSecret;
    private Path oauth2ClientSecretFile;
    private String oauth2Scope;
    private String oauth2Audience;

    private Builder() {}

    /**
     * One or more {@code host:port}, comma-separated. Each may carry a URL scheme, as OpenTelemetry users write
     * endpoints: {@code http://host:port} is plaintext, {@code https://host:port} turns {@code tls} on (a trailing
     * {@code /} is allowed; a path, a different scheme, or {@code http://} and {@code https://} in one list are
     * refused with the fix).
     */
    public Builder endpoint(String value) {
      endpoints.clear();
      Boolean schemeTls = null;
      for (String part : require("endpoint", value).split(",")) {
        String p = part.trim();
        if (p.isEmpty()) continue;
        int sep = p.indexOf("://");
        if (sep >= 0) {
          String scheme = p.substring(0, sep).toLowerCase(Locale.ROOT);
          boolean https;
          if (scheme.equals("http") || scheme.equals("grpc")) {
            https = false;
          } else if (scheme.equals("https") || scheme.equals("grpcs")) {
            https = true;
          } else {
            throw new ConfigException("endpoint", "\"" + p + "\" has the scheme " + scheme + "://, which Sluice does"
                + " not speak; write host:port (plaintext), http://host:port (plaintext) or https://host:port (TLS)");
          }
          if (schemeTls != null && schemeTls != https) {
            throw new ConfigException("endpoint", "mixes http:// and https:// endpoints; all endpoints share one"
                + " transport, so write them all with https:// (TLS) or all with http:// (plaintext)");
          }
          schemeTls = https;
          p = p.substring(sep + 3);
          if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
          if (p.contains("/")) {
            throw new ConfigException("endpoint", "\"" + part.trim() + "\" has a path; Sluice's gRPC endpoint is"
                + " host:port only, write e.g. " + scheme + "://" + p.substring(0, p.indexOf('/')));
          }
        }
        int colon = p.lastIndexOf(':');
        if (colon <= 0 || colon == p.length() - 1 || (p.startsWith("[") && !p.substring(0, colon).endsWith("]"))) {
          throw new ConfigException("endpoint", "\"" + p + "\" is not host:port; write e.g. collector.example:4417"
              + " or http://collector.example:4417");
        }
        String host = p.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        int port = (int) parseLong("endpoint", p.substring(colon + 1), 1, 65535);
        endpoints.add(new Endpoint(host, port));
      }
      if (endpoints.isEmpty()) throw new ConfigException("endpoint", "is empty; write e.g. 127.0.0.1:4417");
      endpointTls = schemeTls;
      return this;
    }

    public Builder serviceName(String v) { serviceName = require("serviceName", v); return this; }
    /** One resource attribute; {@code service.name} sets {@link #serviceName} (when not blank). */
    public Builder resourceAttribute(String key, String value) {
      String k = require("resourceAttributes", key);
      if (k.equals("service.name")) {
        if (value != null && !value.isBlank()) serviceName(value);
        return this;
      }
      resourceAttributes.put(k, value == null ? "" : value);
      return this;
    }

    /** {@code k1=v1,k2=v2}. */
    public Builder resourceAttributes(String list) {
      for (String pair : require("resourceAttributes", list).split(",")) {
        String p = pair.trim();
        if (p.isEmpty()) continue;
        int eq = p.indexOf('=');
        if (eq <= 0) throw new ConfigException("resourceAttributes",
            "\"" + p + "\" is not key=value; write e.g. deployment.environment=prod,team=payments");
        resourceAttribute(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
      }
      return this;
    }

    public Builder tenant(String v) { tenant = v == null ? "" : v; return this; }
    public Builder credentials(String v) { credentials = v == null ? "" : v; return this; }
    public Builder clientId(String v) { clientId = (v == null || v.isBlank()) ? null : v.trim(); return this; }
    public Builder spoolDir(Path v) { spoolDir = v; return this; }
    public Builder spoolMaxBytes(long v) { spoolMaxBytes = v; return this; }
    public Builder whenFull(WhenFull v) { whenFull = v; return this; }
    public Builder blockTimeoutMs(long v) { blockTimeoutMs = v; return this; }
    public Builder queueWaitMs(long v) { queueWaitMs = v; return this; }
    public Builder fsync(FsyncPolicy v) { fsync = v; return this; }
    public Builder queueMaxRecords(int v) { queueMaxRecords = v; return this; }
    public Builder queueMaxBytes(long v) { queueMaxBytes = v; return this; }
    public Builder overflowMaxBytes(long v) { overflowMaxBytes = v; return this; }
    public Builder maxRecordBytes(int v) { maxRecordBytes = v; return this; }
    public Builder batchMaxRecords(int v) { batchMaxRecords = v; return this; }
    public Builder batchMaxBytes(int v) { batchMaxBytes = v; return this; }
    public Builder lingerMs(long v) { lingerMs = v; return this; }
    public Builder maxInFlightBatches(int v) { maxInFlightBatches = v; return this; }
    public Builder reconnectMinMs(long v) { reconnectMinMs = v; return this; }
    public Builder reconnectMaxMs(long v) { reconnectMaxMs = v; return this; }
    public Builder closeTimeoutMs(long v) { closeTimeoutMs = v; return this; }
    /** See {@link PipelineConfig#keepAliveTime()}; default 30 s. */
    public Builder keepAliveTimeMs(long v) {
      keepAliveTimeMs = v;
      return this;
    }
    public Builder zstdLevel(int v) { zstdLevel = v; return this; }
    public Builder diagnostics(Diagnostics v) { diagnostics = v == null ? Diagnostics.STDERR : v; return this; }
    public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry v) { openTelemetry = v; return this; }
    /** TLS towards the collector; default false (plaintext). */
    public Builder tls(boolean v) {
      tls = v;
      tlsSet = true;
      return this;
    }
    /** PEM CA certificate(s) to trust instead of the JVM's trust store; needs {@code tls}. */
    public Builder trustCertPath(Path v) {
      trustCertPath = v;
      return this;
    }
    /** PEM client certificate chain for mTLS; needs {@code tls} and {@code clientKeyPath}. */
    public Builder clientCertPath(Path v) {
      clientCertPath = v;
      return this;
    }
    /** PEM PKCS#8 private key of {@code clientCertPath}. */
    public Builder clientKeyPath(Path v) {
      clientKeyPath = v;
      return this;
    }
    /**
     * A file holding the credentials (an API key or {@code Bearer <JWT>}), re-read when it changes: a new value is
     * used by the next stream, and the open stream is drained and replaced within about a second. A missing or
     * unreadable file is an error counted as {@code credentialErrors} (batches stay spooled); shipping resumes when
     * it is readable again. Excludes {@code credentials} and OAuth2.
     */
    public Builder credentialsFile(Path v) { credentialsFile = v; return this; }
    /** OIDC issuer whose discovery document names the token endpoint (Keycloak: {@code https://host/realms/r}). */
    public Builder oauth2Issuer(String v) {
      oauth2Issuer = blankToNull(v);
      return this;
    }
    /** The OAuth2 token endpoint, when not discovered from {@code oauth2Issuer}. */
    public Builder oauth2TokenUrl(String v) {
      oauth2TokenUrl = blankToNull(v);
      return this;
    }
    public Builder oauth2ClientId(String v) { oauth2ClientId = blankToNull(v); return this; }
    public Builder oauth2ClientSecret(String v) { oauth2ClientSecret = blankToNull(v); return this; }
    /** A file holding the client secret, re-read before every token request. */
    public Builder oauth2ClientSecretFile(Path v) {
      oauth2ClientSecretFile = v;
      return this;
    }
    /** Space-separated scopes to ask for, or none. */
    public Builder oauth2Scope(String v) {
      oauth2Scope = blankToNull(v);
      return this;
    }
    /** An {@code audience} parameter for the token request, or none. */
    public Builder oauth2Audience(String v) {
      oauth2Audience = blankToNull(v);
      return this;
    }

    private static String blankToNull(String v) {
      return v == null || v.isBlank() ? null : v.trim();
    }

    private OAuth2Settings oauth2Settings() {
      if (oauth2Issuer == null && oauth2TokenUrl == null) return null;
      return new OAuth2Settings(
          oauth2Issuer == null ? null : java.net.URI.create(oauth2Issuer),
          oauth2TokenUrl == null ? null : java.net.URI.create(oauth2TokenUrl), oauth2ClientId, oauth2ClientSecret,
          oauth2ClientSecretFile, oauth2Scope, oauth2Audience);
    }

    private void checkCredentials() {
      boolean oauth = oauth2Issuer != null || oauth2TokenUrl != null;
      int sources = (credentials.isBlank() ? 0 : 1) + (credentialsFile == null ? 0 : 1) + (oauth ? 1 : 0);
      check(credentialsFile != null ? "credentialsFile" : "credentials", sources <= 1, "more than one of"
          + " credentials, credentialsFile and OAuth2 (oauth2Issuer/oauth2TokenUrl) is set; keep one");
      if (!oauth) {
        boolean stray = oauth2ClientId != null || oauth2ClientSecret != null || oauth2ClientSecretFile != null
            || oauth2Scope != null || oauth2Audience != null;
        check("oauth2Issuer", !stray, "is missing: OAuth2 settings are given without oauth2Issuer (OIDC discovery)"
            + " or oauth2TokenUrl");
        return;
      }
      check("oauth2TokenUrl", oauth2Issuer == null || oauth2TokenUrl == null, "and oauth2Issuer are both set; give"
          + " the issuer (the token endpoint is discovered) or the token URL, not both");
      checkUrl(oauth2Issuer != null ? "oauth2Issuer" : "oauth2TokenUrl",
          oauth2Issuer != null ? oauth2Issuer : oauth2TokenUrl);
      check("oauth2ClientId", oauth2ClientId != null, "is required with OAuth2 (the client of the"
          + " client-credentials grant)");
      check("oauth2ClientSecret", (oauth2ClientSecret == null) != (oauth2ClientSecretFile == null),
          oauth2ClientSecret == null ? "is missing; give oauth2ClientSecret or oauth2ClientSecretFile"
              : "and oauth2ClientSecretFile are both set; keep one");
    }

    private static void checkUrl(String key, String value) {
      java.net.URI u;
      try {
        u = java.net.URI.create(value);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key, "\"" + value + "\" is not a URL: " + e.getMessage());
      }
      String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
      check(key, (scheme.equals("https") || scheme.equals("http")) && u.getHost() != null, "\"" + value
          + "\" is not an http(s) URL; write e.g. https://keycloak.example/realms/apps");
    }

    /**
     * Sets one setting from text, as written in logback.xml, log4j2.xml, YAML or a flag. Sizes accept {@code KiB},
     * {@code MiB}, {@code GiB} suffixes ({@code 64MiB}, {@code 512k}); durations are milliseconds or take
     * {@code ms}, {@code s}, {@code m} suffixes.
     *
     * @throws ConfigException naming the key when it is unknown or its value is wrong
     */
    public Builder set(String key, String value) {
      switch (key) {
        case "endpoint", "endpoints" -> endpoint(value);
        case "serviceName" -> serviceName(value);
        case "resourceAttributes" -> resourceAttributes(value);
        case "tenant" -> tenant(value);
        case "credentials" -> credentials(value);
        case "clientId" -> clientId(value);
        case "spoolDir" -> spoolDir(Paths.get(require(key, value)));
        case "spoolMaxBytes" -> spoolMaxBytes(parseSize(key, value, 1L << 20, Long.MAX_VALUE));
        case "whenFull" -> {
          WhenFull w = WhenFull.parse(value);
          if (w == null) throw new ConfigException(key,
              "\"" + value + "\" is not a policy; write drop-oldest, drop-newest or block");
          whenFull(w);
        }
        case "blockTimeoutMs" -> blockTimeoutMs(parseDurationMs(key, value));
        case "queueWaitMs" -> queueWaitMs(parseDurationMs(key, value));
        case "fsync" -> {
          FsyncPolicy f = FsyncPolicy.parse(value);
          if (f == null)
            throw new ConfigException(key, "\"" + value + "\" is not a policy; write never or every-batch");
          fsync(f);
        }
        case "queueMaxRecords" -> queueMaxRecords((int) parseSize(key, value, 16, 1 << 24));
        case "queueMaxBytes" -> queueMaxBytes(parseSize(key, value, 64 << 10, Long.MAX_VALUE));
        case "overflowMaxBytes" -> overflowMaxBytes(parseSize(key, value, 0, Long.MAX_VALUE));
        case "maxRecordBytes" -> maxRecordBytes((int) parseSize(key, value, 1 << 10, Integer.MAX_VALUE));
        case "batchMaxRecords" -> batchMaxRecords((int) parseSize(key, value, 1, 1 << 20));
        case "batchMaxBytes" -> batchMaxBytes((int) parseSize(key, value, 1 << 10, 64 << 20));
        case "lingerMs" -> lingerMs(parseDurationMs(key, value));
        case "maxInFlightBatches" -> maxInFlightBatches((int) parseLong(key, value, 1, 4096));
        case "reconnectMinMs" -> reconnectMinMs(parseDurationMs(key, value));
        case "reconnectMaxMs" -> reconnectMaxMs(parseDurationMs(key, value));
        case "closeTimeoutMs" -> closeTimeoutMs(parseDurationMs(key, value));
        case "zstdLevel" -> zstdLevel((int) parseLong(key, value, -7, 22));
        case "tls" -> {
          String v = require(key, value).toLowerCase(java.util.Locale.ROOT);
          if (!v.equals("true") && !v.equals("false"))
            throw new ConfigException(key, "\"" + value + "\" is not true or false");
          tls(v.equals("true"));
        }
        case "trustCertPath" -> trustCertPath(Paths.get(require(key, value)));
        case "clientCertPath" -> clientCertPath(Paths.get(require(key, value)));
        case "clientKeyPath" -> clientKeyPath(Paths.get(require(key, value)));
        case "credentialsFile" -> credentialsFile(value == null || value.isBlank() ? null : Paths.get(value.trim()));
        case "oauth2Issuer" -> oauth2Issuer(value);
        case "oauth2TokenUrl" -> oauth2TokenUrl(value);
        case "oauth2ClientId" -> oauth2ClientId(value);
        case "oauth2ClientSecret" -> oauth2ClientSecret(value);
        case "oauth2ClientSecretFile" -> oauth2ClientSecretFile(value == null || value.isBlank() ? null
            : Paths.get(value.trim()));
        case "oauth2Scope" -> oauth2Scope(value);
        case "oauth2Audience" -> oauth2Audience(value);
        default -> throw new ConfigException(key, "unknown setting; known settings are " + String.join(", ", KEYS));
      }
      return this;
    }

    /** Validates every bound and builds. */
    public PipelineConfig build() {
      if (endpointTls != null) {
        check("tls", !tlsSet || tls == endpointTls, "is " + tls + " but the endpoint is written with "
            + (endpointTls ? "https:// (TLS)" : "http:// (plaintext)")
            + "; drop the tls setting or make the scheme agree");
        tls = endpointTls;
      }
      check("spoolMaxBytes", spoolMaxBytes >= (1L << 20), "must be at least 1MiB, was " + spoolMaxBytes);
      check("blockTimeoutMs", blockTimeoutMs >= 0, "must be >= 0, was " + blockTimeoutMs);
      check("queueWaitMs", queueWaitMs >= 0 && queueWaitMs <= 60_000, "must be in [0, 60000] ms, was " + queueWaitMs
          + "; 0 drops at once when the queue is full");
      check("queueMaxRecords", queueMaxRecords >= 16 && queueMaxRecords <= (1 << 24),
          "must be in [16, 16777216], was " + queueMaxRecords);
      check("overflowMaxBytes", overflowMaxBytes == 0 || overflowMaxBytes >= 8L * maxRecordBytes,
          "must be 0 (no overflow) or at least 8 x maxRecordBytes (" + 8L * maxRecordBytes + "), was "
              + overflowMaxBytes);
      check("queueMaxBytes", queueMaxBytes >= maxRecordBytes,
          "must be at least maxRecordBytes (" + maxRecordBytes + "), was " + queueMaxBytes);
      check("maxRecordBytes", maxRecordBytes >= 1024, "must be at least 1KiB, was " + maxRecordBytes);
      check("batchMaxRecords", batchMaxRecords >= 1, "must be >= 1, was " + batchMaxRecords);
      check("batchMaxBytes", batchMaxBytes >= 1024, "must be at least 1KiB, was " + batchMaxBytes);
      check("spoolMaxBytes", spoolMaxBytes >= 2L * batchMaxBytes,
          "must hold at least two batches (2 x batchMaxBytes = " + 2L * batchMaxBytes + "), was " + spoolMaxBytes);
      check("lingerMs", lingerMs >= 0 && lingerMs <= 60_000, "must be in [0, 60000] ms, was " + lingerMs);
      check("maxInFlightBatches", maxInFlightBatches >= 1, "must be >= 1, was " + maxInFlightBatches);
      check("reconnectMinMs", reconnectMinMs >= 1, "must be >= 1 ms, was " + reconnectMinMs);
      check("reconnectMaxMs", reconnectMaxMs >= reconnectMinMs,
          "must be >= reconnectMinMs (" + reconnectMinMs + "), was " + reconnectMaxMs);
      check("keepAliveTimeMs", keepAliveTimeMs >= 10_000,
          "must be at least 10000 ms (gRPC's floor), was " + keepAliveTimeMs);
      check("closeTimeoutMs", closeTimeoutMs >= 0, "must be >= 0, was " + closeTimeoutMs);
      check("zstdLevel", zstdLevel >= -7 && zstdLevel <= 22, "must be in [-7, 22], was " + zstdLevel);
      check("whenFull", whenFull != null, "is required; write drop-oldest, drop-newest or block");
      check("fsync", fsync != null, "is required; write never or every-batch");
      check("clientKeyPath", (clientCertPath == null) == (clientKeyPath == null), clientCertPath == null
          ? "is set without clientCertPath; give both (mTLS) or neither"
          : "is missing; clientCertPath needs its PEM PKCS#8 key");
      checkPem("trustCertPath", trustCertPath);
      checkPem("clientCertPath", clientCertPath);
      checkPem("clientKeyPath", clientKeyPath);
      checkCredentials();
      return new PipelineConfig(this);
    }

    private void checkPem(String key, Path file) {
      if (file == null) return;
      check("tls", tls, "is false but " + key + " is set; set tls=true to connect with TLS");
      check(key, java.nio.file.Files.isReadable(file), file + " is not a readable file; give the path of a PEM file");
    }

    private static void check(String key, boolean ok, String message) {
      if (!ok) throw new ConfigException(key, message);
    }

    private static String require(String key, String value) {
      if (value == null || value.isBlank()) throw new ConfigException(key, "is empty; give it a value");
      return value.trim();
    }
  }

  /** Every key {@link Builder#set} accepts. */
  public static final List<String> KEYS = List.of(
      "endpoint", "serviceName", "resourceAttributes", "tenant", "credentials", "clientId", "spoolDir",
      "spoolMaxBytes", "whenFull", "blockTimeoutMs", "fsync", "queueMaxRecords", "queueMaxBytes", "maxRecordBytes",
      "overflowMaxBytes", "batchMaxRecords", "batchMaxBytes", "lingerMs", "maxInFlightBatches", "reconnectMinMs",
      "reconnectMaxMs",
      "closeTimeoutMs", "zstdLevel", "tls", "trustCertPath", "clientCertPath", "clientKeyPath", "queueWaitMs",
      "credentialsFile", "oauth2Issuer", "oauth2TokenUrl", "oauth2ClientId", "oauth2ClientSecret",
      "oauth2ClientSecretFile", "oauth2Scope", "oauth2Audience");

  /** A whole number in [min, max]; errors name {@code key}. */
  public static long parseLong(String key, String value, long min, long max) {
    String v = Builder.require(key, value);
    long n;
    try {
      n = Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new ConfigException(key, "\"" + v + "\" is not a whole number");
    }
    if (n < min || n > max) throw new ConfigException(key, n + " is out of range [" + min + ", " + max + "]");
    return n;
  }

  /** Parses {@code 1048576}, {@code 1MiB}, {@code 1m}, {@code 512KiB}, {@code 2GiB}; errors name {@code key}. */
  public static long parseSize(String key, String value, long min, long max) {
    String v = Builder.require(key, value).toLowerCase(Locale.ROOT).replace("_", "");
    long mult = 1;
    String[][] units = {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"}, {"gb", "1073741824"},
        {"mb", "1048576"}, {"kb", "1024"}, {"g", "1073741824"}, {"m", "1048576"}, {"k", "1024"}, {"b", "1"}};
    for (String[] u : units) {
      if (v.endsWith(u[0])) {
        mult = Long.parseLong(u[1]);
        v = v.substring(0, v.length() - u[0].length()).trim();
        break;
      }
    }
    long n;
    try {
      n = Math.multiplyExact(Long.parseLong(v), mult);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigException(key, "\"" + value + "\" is not a size; write e.g. 65536, 64KiB or 256MiB");
    }
    if (n < min || n > max) throw new ConfigException(key, value + " is out of range [" + min + ", " + max + "] bytes");
    return n;
  }

  /** Parses {@code 250}, {@code 250ms}, {@code 5s}, {@code 1m} into milliseconds; errors name {@code key}. */
  public static long parseDurationMs(String key, String value) {
    String v = Builder.require(key, value).toLowerCase(Locale.ROOT);
    long mult = 1;
    if (v.endsWith("ms")) {
      v = v.substring(0, v.length() - 2);
    } else if (v.endsWith("s")) {
      mult = 1000;
      v = v.substring(0, v.length() - 1);
    } else if (v.endsWith("m")) {
      mult = 60_000;
      v = v.substring(0, v.length() - 1);
    }
    try {
      long n = Math.multiplyExact(Long.parseLong(v.trim()), mult);
      if (n < 0) throw new ConfigException(key, value + " is negative; give a duration >= 0");
      return n;
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ConfigException(key, "\"" + value + "\" is not a duration; write e.g. 200, 200ms or 5s");
    }
  }
}
