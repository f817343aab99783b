package io.sluice.backend.query;

import io.sluice.backend.common.Severity;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A validated search over one tenant's lines: words in the message, service, severities, time range, trace id, page
 * size and cursor. {@link #parse} turns a query string into one or a 400 naming the parameter. Immutable.
 *
 * @param fromMillis inclusive, epoch ms, or null
 * @param toMillis exclusive, epoch ms, or null
 */
record LogQuery(String tenant, String text, String service, Set<Severity> severities, Long fromMillis,
    Long toMillis, String traceId, int limit, String cursor) {

  static final int DEFAULT_LIMIT = 100;
  static final Set<String> PARAMS = Set.of("q", "service", "severity", "from", "to", "traceId", "limit", "cursor",
      "interval");

  static Map<String, String> queryString(String raw) throws HttpError {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k;
      String v;
      try {
        k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
        v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw HttpError.badParameter(eq < 0 ? pair : pair.substring(0, eq), "bad percent-encoding");
      }
      if (out.put(k, v) != null) {
        throw HttpError.badParameter(k, "given twice; give it once");
      }
    }
    return out;
  }

  static void onlyKnown(Map<String, String> params, Set<String> known) throws HttpError {
    for (String k : params.keySet()) {
      if (!known.contains(k)) {
        throw HttpError.badParameter(k, "unknown parameter; known: " + new java.util.TreeSet<>(known));
      }
    }
  }

  static LogQuery parse(String tenant, Map<String, String> p, int maxLimit) throws HttpError {
    String text = p.getOrDefault("q", "").strip();
    if (text.length() > 1_000) {
      throw HttpError.badParameter("q", "longer than 1000 characters");
    }
    String service = p.getOrDefault("service", "").strip();
    Set<Severity> severities = severities(p.get("severity"));
    Long from = time(p, "from");
    Long to = time(p, "to");
    if (from != null && to != null && to <= from) {
      throw HttpError.badParameter("to", "must be after from (" + from + " ms)");
    }
    String traceId = p.getOrDefault("traceId", "").strip().toLowerCase(java.util.Locale.ROOT);
    if (!traceId.isEmpty() && !traceId.matches("[0-9a-f]{32}")) {
      throw HttpError.badParameter("traceId", "must be 32 hex digits");
    }
    int limit = DEFAULT_LIMIT;
    if (p.containsKey("limit")) {
      try {
        limit = Integer.parseInt(p.get("limit"));
      } catch (NumberFormatException e) {
        throw HttpError.badParameter("limit", "'" + p.get("limit") + "' is not a whole number");
      }
      if (limit < 1 || limit > maxLimit) {
        throw HttpError.badParameter("limit", limit + " is out of range 1.." + maxLimit);
      }
    }
    String cursor = p.get("cursor");
    if (cursor != null && !cursor.matches("[A-Za-z0-9_-]{1,2000}")) {
      throw HttpError.badParameter("cursor", "not a cursor this service returned");
    }
    return new LogQuery(tenant, text, service, severities, from, to, traceId, Math.min(limit, maxLimit),
        cursor == null || cursor.isEmpty() ? null : cursor);
  }

  static Set<Severity> severities(String raw) throws HttpError {
    Set<Severity> out = EnumSet.noneOf(Severity.class);
    if (raw == null || raw.isBlank()) {
      return out;
    }
    for (String s : raw.split(",")) {
      try {
        out.add(Severity.valueOf(s.strip().toUpperCase(java.util.Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw HttpError.badParameter("severity", "'" + s.strip() + "' is not one of " + java.util.Arrays.toString(
            Severity.values()));
      }
    }
    return out;
  }

  /** Epoch milliseconds or ISO-8601 ({@code 2026-12-05T10:00:00Z}). */
  static Long time(Map<String, String> p, String name) throws HttpError {
    String v = p.get(name);
    if (v == null || v.isBlank()) {
      return null;
    }
    v = v.strip();
    if (v.matches("-?\\d{1,15}")) {
      return Long.parseLong(v);
    }
    try {
      return Instant.parse(v).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw HttpError.badParameter(name, "'" + v + "' is neither epoch milliseconds nor ISO-8601 "
          + "(2026-12-05T10:00:00Z)");
    }
  }
}
