package io.sluice.agent;

import io.sluice.agent.multiline.MultilineConfig;
import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.agent.parse.PodServiceName;
import io.sluice.agent.parse.RegexParser;
import io.sluice.agent.tail.TailerConfig;
import io.sluice.config.ConfigNode;
import io.sluice.config.ConfigProblem;
import io.sluice.config.ConfigReader;
import io.sluice.config.OtelEnvironment;
import io.sluice.sdk.pipeline.ConfigException;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Everything the agent needs, immutable and validated: the sdk-core {@link PipelineConfig} (collector, spool,
 * batching), the {@link TailerConfig}, the inputs, and the agent's own timings. Built from agent.yaml by {@link #load}
 * / {@link #parse} through the shared reader {@code io.sluice.config.ConfigReader} (units, {@code ${VAR}}, every
 * problem at once with its line and key, unknown keys named with the nearest known one) or in code through
 * {@link Builder}.
 */
public final class AgentConfig {
  private final PipelineConfig pipeline;
  private final TailerConfig tailer;
  private final List<InputConfig> inputs;
  private final Duration pollInterval;
  private final Duration rescanInterval;
  private final String httpHost;
  private final int httpPort;
  private final Duration stallTimeout;
  private final Duration drainTimeout;
  private final PodServiceName.Mode serviceNameFrom;

  private AgentConfig(Builder b) {
    this.pipeline = b.pipeline.build();
    this.tailer = new TailerConfig(b.maxOpenFiles, b.readChunkBytes, b.maxBytesPerPoll, b.maxLineBytes,
        b.fingerprintBytes, b.releaseAfterMs * 1_000_000L, b.deletedMaxHoldMs * 1_000_000L);
    this.inputs = List.copyOf(b.inputs);
    this.pollInterval = Duration.ofMillis(b.pollIntervalMs);
    this.rescanInterval = Duration.ofMillis(b.rescanIntervalMs);
    this.httpHost = b.httpHost;
    this.httpPort = b.httpPort;
    this.stallTimeout = Duration.ofMillis(b.stallTimeoutMs);
    this.drainTimeout = Duration.ofMillis(b.drainTimeoutMs);
    this.serviceNameFrom = b.serviceNameFrom;
  }

  /** Collector, spool and batching, as in the appenders. The agent always spools with {@code BLOCK}. */
  public PipelineConfig pipeline() {
    return pipeline;
  }
  public TailerConfig tailer() { return tailer; }
  public List<InputConfig> inputs() { return inputs; }
  /** How often files are checked for new bytes when nothing is waiting. Default 250 ms. */
  public Duration pollInterval() {
    return pollInterval;
  }
  /** How often the include globs are walked for new files. Default 10 s. */
  public Duration rescanInterval() {
    return rescanInterval;
  }
  public String httpHost() { return httpHost; }
  /** Port of {@code /metrics}, {@code /livez}, {@code /readyz}; -1 turns the endpoint off, 0 picks a free port. */
  public int httpPort() {
    return httpPort;
  }
  /** {@code /livez} fails when bytes wait, the spool has room, and nothing was read for this long. Default 60 s. */
  public Duration stallTimeout() {
    return stallTimeout;
  }
  /** On SIGTERM: how long to wait for the spool to empty. Default 10 s. */
  public Duration drainTimeout() {
    return drainTimeout;
  }
  /**
   * Where a pod log's {@code service.name} comes from (key {@code serviceNameFrom}); {@code config} (the default):
   * {@code serviceName} for every line. Lines of files that are not pod logs always get {@code serviceName}.
   */
  public PodServiceName.Mode serviceNameFrom() { return serviceNameFrom; }

  public static Builder builder() {
    return new Builder();
  }

