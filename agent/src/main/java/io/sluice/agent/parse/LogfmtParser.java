package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;

/**
 * logfmt: {@code key=value key="quoted \"value\"" flag}. {@code msg}/{@code message} becomes the body, {@code
 * level} the severity, {@code time}/{@code ts} the time; other keys string attributes (a bare key is {@code
 * "true"}). Text without any {@code key=value}: body as is, {@code log.parse.error} set.
 */
public final class LogfmtParser implements Parser {

  @Override
  public void parse(String text, LogRecord.Builder record) {
    int n = text.length();
    int i = 0;
    int pairs = 0;
    while (i < n) {
      while (i < n && text.charAt(i) == ' ') i++;
      if (i >= n) break;
      int k0 = i;
      while (i < n && text.charAt(i) != '=' && text.charAt(i) != ' ') i++;
      String key = text.substring(k0, i);
      String value;
      if (i < n && text.charAt(i) == '=') {
        i++;
        if (i < n && text.charAt(i) == '"') {
          StringBuilder sb = new StringBuilder();
          i++;
          while (i < n && text.charAt(i) != '"') {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < n) {
              char e = text.charAt(++i);
              sb.append(switch (e) {
                case 'n' -> '\n';
                case 't' -> '\t';
                default -> e;
              });
            } else {
              sb.append(c);
            }
            i++;
          }
          i++; // closing quote (or end of text)
          value = sb.toString();
        } else {
          int v0 = i;
          while (i < n && text.charAt(i) != ' ') i++;
          value = text.substring(v0, i);
        }
        pairs++;
      } else {
        value = "true";
      }
      if (key.isEmpty()) continue;
      if (!Fields.apply(key, value, record)) record.addAttributes(Values.kv(key, value));
    }
    if (pairs == 0) {
      record.clearAttributes();
      Fields.parseError(record, text, "no key=value pairs");
      return;
    }
    if (!record.hasBody()) record.setBody(Values.of(""));
  }
}
