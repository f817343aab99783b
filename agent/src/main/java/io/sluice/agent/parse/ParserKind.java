package io.sluice.agent.parse;

import java.util.Locale;

/** The parsers an input can name in its {@code parser} setting. */
public enum ParserKind {
  /** The line is the body; a level word near the start sets the severity. */
  PLAIN,
  /** One JSON object per line. */
  JSON,
  /** {@code key=value key2="quoted value"} pairs. */
  LOGFMT,
  /** A regular expression with named groups ({@code regex} setting). */
  REGEX;

  public static ParserKind parse(String text) {
    if (text == null) return null;
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (ParserKind k : values()) {
      if (k.name().equals(norm)) return k;
    }
    return null;
  }
}