  /** A validating builder; every setter's key is the YAML key. */
  public static final class Builder {
    /**
     * The agent's defaults differ from the appenders' in two places, both measured on access-log lines: zstd level
     * 1 (about 1.4x faster than level 3 at the same ratio on these lines) and up to 8192 records per batch, so the
     * 1 MiB byte bound cuts batches of short lines (fewer spool writes, RPCs and acks per GiB).
     */
    final PipelineConfig.Builder pipeline = PipelineConfig.builder().serviceName("sluice-agent")
        .whenFull(WhenFull.BLOCK).zstdLevel(1).batchMaxRecords(8192);
    final List<InputConfig> inputs = new ArrayList<>();
    int maxOpenFiles = 1024;
    int readChunkBytes = 64 << 10;
    int maxBytesPerPoll = 1 << 20;
    int maxLineBytes = 256 << 10;
    int fingerprintBytes = 1024;
    long releaseAfterMs = 2_000;
    long deletedMaxHoldMs = 300_000;
    long pollIntervalMs = 250;
    long rescanIntervalMs = 10_000;
    String httpHost = "0.0.0.0";
    int httpPort = 9464;
    long stallTimeoutMs = 60_000;
    long drainTimeoutMs = 10_000;
    PodServiceName.Mode serviceNameFrom = PodServiceName.Mode.CONFIG;

    /** The sdk-core settings; its keys are documented in sdk-core's README. */
    public PipelineConfig.Builder pipeline() {
      return pipeline;
    }
    public Builder input(InputConfig i) { inputs.add(i); return this; }
    public Builder maxOpenFiles(int v) { maxOpenFiles = v; return this; }
    public Builder maxLineBytes(int v) { maxLineBytes = v; return this; }
    public Builder readChunkBytes(int v) { readChunkBytes = v; return this; }
    public Builder maxBytesPerPoll(int v) { maxBytesPerPoll = v; return this; }
    public Builder fingerprintBytes(int v) { fingerprintBytes = v; return this; }
    public Builder releaseAfterMs(long v) { releaseAfterMs = v; return this; }
    public Builder deletedMaxHoldMs(long v) { deletedMaxHoldMs = v; return this; }
    public Builder pollIntervalMs(long v) { pollIntervalMs = v; return this; }
    public Builder rescanIntervalMs(long v) { rescanIntervalMs = v; return this; }
    public Builder http(String host, int port) { httpHost = host; httpPort = port; return this; }
    public Builder stallTimeoutMs(long v) { stallTimeoutMs = v; return this; }
    public Builder drainTimeoutMs(long v) { drainTimeoutMs = v; return this; }
    public Builder serviceNameFrom(PodServiceName.Mode v) { serviceNameFrom = v; return this; }

    public AgentConfig build() {
      check("inputs", !inputs.isEmpty(),
          "at least one input is required; add e.g. inputs: [{include: [/var/log/app/*.log]}]");
      check("tail.pollIntervalMs", pollIntervalMs >= 1 && pollIntervalMs <= 60_000,
          "must be in [1ms, 60s], was " + pollIntervalMs);
      check("tail.rescanIntervalMs", rescanIntervalMs >= 10, "must be at least 10ms, was " + rescanIntervalMs);
      check("tail.maxOpenFiles", maxOpenFiles >= 1, "must be >= 1, was " + maxOpenFiles);
      check("tail.readChunkBytes", readChunkBytes >= 512 && readChunkBytes <= (16 << 20),
          "must be in [512, 16MiB], was " + readChunkBytes);
      check("tail.maxBytesPerPoll", maxBytesPerPoll >= readChunkBytes,
          "must be >= tail.readChunkBytes (" + readChunkBytes + "), was " + maxBytesPerPoll);
      check("tail.maxLineBytes", maxLineBytes >= 16, "must be at least 16 bytes, was " + maxLineBytes);
      check("tail.fingerprintBytes", fingerprintBytes >= 16 && fingerprintBytes <= 65536,
          "must be in [16, 65536], was " + fingerprintBytes);
      check("health.stallTimeoutMs", stallTimeoutMs >= 1000, "must be at least 1s, was " + stallTimeoutMs);
      check("http.port", httpPort >= -1 && httpPort <= 65535,
          "must be a port, 0 (any free port) or -1 (off), was " + httpPort);
      pipeline.whenFull(WhenFull.BLOCK); // a file is its own buffer: never drop, stop reading while the spool is full
      try {
        return new AgentConfig(this);
      } catch (ConfigException e) {
        throw new AgentConfigException(SDK_KEYS.getOrDefault(e.key(), e.key()),
            e.getMessage().substring(e.key().length() + 2));
      } catch (IllegalArgumentException e) {
        throw new AgentConfigException("tail", e.getMessage());
      }
    }
  }

