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
 * event time in UTC and the event's service. Values are escaped exactly as Hive and Trino escape partition values
 * ({@code FileUtils.escapePathName}: the control characters, DEL and <code>" # % ' * / : = ? \ { [ ] ^</code>
 * become {@code %XX}; everything else, spaces and non-ASCII included, is kept), so a service name can never add or
 * break a path level, Hive and Trino read it back, and the directory name is the partition name their metastores
 * store. Two earlier escapings broke this (backend/sql's {@code TrinoArchiveIT}): escaping UTF-8 bytes read back
 * as mojibake ({@code eu-ü} as {@code eu-Ã¼}: their unescape turns each {@code %XX} into one character), and
 * escaping more than Hive (a space as {@code %20}) made the directory differ from the metastore's partition name,
 * so every later {@code sync_partition_metadata} / {@code MSCK REPAIR} tried to add the partition again and failed.
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

  /**
   * Hive's partition-value escaping ({@code FileUtils.escapePathName}); the empty value is {@code %00} (the job never
   * archives one: an event without a service is {@code unknown}).
   */
  public static String escape(String value) {
    if (value.isEmpty()) {
      return "%00";
    }
    StringBuilder out = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7F || "\"#%'*/:=?\\{[]^".indexOf(c) >= 0) {
        out.append('%').append(String.format("%02X", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * The inverse of {@link #escape}; also reads the paths older archives hold, where a non-ASCII character was
   * written as the {@code %XX} escapes of its UTF-8 bytes (decoded as UTF-8 here, unlike Hive and Trino).
   */
  public static String unescape(String escaped) {
    if (escaped.equals("%00")) {
      return "";
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(escaped.length());
    for (int i = 0; i < escaped.length(); i++) {
      char c = escaped.charAt(i);
      if (c == '%' && i + 2 < escaped.length() && isHex(escaped, i + 1) && isHex(escaped, i + 2)) {
        bytes.write(Integer.parseInt(escaped.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        int end = Character.isHighSurrogate(c) && i + 1 < escaped.length() ? i + 2 : i + 1;
        bytes.writeBytes(escaped.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end - 1;
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(String s, int i) {
    return Character.digit(s.charAt(i), 16) >= 0;
  }
}
