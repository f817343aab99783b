package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Severities;
import io.sluice.sdk.record.Values;

/** The text is the body; the first level word (INFO, WARN, ERROR, ...) among the first few tokens sets severity. */
public final class PlainParser implements Parser {
  private static final int SCAN_CHARS = 80;
  /** The upper-case level names {@link Severities#byName} knows that fit in {@link #MAX_WORD} letters. */
  private static final String[] LEVELS = {"TRACE", "FINEST", "FINER", "DEBUG", "FINE", "CONFIG", "INFO", "WARN",
      "WARNING", "ERROR", "SEVERE", "FATAL"};
  private static final SeverityNumber[] SEVERITIES = new SeverityNumber[LEVELS.length];
  private static final int MAX_WORD = 7;

  static {
    for (int k = 0; k < LEVELS.length; k++) SEVERITIES[k] = Severities.byName(LEVELS[k]);
  }

  @Override
  public void parse(String text, LogRecord.Builder record) {
    record.setBody(Values.of(text));
    int limit = Math.min(text.length(), SCAN_CHARS);
    // One bulk copy, then plain array reads and ASCII tests: charAt and Character.isLetter per char were about half
    // of the tailing thread's samples (JFR, C1-compiled). Same words as Character.isLetter/isUpperCase delimit.
    char[] c = new char[limit];
    text.getChars(0, limit, c, 0);
    int i = 0;
    while (i < limit) {
      while (i < limit && !isLetter(c[i])) i++;
      int j = i;
      boolean upper = true;
      while (j < limit && isLetter(c[j])) {
        upper &= isUpperCase(c[j]);
        j++;
      }
      // Compared in place: no substring or upper-casing per word (this runs for every line).
      if (upper && j > i && j - i <= MAX_WORD) {
        for (int k = 0; k < LEVELS.length; k++) {
          if (LEVELS[k].length() == j - i && text.regionMatches(i, LEVELS[k], 0, j - i)) {
            record.setSeverityText(LEVELS[k]);
            record.setSeverityNumber(SEVERITIES[k]);
            return;
          }
        }
      }
      i = j;
    }
  }

  private static boolean isLetter(char ch) {
    return ch < 128 ? (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z' : Character.isLetter(ch);
  }

  private static boolean isUpperCase(char ch) {
    return ch < 128 ? ch >= 'A' && ch <= 'Z' : Character.isUpperCase(ch);
  }
}