  private static void check(String key, boolean ok, String message) {
    if (!ok) throw new AgentConfigException(key, message);
  }

  // ------------------------------------------------------------------------------------------------------- YAML

  /** YAML key of each sdk-core setting. */
  private static final Map<String, String> SDK_KEYS = Map.ofEntries(
      Map.entry("endpoint", "collector.endpoints"), Map.entry("tenant", "collector.tenant"),
      Map.entry("credentials", "collector.credentials"), Map.entry("clientId", "collector.clientId"),
      Map.entry("maxInFlightBatches", "collector.maxInFlightBatches"),
      Map.entry("reconnectMinMs", "collector.reconnectMinMs"), Map.entry("reconnectMaxMs", "collector.reconnectMaxMs"),
      Map.entry("spoolDir", "spool.dir"), Map.entry("spoolMaxBytes", "spool.maxBytes"),
      Map.entry("fsync", "spool.fsync"),
      Map.entry("batchMaxRecords", "batch.maxRecords"), Map.entry("batchMaxBytes", "batch.maxBytes"),
      Map.entry("lingerMs", "batch.lingerMs"), Map.entry("zstdLevel", "batch.zstdLevel"),
      Map.entry("closeTimeoutMs", "drainTimeoutMs"), Map.entry("tls", "collector.tls"),
      Map.entry("trustCertPath", "collector.trustCertPath"), Map.entry("clientCertPath", "collector.clientCertPath"),
      Map.entry("clientKeyPath", "collector.clientKeyPath"), Map.entry("credentialsFile", "collector.credentialsFile"),
      Map.entry("oauth2Issuer", "collector.oauth2.issuer"), Map.entry("oauth2TokenUrl", "collector.oauth2.tokenUrl"),
      Map.entry("oauth2ClientId", "collector.oauth2.clientId"),
      Map.entry("oauth2ClientSecret", "collector.oauth2.clientSecret"),
      Map.entry("oauth2ClientSecretFile", "collector.oauth2.clientSecretFile"),
      Map.entry("oauth2Scope", "collector.oauth2.scope"), Map.entry("oauth2Audience", "collector.oauth2.audience"));

  private static final Set<String> TOP = Set.of("serviceName", "resource", "collector", "spool", "batch", "tail",
      "http", "health", "drainTimeoutMs", "inputs", "serviceNameFrom");
  private static final Set<String> COLLECTOR = Set.of("endpoints", "tenant", "credentials", "clientId",
      "maxInFlightBatches", "reconnectMinMs", "reconnectMaxMs", "tls", "trustCertPath", "clientCertPath",
      "clientKeyPath", "credentialsFile", "oauth2");
  private static final Set<String> OAUTH2 = Set.of("issuer", "tokenUrl", "clientId", "clientSecret",
      "clientSecretFile", "scope", "audience");
  private static final Set<String> TAIL = Set.of("pollIntervalMs", "rescanIntervalMs", "maxOpenFiles",
      "readChunkBytes", "maxBytesPerPoll", "maxLineBytes", "fingerprintBytes", "releaseAfterMs", "deletedMaxHoldMs");
  private static final String DEFAULT_SERVICE = "sluice-agent";

  /** Reads a YAML file, substituting {@code ${VAR}} and taking OTEL_* defaults from the process environment. */
  public static AgentConfig load(Path file) {
    return load(file, System::getenv);
  }

