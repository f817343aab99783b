package io.sluice.config;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as people write them, the same in collector.yaml, agent.yaml and the appenders' settings.
 *
 * <ul>
 *   <li>Sizes: a whole number of bytes ({@code 1048576}) or a number with a unit, case-insensitive, an optional
 *       space between: {@code B}, {@code KiB}/{@code KB}/{@code K}, {@code MiB}/{@code MB}/{@code M},
 *       {@code GiB}/{@code GB}/{@code G}, {@code TiB}/{@code TB}/{@code T}. Every unit is a power of 1024 — {@code MB}
 *       means the same as {@code MiB} — as sdk-core's settings always read them. {@code _} may group digits.
 *   <li>Durations: a whole number of milliseconds ({@code 250}) or numbers with units, case-insensitive:
 *       {@code ms}, {@code s}, {@code m} (minutes), {@code h}, {@code d}; combined ({@code 1m30s}) and decimal
 *       ({@code 1.5s}) forms are accepted if the total is a whole number of milliseconds.
 * </ul>
 *
 * Stateless and thread-safe. Errors are {@link IllegalArgumentException}s whose message quotes the value and gives
 * examples; the caller adds the key.
 */
public final class Units {
  /** Appended to a size error. */
  public static final String SIZE_EXAMPLES = "(examples: 4MiB, 512KiB, 1048576)";
  /** Appended to a duration error. */
  public static final String DURATION_EXAMPLES = "(examples: 500ms, 2s, 1m, 1h; a plain number is milliseconds)";

  private static final Pattern SIZE = Pattern.compile("(-?\\d+)\\s*(tib|gib|mib|kib|tb|gb|mb|kb|t|g|m|k|b)?");
  private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

  private Units() {}

  /** Bytes in {@code text}; see the class comment. */
  public static long bytes(String text) {
    String v = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace("_", "");
    Matcher m = SIZE.matcher(v);
    if (!m.matches()) throw new IllegalArgumentException(quote(text) + " is not a size " + SIZE_EXAMPLES);
    long unit = switch (m.group(2) == null ? "b" : m.group(2)) {
      case "k", "kb", "kib" -> 1L << 10;
      case "m", "mb", "mib" -> 1L << 20;
      case "g", "gb", "gib" -> 1L << 30;
      case "t", "tb", "tib" -> 1L << 40;
      default -> 1;
    };
    try {
      return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(quote(text) + " is too large to be a size in bytes");
    }
  }

  /** Milliseconds in {@code text}; see the class comment. Never negative. */
  public static long millis(String text) {
    String v = text == null ? "" : text.trim().toLowerCase(Locale.ROOT).replace("_", "");
    if (v.startsWith("-")) {
      throw new IllegalArgumentException(quote(text) + " is negative; give a duration >= 0 " + DURATION_EXAMPLES);
    }
    try {
      if (v.matches("\\d+")) return Long.parseLong(v);
      Matcher m = DURATION_PART.matcher(v);
      BigDecimal total = BigDecimal.ZERO;
      int at = 0;
      while (at < v.length()) {
        while (at < v.length() && v.charAt(at) == ' ') at++;
        if (at == v.length()) break;
        if (!m.find(at) || m.start() != at) {
          throw new IllegalArgumentException(quote(text) + " is not a duration " + DURATION_EXAMPLES);
        }
        long unit = switch (m.group(2)) {
          case "s" -> 1000;
          case "m" -> 60_000;
          case "h" -> 3_600_000;
          case "d" -> 86_400_000;
          default -> 1;
        };
        total = total.add(new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)));
        at = m.end();
      }
      if (total.signum() == 0 && !v.matches(".*\\d.*")) {
        throw new IllegalArgumentException(quote(text) + " is not a duration " + DURATION_EXAMPLES);
      }
      try {
        return total.longValueExact();
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException(quote(text) + (total.scale() > 0 && total.stripTrailingZeros().scale() > 0
            ? " is not a whole number of milliseconds" : " is too long a duration"));
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(quote(text) + " is too long a duration");
    }
  }

  static String quote(String text) {
    return "\"" + text + "\"";
  }
}
