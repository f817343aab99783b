package io.sluice.sdk.pipeline;

/** A configuration value is missing or wrong. The message names the key and says how to fix it. */
public final class ConfigException extends IllegalArgumentException {
  private final String key;

  public ConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The configuration key at fault, as written by the user (e.g. {@code spoolMaxBytes}). */
  public String key() {
    return key;
  }
}