  /** Reads a YAML file, with {@code env} as the environment. */
  public static AgentConfig load(Path file, Function<String, String> env) {
    return read(ConfigReader.read(file, env));
  }

  /** Parses YAML text with the process environment; problems carry lines but no file name. */
  public static AgentConfig parse(String yaml) {
    return parse(null, yaml, System::getenv);
  }

  /**
   * Parses YAML text named {@code source} (null for none), with {@code env} as the environment. Keys:
   * {@code serviceName}, {@code serviceNameFrom} (config, container, workload, namespace-workload: a pod log's
   * service.name from its kubelet path, see {@link PodServiceName}), {@code resource} (map), {@code collector}
   * (endpoints, tenant, credentials, credentialsFile, oauth2 (issuer, tokenUrl, clientId, clientSecret,
   * clientSecretFile, scope, audience), clientId,
   * maxInFlightBatches, reconnectMinMs, reconnectMaxMs, tls, trustCertPath, clientCertPath, clientKeyPath),
   * {@code spool} (dir, maxBytes, fsync), {@code batch} (maxRecords, maxBytes, lingerMs, zstdLevel), {@code tail}
   * (pollIntervalMs, rescanIntervalMs, maxOpenFiles, readChunkBytes, maxBytesPerPoll, maxLineBytes, fingerprintBytes,
   * releaseAfterMs, deletedMaxHoldMs), {@code http} (host, port), {@code health} (stallTimeoutMs),
   * {@code drainTimeoutMs}, and {@code inputs} (a list; see {@link InputConfig}). Sizes take units ({@code 64KiB},
   * {@code 256MiB}), durations too ({@code 500ms}, {@code 5s}, {@code 1m}; a plain number is milliseconds); values
   * may use {@code ${VAR}} and {@code ${VAR:-default}} ({@code $$} for a literal {@code $}).
   *
   * <p>Service name and resource: {@code serviceName}, else {@code resource."service.name"}, else
   * {@code OTEL_SERVICE_NAME}, else {@code service.name} in {@code OTEL_RESOURCE_ATTRIBUTES}, else
   * {@value #DEFAULT_SERVICE}; resource attributes are those of {@code OTEL_RESOURCE_ATTRIBUTES}, each overridden by
   * the same key under {@code resource}.
   *
   * @throws AgentConfigException with every problem of the document, each naming its line and key (a path such as
   *     {@code inputs[1].multiline.mode})
   */
  public static AgentConfig parse(String source, String yaml, Function<String, String> env) {
    return read(ConfigReader.parse(source, yaml, env));
  }

