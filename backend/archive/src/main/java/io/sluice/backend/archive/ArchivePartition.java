package io.sluice.backend.archive;

import io.sluice.backend.common.LogEvent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;

/**
 * The Hive-style partition an event is archived under: {@code date=YYYY-MM-DD/hour=HH/service=<name>}, from the
 * event time in UTC and the event's service. Values are escaped the way Hive escapes partition values (every byte
 * outside {@code [A-Za-z0-9._-]} as {@code %XX}), so a service name can never add or break a path level.
 *
 * @param date the UTC day, {@code YYYY-MM-DD}
 * @param hour the UTC hour, {@code 00}..{@code 23}
 * @param service the service name, unescaped
 */
public record ArchivePartition(String date, String hour, String service) {

  public static ArchivePartition of(LogEvent event) {
    ZonedDateTime t = event.time().atZone(ZoneOffset.UTC);
    return new ArchivePartition(
        t.toLocalDate().toString(), String.format("%02d", t.getHour()), event.service());
  }

  public static ArchivePartition of(Instant time, String service) {
    ZonedDateTime t = time.atZone(ZoneOffset.UTC);
    return new ArchivePartition(t.toLocalDate().toString(), String.format("%02d", t.getHour()), service);
  }

  /** The day directory of {@code date}: {@code date=YYYY-MM-DD}. */
  public static String dateDirectory(LocalDate date) {
    return "date=" + date;
  }

  /** The relative directory, {@code date=…/hour=…/service=…}, escaped. */
  public String path() {
    return "date=" + date + "/hour=" + hour + "/service=" + escape(service);
  }

  /**
   * The service of a file or directory path inside the archive: the value of its {@code service=} level, unescaped.
   *
   * @throws IllegalArgumentException when the path has no {@code service=} level
   */
  public static String serviceOf(String path) {
    for (String part : path.split("/")) {
      if (part.startsWith("service=")) {
        return unescape(part.substring("service=".length()));
      }
    }
    throw new IllegalArgumentException("not inside a service=<name> partition of the archive: " + path);
  }

  /** Hive's partition-value escaping: every UTF-8 byte outside {@code [A-Za-z0-9._-]} becomes {@code %XX}. */
  public static String escape(String value) {
    if (value.isEmpty()) {
      return "%00";
    }
    StringBuilder out = new StringBuilder(value.length());
    for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
      char c = (char) (b & 0xff);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
          || c == '-') {
        out.append(c);
      } else {
        out.append('%').append(String.format("%02X", b & 0xff));
      }
    }
    return out.toString();
  }

  /** The inverse of {@link #escape}. */
  public static String unescape(String escaped) {
    if (escaped.equals("%00")) {
      return "";
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(escaped.length());
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '%' && i + 2 < escaped.length()) {
        bytes.write(Integer.parseInt(escaped.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        bytes.write(c);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
