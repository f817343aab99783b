package io.sluice.sdk.pipeline;

/** A configuration value is missing or wrong. The message names the key and says how to fix it. */
public final class ConfigException extends IllegalArgumentException {
  private final String key;
  private final String problem;

  public ConfigException(String key, String problem) {
    super(key + ": " + problem);
    this.key = key;
    this.problem = problem;
  }

  /** What is wrong and how to fix it, without the key. */
  public String problem() {
    return problem;
  }

  /** The configuration key at fault, as written by the user (e.g. {@code spoolMaxBytes}). */
  public String key() {
    return key;
  }
}