  private static AgentConfig read(ConfigReader r) {
    ConfigNode root = r.root();
    Builder b = builder();
    r.knownKeys(root, TOP);

    OtelEnvironment otel = OtelEnvironment.read(r::env, r::environmentProblem);
    otel.attributes().forEach(b.pipeline::resourceAttribute);
    String service = otel.serviceName() != null ? otel.serviceName() : DEFAULT_SERVICE;
    ConfigNode resource = root.get("resource");
    if (resource != null && !resource.isNull()) {
      Map<String, String> attrs = r.stringMap(resource);
      if (attrs != null) {
        attrs.forEach(b.pipeline::resourceAttribute);
        if (attrs.containsKey("service.name") && !attrs.get("service.name").isBlank()) {
          service = attrs.get("service.name").trim();
        }
      }
    }
    if (root.has("serviceName")) {
      String v = r.nonBlank(root.get("serviceName"));
      if (v != null) service = v;
    }
    sdk(r, b, root, "serviceName", "serviceName", service);
    if (root.has("serviceNameFrom")) {
      String v = r.nonBlank(root.get("serviceNameFrom"));
      PodServiceName.Mode m = v == null ? null : PodServiceName.Mode.parse(v);
      if (v != null && m == null) {
        r.problem(root.get("serviceNameFrom"), "\"" + v + "\" is not a source; write config, container, workload or"
            + " namespace-workload");
      } else if (m != null) {
        b.serviceNameFrom = m;
      }
    }

    ConfigNode c = r.mapping(root, "collector", COLLECTOR);
    if (c != null) {
      if (c.has("endpoints")) {
        List<String> eps = r.strings(c.get("endpoints"), true);
        if (eps != null) sdk(r, b, c, "endpoints", "endpoint", String.join(",", eps));
      }
      for (String k : List.of("tenant", "credentials", "clientId")) { // empty = none, e.g. ${KEY:-}
        if (c.has(k)) sdk(r, b, c, k, k, c.get(k).isNull() ? "" : trimmed(r.text(c.get(k))));
      }
      for (String k : List.of("maxInFlightBatches", "tls", "trustCertPath", "clientCertPath", "clientKeyPath")) {
        if (c.has(k)) sdk(r, b, c, k, k, r.nonBlank(c.get(k)));
      }
      if (c.has("credentialsFile")) { // empty = none, e.g. ${SLUICE_CREDENTIALS_FILE:-}
        sdk(r, b, c, "credentialsFile", "credentialsFile", c.get("credentialsFile").isNull() ? ""
            : trimmed(r.text(c.get("credentialsFile"))));
      }
      ConfigNode o = r.mapping(c, "oauth2", OAUTH2);
      if (o != null) {
        for (String k : OAUTH2) {
          String key = "oauth2" + Character.toUpperCase(k.charAt(0)) + k.substring(1);
          if (o.has(k)) sdk(r, b, o, k, key, o.get(k).isNull() ? "" : trimmed(r.text(o.get(k))));
        }
      }
      for (String k : List.of("reconnectMinMs", "reconnectMaxMs")) {
        if (c.has(k)) sdk(r, b, c, k, k, str(r.millis(c.get(k))));
      }
    }
    ConfigNode s = r.mapping(root, "spool", Set.of("dir", "maxBytes", "fsync"));
    if (s != null) {
      if (s.has("dir")) sdk(r, b, s, "dir", "spoolDir", r.nonBlank(s.get("dir")));
      if (s.has("maxBytes")) sdk(r, b, s, "maxBytes", "spoolMaxBytes", str(r.bytes(s.get("maxBytes"))));
      if (s.has("fsync")) sdk(r, b, s, "fsync", "fsync", r.nonBlank(s.get("fsync")));
    }
    ConfigNode bt = r.mapping(root, "batch", Set.of("maxRecords", "maxBytes", "lingerMs", "zstdLevel"));
    if (bt != null) {
      if (bt.has("maxRecords")) sdk(r, b, bt, "maxRecords", "batchMaxRecords", r.nonBlank(bt.get("maxRecords")));
      if (bt.has("maxBytes")) sdk(r, b, bt, "maxBytes", "batchMaxBytes", str(r.bytes(bt.get("maxBytes"))));
      if (bt.has("lingerMs")) sdk(r, b, bt, "lingerMs", "lingerMs", str(r.millis(bt.get("lingerMs"))));
      if (bt.has("zstdLevel")) sdk(r, b, bt, "zstdLevel", "zstdLevel", r.nonBlank(bt.get("zstdLevel")));
    }
    ConfigNode t = r.mapping(root, "tail", TAIL);
    r.set(t, "pollIntervalMs", r::millis, v -> b.pollIntervalMs = v);
    r.set(t, "rescanIntervalMs", r::millis, v -> b.rescanIntervalMs = v);
    r.set(t, "maxOpenFiles", n -> r.bytes(n, 1, 1 << 20), v -> b.maxOpenFiles = v.intValue());
    r.set(t, "readChunkBytes", n -> r.bytes(n, 512, 16 << 20), v -> b.readChunkBytes = v.intValue());
    r.set(t, "maxBytesPerPoll", n -> r.bytes(n, 512, 1 << 30), v -> b.maxBytesPerPoll = v.intValue());
    r.set(t, "maxLineBytes", n -> r.bytes(n, 16, 1 << 30), v -> b.maxLineBytes = v.intValue());
    r.set(t, "fingerprintBytes", n -> r.bytes(n, 16, 65536), v -> b.fingerprintBytes = v.intValue());
    r.set(t, "releaseAfterMs", r::millis, v -> b.releaseAfterMs = v);
    r.set(t, "deletedMaxHoldMs", r::millis, v -> b.deletedMaxHoldMs = v);
    ConfigNode h = r.mapping(root, "http", Set.of("host", "port"));
    r.set(h, "host", r::nonBlank, v -> b.httpHost = v);
    r.set(h, "port", n -> r.integer(n, -1, 65535), v -> b.httpPort = v.intValue());
    ConfigNode hl = r.mapping(root, "health", Set.of("stallTimeoutMs"));
    r.set(hl, "stallTimeoutMs", r::millis, v -> b.stallTimeoutMs = v);
    r.set(root, "drainTimeoutMs", r::millis, v -> {
      b.drainTimeoutMs = v;
      b.pipeline.closeTimeoutMs(v);
    });
    ConfigNode in = root.get("inputs");
    if (in == null || !in.isList() || in.items().isEmpty()) {
      r.problem(root, "inputs", "a list of at least one input is required, e.g. inputs: [{include: "
          + "[/var/log/app/*.log]}]");
    } else {
      for (ConfigNode item : in.items()) {
        InputConfig i = input(r, item);
        if (i != null) b.input(i);
      }
    }
    List<ConfigProblem> problems = r.problems();
    if (!problems.isEmpty()) throw new AgentConfigException(problems);
    try {
      return b.build();
    } catch (AgentConfigException e) {
      // a check across keys: say where the key is when the file has it
      throw new AgentConfigException(e.problems().stream().map(p -> r.hasPath(p.path())
          ? r.locate(p.path(), p.message()) : new ConfigProblem(r.source(), 0, p.path(), p.message())).toList());
    }
  }

