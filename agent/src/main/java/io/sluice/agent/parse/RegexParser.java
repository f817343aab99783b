package io.sluice.agent.parse;

import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Values;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A regular expression with named groups: {@code message}/{@code msg} → body, {@code level} → severity, {@code
 * time} → time, any other group → a string attribute. The pattern must match the whole event ({@code find} from
 * the start); when it does not, the text is the body and {@code log.parse.error} is set.
 */
public final class RegexParser implements Parser {
  private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>");
  private final Pattern pattern;
  private final List<String> groups;

  public RegexParser(Pattern pattern) {
    this.pattern = pattern;
    List<String> names = new ArrayList<>();
    Matcher m = GROUP_NAME.matcher(pattern.pattern());
    while (m.find()) names.add(m.group(1));
    if (names.isEmpty()) throw new IllegalArgumentException("the pattern has no named group (?<name>...)");
    this.groups = List.copyOf(names);
  }

  public List<String> groups() {
    return groups;
  }

  @Override
  public void parse(String text, LogRecord.Builder record) {
    Matcher m = pattern.matcher(text);
    if (!m.lookingAt()) {
      Fields.parseError(record, text, "does not match the regex");
      return;
    }
    for (String g : groups) {
      String v = m.group(g);
      if (v == null) continue;
      if (!Fields.apply(g, v, record)) record.addAttributes(Values.kv(g, v));
    }
    if (!record.hasBody()) record.setBody(Values.of(text));
  }
}
