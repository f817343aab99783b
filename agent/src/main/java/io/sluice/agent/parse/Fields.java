package io.sluice.agent.parse;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Severities;
import io.sluice.sdk.record.Values;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Set;

/** Where well-known field names go on a record: message, level, time. Shared by the structured parsers. */
final class Fields {
  private Fields() {}

  static final Set<String> MESSAGE = Set.of("message", "msg", "log", "body");
  static final Set<String> LEVEL = Set.of("level", "severity", "lvl", "loglevel", "log.level");
  static final Set<String> TIME = Set.of("time", "timestamp", "ts", "@timestamp", "datetime");

  /** Applies one field; returns true when it was a well-known one. */
  static boolean apply(String key, String value, LogRecord.Builder r) {
    String k = key.toLowerCase(Locale.ROOT);
    if (MESSAGE.contains(k) && !r.hasBody()) {
      r.setBody(Values.of(value));
      return true;
    }
    if (LEVEL.contains(k) && r.getSeverityText().isEmpty()) {
      r.setSeverityText(value);
      r.setSeverityNumber(Severities.byName(value));
      return true;
    }
    if (TIME.contains(k) && r.getTimeUnixNano() == 0) {
      long t = parseTime(value);
      if (t > 0) {
        r.setTimeUnixNano(t);
        return true;
      }
    }
    return false;
  }

  static void attribute(LogRecord.Builder r, String key, AnyValue value) {
    r.addAttributes(KeyValue.newBuilder().setKey(key).setValue(value));
  }

  static void parseError(LogRecord.Builder r, String text, String why) {
    if (!r.hasBody()) r.setBody(Values.of(text));
    r.addAttributes(Values.kv("log.parse.error", why));
  }

  /**
   * RFC 3339 / ISO-8601 with an offset ({@code 2024-05-01T12:00:00.123456789Z}), or epoch seconds / millis / nanos
   * as a number. Returns 0 when the text is none of these.
   */
  static long parseTime(String s) {
    if (s == null || s.isEmpty()) return 0;
    char c = s.charAt(0);
    if (c >= '0' && c <= '9' && s.indexOf('-') < 0) {
      try {
        double d = Double.parseDouble(s);
        if (d > 1e17) return (long) d; // nanos
        if (d > 1e11) return (long) (d * 1_000_000L); // millis
        return (long) (d * 1_000_000_000L); // seconds
      } catch (NumberFormatException e) {
        return 0;
      }
    }
    try {
      Instant i = OffsetDateTime.parse(s).toInstant();
      return i.getEpochSecond() * 1_000_000_000L + i.getNano();
    } catch (DateTimeParseException e) {
      try {
        Instant i = Instant.parse(s.replace(' ', 'T'));
        return i.getEpochSecond() * 1_000_000_000L + i.getNano();
      } catch (DateTimeParseException e2) {
        return 0;
      }
    }
  }
}