  private static final Set<String> INPUT_KEYS = Set.of("name", "include", "exclude", "container", "parser", "regex",
      "multiline", "attributes");
  private static final Set<String> MULTILINE_KEYS = Set.of("mode", "pattern", "maxLines", "maxBytes", "flushTimeoutMs");

  /** One input, or null when it has a problem (reported). */
  private static InputConfig input(ConfigReader r, ConfigNode n) {
    if (!n.isMapping()) {
      r.problem(n, "must be a mapping with at least include, found " + n.describe());
      return null;
    }
    int before = r.problems().size();
    r.knownKeys(n, INPUT_KEYS);
    String name = n.has("name") ? r.nonBlank(n.get("name")) : n.path();
    List<String> include = List.of();
    if (!n.has("include") || n.get("include").isNull()) {
      r.problem(n, "include", "at least one absolute glob is required, e.g. /var/log/app/*.log");
    } else {
      include = globs(r, n.get("include"));
    }
    List<String> exclude = n.has("exclude") ? globs(r, n.get("exclude")) : List.of();
    ContainerFormat container = ContainerFormat.NONE;
    if (n.has("container")) {
      String v = r.nonBlank(n.get("container"));
      container = v == null ? null : ContainerFormat.parse(v);
      if (v != null && container == null) {
        r.problem(n.get("container"), "\"" + v + "\" is not a format; write none, cri or docker");
      }
    }
    ParserKind parser = ParserKind.PLAIN;
    if (n.has("parser")) {
      String v = r.nonBlank(n.get("parser"));
      parser = v == null ? null : ParserKind.parse(v);
      if (v != null && parser == null) {
        r.problem(n.get("parser"), "\"" + v + "\" is not a parser; write plain, json, logfmt or regex");
      }
    }
    Pattern regex = null;
    if (n.has("regex")) {
      String v = r.nonBlank(n.get("regex"));
      if (v != null) regex = pattern(r, n.get("regex"), v);
    }
    if (parser == ParserKind.REGEX) {
      if (!n.has("regex")) {
        r.problem(n, "regex", "parser: regex needs a regex with named groups, e.g. '^(?<level>\\w+) (?<message>.*)$'");
      } else if (regex != null) {
        Pattern checked = regex;
        r.run(n.get("regex"), () -> new RegexParser(checked));
      }
    }
    MultilineConfig ml = MultilineConfig.NONE;
    ConfigNode m = n.get("multiline");
    if (m != null && !m.isNull()) {
      ml = multiline(r, m);
    }
    Map<String, String> attrs = n.has("attributes") ? r.stringMap(n.get("attributes")) : Map.of();
    if (r.problems().size() > before) return null;
    return new InputConfig(name, include, exclude, container, parser, regex, ml, attrs);
  }

