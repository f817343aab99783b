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
   * {@link #parseTime(String)} of the text of {@code b[off, off + len)}. The form container runtimes and most
   * loggers write, {@code 2024-05-01T12:00:00[.f{1,9}](Z|+hh:mm|-hh:mm)} with a valid date, is read from the bytes
   * (the same instant {@code OffsetDateTime.parse} gives); any other text goes through {@link #parseTime(String)}.
   */
  static long parseTime(byte[] b, int off, int len) {
    long t = rfc3339(b, off, len);
    return t != Long.MIN_VALUE ? t : parseTime(new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8));
  }

  private static final int[] DAYS_IN_MONTH = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  /** Nanoseconds since the epoch of the strict form above, or Long.MIN_VALUE for anything else. */
  private static long rfc3339(byte[] b, int off, int len) {
    if (len < 20 || b[off + 4] != '-' || b[off + 7] != '-' || b[off + 10] != 'T' || b[off + 13] != ':'
        || b[off + 16] != ':') {
      return Long.MIN_VALUE;
    }
    int y0 = b[off] - '0';
    int y1 = b[off + 1] - '0';
    int y2 = b[off + 2] - '0';
    int y3 = b[off + 3] - '0';
    int mo0 = b[off + 5] - '0';
    int mo1 = b[off + 6] - '0';
    int d0 = b[off + 8] - '0';
    int d1 = b[off + 9] - '0';
    int h0 = b[off + 11] - '0';
    int h1 = b[off + 12] - '0';
    int mi0 = b[off + 14] - '0';
    int mi1 = b[off + 15] - '0';
    int s0 = b[off + 17] - '0';
    int s1 = b[off + 18] - '0';
    // Digits: a byte below '0' sets high bits (>>> 4), 10..15 is ruled out here for units and for tens by the fields'
    // range checks below.
    if ((y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1) >>> 4 != 0 || y0 > 9 || y1 > 9
        || y2 > 9 || y3 > 9 || mo1 > 9 || d1 > 9 || h1 > 9 || mi1 > 9 || s1 > 9) {
      return Long.MIN_VALUE;
    }
    int year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
    int month = mo0 * 10 + mo1;
    int day = d0 * 10 + d1;
    int hour = h0 * 10 + h1;
    int minute = mi0 * 10 + mi1;
    int second = s0 * 10 + s1;
    if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
        || second < 0 || second > 59) {
      return Long.MIN_VALUE;
    }
    boolean leap = (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
    if (day > DAYS_IN_MONTH[month - 1] + (month == 2 && leap ? 1 : 0)) return Long.MIN_VALUE;
    int i = off + 19;
    int end = off + len;
    long nanos = 0;
    if (b[i] == '.') {
      int digits = 0;
      i++;
      while (i < end && b[i] >= '0' && b[i] <= '9' && digits < 9) {
        nanos = nanos * 10 + (b[i++] - '0');
        digits++;
      }
      if (digits == 0) return Long.MIN_VALUE;
      for (int k = digits; k < 9; k++) nanos *= 10;
    }
    if (i >= end) return Long.MIN_VALUE;
    int offsetSeconds;
    if (b[i] == 'Z' && i + 1 == end) {
      offsetSeconds = 0;
    } else if ((b[i] == '+' || b[i] == '-') && i + 6 == end && b[i + 3] == ':') {
      int oh = digits(b, i + 1, 2);
      int om = digits(b, i + 4, 2);
      if (oh < 0 || om < 0 || om > 59 || oh > 18 || (oh == 18 && om != 0)) return Long.MIN_VALUE;
      offsetSeconds = (oh * 3600 + om * 60) * (b[i] == '-' ? -1 : 1);
    } else {
      return Long.MIN_VALUE;
    }
    long seconds = epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second - offsetSeconds;
    return seconds * 1_000_000_000L + nanos; // wraps as the String path's multiplication does
  }

  /** The value of {@code n} ASCII digits, or -1. */
  private static int digits(byte[] b, int off, int n) {
    int v = 0;
    for (int i = off; i < off + n; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 9) return -1;
      v = v * 10 + d;
    }
    return v;
  }

  /** Days from 1970-01-01 of a proleptic Gregorian date (java.time's LocalDate.toEpochDay). */
  private static long epochDay(int year, int month, int day) {
    long y = year;
    long total = 365 * y;
    if (y >= 0) {
      total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    } else {
      total -= y / -4 - y / -100 + y / -400;
    }
    total += (367 * month - 362) / 12;
    total += day - 1;
    if (month > 2) {
      total--;
      if (!((y & 3) == 0 && (y % 100 != 0 || y % 400 == 0))) total--;
    }
    return total - 719_528; // days from 0000-01-01 to 1970-01-01
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
