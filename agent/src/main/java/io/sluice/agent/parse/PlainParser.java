package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Severities;
import io.sluice.sdk.record.Values;

/** The text is the body; the first level word (INFO, WARN, ERROR, ...) among the first few tokens sets severity. */
public final class PlainParser implements Parser {
  private static final int SCAN_CHARS = 80;

  @Override
  public void parse(String text, LogRecord.Builder record) {
    record.setBody(Values.of(text));
    int limit = Math.min(text.length(), SCAN_CHARS);
    int i = 0;
    while (i < limit) {
      while (i < limit && !Character.isLetter(text.charAt(i))) i++;
      int j = i;
      while (j < limit && Character.isLetter(text.charAt(j))) j++;
      if (j > i && j - i <= 7 && Character.isUpperCase(text.charAt(i))) {
        String word = text.substring(i, j);
        var sev = Severities.byName(word);
        if (sev != io.sluice.proto.v1.SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED && word.equals(word.toUpperCase())) {
          record.setSeverityText(word);
          record.setSeverityNumber(sev);
          return;
        }
      }
      i = j;
    }
  }
}
