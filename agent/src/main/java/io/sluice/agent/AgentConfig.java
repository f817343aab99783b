package io.sluice.agent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.agent.multiline.MultilineConfig;
import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.agent.parse.RegexParser;
import io.sluice.agent.tail.TailerConfig;
import io.sluice.sdk.pipeline.ConfigException;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.spool.WhenFull;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Everything the agent needs, immutable and validated: the sdk-core {@link PipelineConfig} (collector, spool,
 * batching), the {@link TailerConfig}, the inputs, and the agent's own timings. Built from YAML by {@link #parse}
 * (unknown keys are errors that list the known ones) or in code through {@link Builder}.
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
  }

  /** Collector, spool and batching, as in the appenders. The agent always spools with {@code BLOCK}. */
  public PipelineConfig pipeline() { return pipeline; }
  public TailerConfig tailer() { return tailer; }
  public List<InputConfig> inputs() { return inputs; }
  /** How often files are checked for new bytes when nothing is waiting. Default 250 ms. */
  public Duration pollInterval() { return pollInterval; }
  /** How often the include globs are walked for new files. Default 10 s. */
  public Duration rescanInterval() { return rescanInterval; }
  public String httpHost() { return httpHost; }
  /** Port of {@code /metrics}, {@code /livez}, {@code /readyz}; -1 turns the endpoint off, 0 picks a free port. */
  public int httpPort() { return httpPort; }
  /** {@code /livez} fails when bytes wait, the spool has room, and nothing was read for this long. Default 60 s. */
  public Duration stallTimeout() { return stallTimeout; }
  /** On SIGTERM: how long to wait for the spool to empty. Default 10 s. */
  public Duration drainTimeout() { return drainTimeout; }

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

    /** The sdk-core settings; its keys are documented in sdk-core's README. */
    public PipelineConfig.Builder pipeline() { return pipeline; }
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

    public AgentConfig build() {
      check("inputs", !inputs.isEmpty(), "at least one input is required; add e.g. inputs: [{include: [/var/log/app/*.log]}]");
      check("tail.pollIntervalMs", pollIntervalMs >= 1 && pollIntervalMs <= 60_000, "must be in [1ms, 60s], was " + pollIntervalMs);
      check("tail.rescanIntervalMs", rescanIntervalMs >= 10, "must be at least 10ms, was " + rescanIntervalMs);
      check("tail.maxOpenFiles", maxOpenFiles >= 1, "must be >= 1, was " + maxOpenFiles);
      check("tail.readChunkBytes", readChunkBytes >= 512 && readChunkBytes <= (16 << 20), "must be in [512, 16MiB], was " + readChunkBytes);
      check("tail.maxBytesPerPoll", maxBytesPerPoll >= readChunkBytes, "must be >= tail.readChunkBytes (" + readChunkBytes + "), was " + maxBytesPerPoll);
      check("tail.maxLineBytes", maxLineBytes >= 16, "must be at least 16 bytes, was " + maxLineBytes);
      check("tail.fingerprintBytes", fingerprintBytes >= 16 && fingerprintBytes <= 65536, "must be in [16, 65536], was " + fingerprintBytes);
      check("health.stallTimeoutMs", stallTimeoutMs >= 1000, "must be at least 1s, was " + stallTimeoutMs);
      check("http.port", httpPort >= -1 && httpPort <= 65535, "must be a port, 0 (any free port) or -1 (off), was " + httpPort);
      pipeline.whenFull(WhenFull.BLOCK); // a file is its own buffer: never drop, stop reading while the spool is full
      try {
        return new AgentConfig(this);
      } catch (ConfigException e) {
        throw new AgentConfigException(SDK_KEYS.getOrDefault(e.key(), e.key()), e.getMessage().substring(e.key().length() + 2));
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
      Map.entry("spoolDir", "spool.dir"), Map.entry("spoolMaxBytes", "spool.maxBytes"), Map.entry("fsync", "spool.fsync"),
      Map.entry("batchMaxRecords", "batch.maxRecords"), Map.entry("batchMaxBytes", "batch.maxBytes"),
      Map.entry("lingerMs", "batch.lingerMs"), Map.entry("zstdLevel", "batch.zstdLevel"),
      Map.entry("closeTimeoutMs", "drainTimeoutMs"), Map.entry("tls", "collector.tls"),
      Map.entry("trustCertPath", "collector.trustCertPath"), Map.entry("clientCertPath", "collector.clientCertPath"),
      Map.entry("clientKeyPath", "collector.clientKeyPath"));

  private static final Set<String> TOP = Set.of("serviceName", "resource", "collector", "spool", "batch", "tail",
      "http", "health", "drainTimeoutMs", "inputs");

  /** Reads a YAML file. */
  public static AgentConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new AgentConfigException("--config", "cannot read " + file + ": " + e.getMessage());
    }
    return parse(text);
  }

  /**
   * Parses YAML text. Keys: {@code serviceName}, {@code resource} (map), {@code collector} (endpoints, tenant,
   * credentials, clientId, maxInFlightBatches, reconnectMinMs, reconnectMaxMs), {@code spool} (dir, maxBytes, fsync),
   * {@code batch} (maxRecords, maxBytes, lingerMs, zstdLevel), {@code tail} (pollIntervalMs, rescanIntervalMs,
   * maxOpenFiles, readChunkBytes, maxBytesPerPoll, maxLineBytes, fingerprintBytes, releaseAfterMs,
   * deletedMaxHoldMs), {@code http} (host, port), {@code health} (stallTimeoutMs), {@code drainTimeoutMs}, and
   * {@code inputs} (a list; see {@link InputConfig}).
   *
   * @throws AgentConfigException naming the key (a path such as {@code inputs[1].multiline.mode})
   */
  public static AgentConfig parse(String yaml) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new AgentConfigException("(file)", "not valid YAML: " + e.getOriginalMessage()
          + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
    }
    if (root == null || !root.isObject()) throw new AgentConfigException("(file)", "must be a YAML mapping of settings");
    Builder b = builder();
    knownKeys("", root, TOP);
    if (root.has("serviceName")) sdk(b, "serviceName", "serviceName", text(root, "serviceName", ""));
    if (root.has("resource")) {
      for (Map.Entry<String, String> e : stringMap(root.get("resource"), "resource").entrySet()) {
        b.pipeline.resourceAttribute(e.getKey(), e.getValue());
      }
    }
    JsonNode c = section(root, "collector", Set.of("endpoints", "tenant", "credentials", "clientId",
        "maxInFlightBatches", "reconnectMinMs", "reconnectMaxMs", "tls", "trustCertPath", "clientCertPath",
        "clientKeyPath"));
    if (c != null) {
      JsonNode eps = c.get("endpoints");
      if (eps != null) {
        List<String> list = new ArrayList<>();
        if (eps.isArray()) eps.forEach(n -> list.add(n.asText()));
        else list.add(eps.asText());
        sdk(b, "endpoint", "collector.endpoints", String.join(",", list));
      }
      for (String k : List.of("tenant", "credentials", "clientId", "maxInFlightBatches", "reconnectMinMs", "reconnectMaxMs",
          "tls", "trustCertPath", "clientCertPath", "clientKeyPath")) {
        if (c.has(k)) sdk(b, k, "collector." + k, text(c, k, "collector."));
      }
    }
    JsonNode s = section(root, "spool", Set.of("dir", "maxBytes", "fsync"));
    if (s != null) {
      if (s.has("dir")) sdk(b, "spoolDir", "spool.dir", text(s, "dir", "spool."));
      if (s.has("maxBytes")) sdk(b, "spoolMaxBytes", "spool.maxBytes", text(s, "maxBytes", "spool."));
      if (s.has("fsync")) sdk(b, "fsync", "spool.fsync", text(s, "fsync", "spool."));
    }
    JsonNode bt = section(root, "batch", Set.of("maxRecords", "maxBytes", "lingerMs", "zstdLevel"));
    if (bt != null) {
      if (bt.has("maxRecords")) sdk(b, "batchMaxRecords", "batch.maxRecords", text(bt, "maxRecords", "batch."));
      if (bt.has("maxBytes")) sdk(b, "batchMaxBytes", "batch.maxBytes", text(bt, "maxBytes", "batch."));
      if (bt.has("lingerMs")) sdk(b, "lingerMs", "batch.lingerMs", text(bt, "lingerMs", "batch."));
      if (bt.has("zstdLevel")) sdk(b, "zstdLevel", "batch.zstdLevel", text(bt, "zstdLevel", "batch."));
    }
    JsonNode t = section(root, "tail", Set.of("pollIntervalMs", "rescanIntervalMs", "maxOpenFiles", "readChunkBytes",
        "maxBytesPerPoll", "maxLineBytes", "fingerprintBytes", "releaseAfterMs", "deletedMaxHoldMs"));
    if (t != null) {
      if (t.has("pollIntervalMs")) b.pollIntervalMs = durationMs(t, "pollIntervalMs", "tail.");
      if (t.has("rescanIntervalMs")) b.rescanIntervalMs = durationMs(t, "rescanIntervalMs", "tail.");
      if (t.has("maxOpenFiles")) b.maxOpenFiles = (int) size(t, "maxOpenFiles", "tail.", 1, 1 << 20);
      if (t.has("readChunkBytes")) b.readChunkBytes = (int) size(t, "readChunkBytes", "tail.", 512, 16 << 20);
      if (t.has("maxBytesPerPoll")) b.maxBytesPerPoll = (int) size(t, "maxBytesPerPoll", "tail.", 512, 1 << 30);
      if (t.has("maxLineBytes")) b.maxLineBytes = (int) size(t, "maxLineBytes", "tail.", 16, 1 << 30);
      if (t.has("fingerprintBytes")) b.fingerprintBytes = (int) size(t, "fingerprintBytes", "tail.", 16, 65536);
      if (t.has("releaseAfterMs")) b.releaseAfterMs = durationMs(t, "releaseAfterMs", "tail.");
      if (t.has("deletedMaxHoldMs")) b.deletedMaxHoldMs = durationMs(t, "deletedMaxHoldMs", "tail.");
    }
    JsonNode h = section(root, "http", Set.of("host", "port"));
    if (h != null) {
      if (h.has("host")) b.httpHost = text(h, "host", "http.");
      if (h.has("port")) b.httpPort = (int) integer(h, "port", "http.", -1, 65535);
    }
    JsonNode hl = section(root, "health", Set.of("stallTimeoutMs"));
    if (hl != null && hl.has("stallTimeoutMs")) b.stallTimeoutMs = durationMs(hl, "stallTimeoutMs", "health.");
    if (root.has("drainTimeoutMs")) {
      b.drainTimeoutMs = durationMs(root, "drainTimeoutMs", "");
      b.pipeline.closeTimeoutMs(b.drainTimeoutMs);
    }
    JsonNode in = root.get("inputs");
    if (in == null || !in.isArray() || in.isEmpty()) {
      throw new AgentConfigException("inputs", "a list of at least one input is required, e.g. inputs: [{include: [/var/log/app/*.log]}]");
    }
    for (int i = 0; i < in.size(); i++) b.input(input(in.get(i), "inputs[" + i + "]."));
    return b.build();
  }

  private static final Set<String> INPUT_KEYS = Set.of("name", "include", "exclude", "container", "parser", "regex",
      "multiline", "attributes");

  private static InputConfig input(JsonNode n, String p) {
    if (!n.isObject()) throw new AgentConfigException(p.substring(0, p.length() - 1), "must be a mapping with at least include");
    knownKeys(p, n, INPUT_KEYS);
    String name = n.has("name") ? text(n, "name", p) : p.substring(0, p.length() - 1);
    List<String> include = stringList(n.get("include"), p + "include");
    if (include.isEmpty()) throw new AgentConfigException(p + "include", "at least one absolute glob is required, e.g. /var/log/app/*.log");
    for (String g : include) {
      if (!g.startsWith("/")) throw new AgentConfigException(p + "include", "\"" + g + "\" must be an absolute path");
    }
    List<String> exclude = n.has("exclude") ? stringList(n.get("exclude"), p + "exclude") : List.of();
    ContainerFormat container = ContainerFormat.NONE;
    if (n.has("container")) {
      container = ContainerFormat.parse(text(n, "container", p));
      if (container == null) throw new AgentConfigException(p + "container", "\"" + n.get("container").asText() + "\" is not a format; write none, cri or docker");
    }
    ParserKind parser = ParserKind.PLAIN;
    if (n.has("parser")) {
      parser = ParserKind.parse(text(n, "parser", p));
      if (parser == null) throw new AgentConfigException(p + "parser", "\"" + n.get("parser").asText() + "\" is not a parser; write plain, json, logfmt or regex");
    }
    Pattern regex = null;
    if (n.has("regex")) regex = pattern(text(n, "regex", p), p + "regex");
    if (parser == ParserKind.REGEX) {
      if (regex == null) throw new AgentConfigException(p + "regex", "parser: regex needs a regex with named groups, e.g. '^(?<level>\\w+) (?<message>.*)$'");
      try {
        new RegexParser(regex);
      } catch (IllegalArgumentException e) {
        throw new AgentConfigException(p + "regex", e.getMessage());
      }
    }
    MultilineConfig ml = MultilineConfig.NONE;
    JsonNode m = n.get("multiline");
    if (m != null) {
      String mp = p + "multiline.";
      if (!m.isObject()) throw new AgentConfigException(mp + "mode", "multiline must be a mapping, e.g. {mode: java}");
      knownKeys(mp, m, Set.of("mode", "pattern", "maxLines", "maxBytes", "flushTimeoutMs"));
      MultilineMode mode = MultilineMode.parse(text(m, "mode", mp));
      if (mode == null) throw new AgentConfigException(mp + "mode", "\"" + m.get("mode").asText() + "\" is not a mode; write none, java, start-regex or continue-regex");
      Pattern pat = m.has("pattern") ? pattern(text(m, "pattern", mp), mp + "pattern") : null;
      if ((mode == MultilineMode.START_REGEX || mode == MultilineMode.CONTINUE_REGEX) && pat == null) {
        throw new AgentConfigException(mp + "pattern", "mode " + m.get("mode").asText() + " needs a pattern");
      }
      int maxLines = m.has("maxLines") ? (int) integer(m, "maxLines", mp, 1, 1_000_000) : 500;
      int maxBytes = m.has("maxBytes") ? (int) size(m, "maxBytes", mp, 16, 1 << 30) : 1 << 20;
      long flush = m.has("flushTimeoutMs") ? durationMs(m, "flushTimeoutMs", mp) : 1000;
      ml = new MultilineConfig(mode, pat, maxLines, maxBytes, flush * 1_000_000L);
    }
    Map<String, String> attrs = n.has("attributes") ? stringMap(n.get("attributes"), p + "attributes") : Map.of();
    return new InputConfig(name, include, exclude, container, parser, regex, ml, attrs);
  }

  private static void sdk(Builder b, String sdkKey, String yamlKey, String value) {
    try {
      b.pipeline.set(sdkKey, value);
    } catch (ConfigException e) {
      throw new AgentConfigException(yamlKey, e.getMessage().substring(e.key().length() + 2));
    }
  }

  private static JsonNode section(JsonNode root, String key, Set<String> known) {
    JsonNode n = root.get(key);
    if (n == null || n.isNull()) return null;
    if (!n.isObject()) throw new AgentConfigException(key, "must be a mapping with keys " + sorted(known));
    knownKeys(key + ".", n, known);
    return n;
  }

  private static void knownKeys(String prefix, JsonNode n, Set<String> known) {
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!known.contains(k)) {
        throw new AgentConfigException(prefix + k, "unknown setting; known here: " + sorted(known));
      }
    }
  }

  private static String sorted(Set<String> s) {
    return String.join(", ", new java.util.TreeSet<>(s));
  }

  private static String text(JsonNode n, String key, String prefix) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull() || !v.isValueNode() || v.asText().isBlank()) {
      throw new AgentConfigException(prefix + key, "needs a value");
    }
    return v.asText().trim();
  }

  private static List<String> stringList(JsonNode n, String key) {
    List<String> out = new ArrayList<>();
    if (n == null || n.isNull()) throw new AgentConfigException(key, "needs a list of globs");
    if (n.isValueNode()) out.add(n.asText());
    else if (n.isArray()) n.forEach(e -> out.add(e.asText()));
    else throw new AgentConfigException(key, "must be a glob or a list of globs");
    return out;
  }

  private static Map<String, String> stringMap(JsonNode n, String key) {
    if (!n.isObject()) throw new AgentConfigException(key, "must be a mapping of names to values");
    Map<String, String> out = new LinkedHashMap<>();
    n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
    return out;
  }

  private static Pattern pattern(String s, String key) {
    try {
      return Pattern.compile(s);
    } catch (PatternSyntaxException e) {
      throw new AgentConfigException(key, "not a valid regular expression: " + e.getDescription() + " near index " + e.getIndex());
    }
  }

  private static long integer(JsonNode n, String key, String prefix, long min, long max) {
    return parsed(() -> PipelineConfig.parseLong(prefix + key, text(n, key, prefix), min, max));
  }

  /** {@code 65536}, {@code 64KiB}, {@code 256MiB}, {@code 1GiB} (k/m/g accepted too). */
  static long size(JsonNode n, String key, String prefix, long min, long max) {
    return parsed(() -> PipelineConfig.parseSize(prefix + key, text(n, key, prefix), min, max));
  }

  /** {@code 250}, {@code 250ms}, {@code 5s}, {@code 2m} → milliseconds. */
  static long durationMs(JsonNode n, String key, String prefix) {
    return parsed(() -> PipelineConfig.parseDurationMs(prefix + key, text(n, key, prefix)));
  }

  /** sdk-core's parsers, with their error as the agent's (same key, same words). */
  private static long parsed(java.util.function.LongSupplier parse) {
    try {
      return parse.getAsLong();
    } catch (ConfigException e) {
      throw new AgentConfigException(e.key(), e.problem());
    }
  }
}