  private static MultilineConfig multiline(ConfigReader r, ConfigNode m) {
    if (!m.isMapping()) {
      r.problem(m, "must be a mapping, e.g. {mode: java}");
      return null;
    }
    r.knownKeys(m, MULTILINE_KEYS);
    if (!m.has("mode")) {
      r.problem(m, "mode", "needs a value: none, java, start-regex or continue-regex");
      return null;
    }
    String modeText = r.nonBlank(m.get("mode"));
    MultilineMode mode = modeText == null ? null : MultilineMode.parse(modeText);
    if (modeText != null && mode == null) {
      r.problem(m.get("mode"), "\"" + modeText + "\" is not a mode; write none, java, start-regex or continue-regex");
    }
    Pattern pat = null;
    if (m.has("pattern")) {
      String v = r.nonBlank(m.get("pattern"));
      if (v != null) pat = pattern(r, m.get("pattern"), v);
    }
    if ((mode == MultilineMode.START_REGEX || mode == MultilineMode.CONTINUE_REGEX) && !m.has("pattern")) {
      r.problem(m, "pattern", "mode " + modeText + " needs a pattern");
    }
    Long maxLines = m.has("maxLines") ? r.integer(m.get("maxLines"), 1, 1_000_000) : Long.valueOf(500);
    Long maxBytes = m.has("maxBytes") ? r.bytes(m.get("maxBytes"), 16, 1 << 30) : Long.valueOf(1 << 20);
    Long flush = m.has("flushTimeoutMs") ? r.millis(m.get("flushTimeoutMs")) : Long.valueOf(1000);
    if (mode == null || maxLines == null || maxBytes == null || flush == null) return null;
    return new MultilineConfig(mode, pat, maxLines.intValue(), maxBytes.intValue(), flush * 1_000_000L);
  }

  private static List<String> globs(ConfigReader r, ConfigNode n) {
    List<String> out = r.strings(n, true);
    if (out == null) return List.of();
    if (out.isEmpty()) {
      r.problem(n, "at least one absolute glob is required, e.g. /var/log/app/*.log");
    }
    if (n.path().endsWith(".include")) {
      for (String g : out) {
        if (!g.startsWith("/")) r.problem(n, "\"" + g + "\" must be an absolute path");
      }
    }
    return out;
  }

  /**
   * Sets sdk-core's {@code sdkKey} to {@code value} (parsed here already, so units and ${VAR} read as everywhere
   * else; null when it had a problem); sdk-core's own check is reported at {@code key} of {@code parent}.
   */
  private static void sdk(ConfigReader r, Builder b, ConfigNode parent, String key, String sdkKey, String value) {
    if (value == null) return;
    try {
      b.pipeline.set(sdkKey, value);
    } catch (ConfigException e) {
      r.problem(parent, key, e.problem());
    }
  }

  private static String trimmed(String v) {
    return v == null ? null : v.trim();
  }

  private static String str(Long v) {
    return v == null ? null : Long.toString(v);
  }

  private static Pattern pattern(ConfigReader r, ConfigNode at, String s) {
    try {
      return Pattern.compile(s);
    } catch (PatternSyntaxException e) {
      r.problem(at, "not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
      return null;
    }
  }
}
