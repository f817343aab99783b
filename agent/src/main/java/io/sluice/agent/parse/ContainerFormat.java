package io.sluice.agent.parse;

import java.util.Locale;

/** The envelope container runtimes write around each line. */
public enum ContainerFormat {
  /** No envelope: the line is the log line. */
  NONE,
  /** CRI (containerd, CRI-O): {@code <RFC3339Nano> <stdout|stderr> <P|F> <content>}; {@code P} lines are partial. */
  CRI,
  /** Docker json-file: {@code {"log":"content\n","stream":"stdout","time":"..."}}; no trailing newline = partial. */
  DOCKER;

  public static ContainerFormat parse(String text) {
    if (text == null) return null;
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    if (norm.equals("DOCKER_JSON") || norm.equals("JSON_FILE")) return DOCKER;
    for (ContainerFormat f : values()) {
      if (f.name().equals(norm)) return f;
    }
    return null;
  }
}
