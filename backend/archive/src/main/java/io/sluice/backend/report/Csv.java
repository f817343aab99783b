package io.sluice.backend.report;

import java.util.StringJoiner;

/** RFC 4180 lines: fields with a comma, quote or line break are quoted, quotes doubled. */
final class Csv {
  private Csv() {}

  static String line(Object... fields) {
    StringJoiner line = new StringJoiner(",");
    for (Object field : fields) {
      String s = String.valueOf(field);
      if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
        s = '"' + s.replace("\"", "\"\"") + '"';
      }
      line.add(s);
    }
    return line.toString();
  }
}
