package io.sluice.collector.config;

/**
 * A configuration value that cannot be used. The message names the key (dotted, as written in collector.yaml),
 * prefixed by the file it came from when there is one, and says what to write instead, e.g.
 * {@code collector.yaml: listen: "abc" is not host:port; write e.g. 0.0.0.0:4417}.
 */
public final class ConfigException extends IllegalArgumentException {
  private final String source;
  private final String key;
  private final String problem;

  public ConfigException(String key, String problem) {
    this(null, key, problem);
  }

  private ConfigException(String source, String key, String problem) {
    super((source == null ? "" : source + ": ") + key + ": " + problem);
    this.source = source;
    this.key = key;
    this.problem = problem;
  }

  /** The same error, said to come from {@code source} (a file name). */
  public ConfigException from(String source) {
    return new ConfigException(source, key, problem);
  }

  /** The offending key, dotted as in collector.yaml (e.g. {@code kafka.partitions}). */
  public String key() {
    return key;
  }

  /** The file the value came from, or null for flags and the programmatic builder. */
  public String source() {
    return source;
  }
}
