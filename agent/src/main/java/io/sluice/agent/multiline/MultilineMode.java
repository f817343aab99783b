package io.sluice.agent.multiline;

import java.util.Locale;

/** How lines are joined into one event. */
public enum MultilineMode {
  /** Every line is its own event. */
  NONE,
  /**
   * Java stack traces join the line before them: {@code at ...}, {@code Caused by:}, {@code Suppressed:},
   * {@code ... N more}, {@code ... N common frames omitted}, and an exception header such as
   * {@code java.lang.IllegalStateException: boom} that follows a log line.
   */
  JAVA,
  /** A line matching {@code start} begins an event; any other line joins the current one. */
  START_REGEX,
  /** A line matching {@code continue} joins the current event; any other line begins a new one. */
  CONTINUE_REGEX;

  /** Parses {@code none}, {@code java}, {@code start-regex}, {@code continue-regex}; null when unknown. */
  public static MultilineMode parse(String text) {
    if (text == null) return null;
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (MultilineMode m : values()) {
      if (m.name().equals(norm)) return m;
    }
    return null;
  }
}
