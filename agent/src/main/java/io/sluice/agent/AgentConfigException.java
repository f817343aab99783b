package io.sluice.agent;

/** A setting in the agent's configuration is missing or wrong. The message names the key and says how to fix it. */
public final class AgentConfigException extends IllegalArgumentException {
  private final String key;

  public AgentConfigException(String key, String message) {
    super(key + ": " + message);
    this.key = key;
  }

  /** The key at fault as a path into the YAML, e.g. {@code inputs[0].multiline.mode}. */
  public String key() {
    return key;
  }
}
