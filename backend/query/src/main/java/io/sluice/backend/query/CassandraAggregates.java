package io.sluice.backend.query;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads what the streaming job writes to Cassandra (backend/streaming's {@code cql/schema.cql}): per-minute counts
 * ({@code minute_counts}, partition tenant/service/day) and error fingerprints ({@code error_fingerprints} with
 * {@code fingerprint_minutes}). Every statement is restricted to the caller's tenant and carries the query timeout.
 * The session connects on first use, so the service starts while Cassandra is still coming up (requests get 502
 * until it answers). Thread-safe; blocks for a few statements per call.
 */
final class CassandraAggregates implements AutoCloseable {
  /** At most this many services or days one call reads partitions of (bounds the statements per request). */
  static final int MAX_PARTITIONS = 200;
  private final List<String> contactPoints;
  private final String datacenter;
  private final String keyspace;
  private final Duration timeout;
  private CqlSession session;

  CassandraAggregates(List<String> contactPoints, String datacenter, String keyspace, Duration timeout) {
    this.contactPoints = List.copyOf(contactPoints);
    this.datacenter = datacenter;
    this.keyspace = keyspace;
    this.timeout = timeout;
  }

  private synchronized CqlSession session() {
    if (session == null) {
      CqlSessionBuilder b = CqlSession.builder().withLocalDatacenter(datacenter)
          .withConfigLoader(DriverConfigLoader.programmaticBuilder()
              .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, timeout)
              .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, timeout)
              .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, timeout)
              .build());
      for (String cp : contactPoints) {
        int colon = cp.lastIndexOf(':');
        b.addContactPoint(InetSocketAddress.createUnresolved(cp.substring(0, colon),
            Integer.parseInt(cp.substring(colon + 1))));
      }
      session = b.build();
    }
    return session;
  }

  private List<Row> rows(String cql, Object... values) {
    return session().execute(SimpleStatement.newInstance(cql, values).setTimeout(timeout)).all();
  }

  /** Services of the tenant that have per-minute counts (a scan of partition keys, bounded). */
  List<String> services(String tenant) {
    TreeSet<String> out = new TreeSet<>();
    for (Row r : rows("SELECT DISTINCT tenant, service, day FROM " + keyspace + ".minute_counts")) {
      if (tenant.equals(r.getString("tenant"))) {
        out.add(r.getString("service"));
      }
    }
    return new ArrayList<>(out);
  }

  /** {@code {rows: [{minute, service, severity, records, bytes}]}} in [from, to), oldest first. */
  Map<String, Object> counts(String tenant, String service, long from, long to) throws HttpError {
    List<String> services = service.isEmpty() ? services(tenant) : List.of(service);
    LocalDate first = LocalDate.ofInstant(Instant.ofEpochMilli(from), ZoneOffset.UTC);
    LocalDate last = LocalDate.ofInstant(Instant.ofEpochMilli(to - 1), ZoneOffset.UTC);
    long days = last.toEpochDay() - first.toEpochDay() + 1;
    if (days * services.size() > MAX_PARTITIONS) {
      throw HttpError.badParameter("from", "the range spans " + days + " days of " + services.size()
          + " services; narrow it or name a service (at most " + MAX_PARTITIONS + " partitions per request)");
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (String s : services) {
      for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
        for (Row r : rows("SELECT minute, severity, records, bytes FROM " + keyspace + ".minute_counts WHERE tenant = ?"
            + " AND service = ? AND day = ? AND minute >= ? AND minute < ?", tenant, s, d,
            Instant.ofEpochMilli(from), Instant.ofEpochMilli(to))) {
          Map<String, Object> row = new LinkedHashMap<>();
          row.put("minute", r.getInstant("minute").toEpochMilli());
          row.put("service", s);
          row.put("severity", r.getString("severity"));
          row.put("records", r.getLong("records"));
          row.put("bytes", r.getLong("bytes"));
          out.add(row);
        }
      }
    }
    out.sort(Comparator.comparing((Map<String, Object> m) -> (Long) m.get("minute"))
        .thenComparing(m -> (String) m.get("service")).thenComparing(m -> (String) m.get("severity")));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("from", from);
    result.put("to", to);
    result.put("rows", out);
    return result;
  }

  /**
   * {@code {fingerprints: [{service, fingerprint, firstSeen, count, exceptionType, topFrame, template, example}]}},
   * most occurrences first, at most {@code limit}; count = occurrences in [from, to) when given, else all.
   */
  Map<String, Object> fingerprints(String tenant, String service, Long from, Long to, int limit) {
    List<Map<String, Object>> out = new ArrayList<>();
    List<String[]> partitions = new ArrayList<>();
    if (service.isEmpty()) {
      for (Row r : rows("SELECT DISTINCT tenant, service FROM " + keyspace + ".error_fingerprints")) {
        if (tenant.equals(r.getString("tenant")) && partitions.size() < MAX_PARTITIONS) {
          partitions.add(new String[] {tenant, r.getString("service")});
        }
      }
    } else {
      partitions.add(new String[] {tenant, service});
    }
    for (String[] p : partitions) {
      for (Row r : rows("SELECT fingerprint, first_seen, exception_type, top_frame, template, example FROM "
          + keyspace + ".error_fingerprints WHERE tenant = ? AND service = ?", p[0], p[1])) {
        if (out.size() >= MAX_PARTITIONS * 5) {
          break;
        }
        String fp = r.getString("fingerprint");
        Row sum = rows("SELECT sum(occurrences) AS n FROM " + keyspace + ".fingerprint_minutes WHERE tenant = ? AND "
            + "service = ? AND fingerprint = ? AND minute >= ? AND minute < ?", p[0], p[1], fp,
            Instant.ofEpochMilli(from == null ? 0 : from), Instant.ofEpochMilli(to == null ? Long.MAX_VALUE / 2 : to))
            .get(0);
        long count = sum.isNull("n") ? 0 : sum.getLong("n");
        if ((from != null || to != null) && count == 0) {
          continue;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("service", p[1]);
        m.put("fingerprint", fp);
        m.put("firstSeen", r.getInstant("first_seen").toEpochMilli());
        m.put("count", count);
        m.put("exceptionType", nz(r.getString("exception_type")));
        m.put("topFrame", nz(r.getString("top_frame")));
        m.put("template", nz(r.getString("template")));
        m.put("example", nz(r.getString("example")));
        out.add(m);
      }
    }
    out.sort(Comparator.comparing((Map<String, Object> m) -> -(Long) m.get("count"))
        .thenComparing(m -> (Long) m.get("firstSeen")));
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("fingerprints", out.size() > limit ? out.subList(0, limit) : out);
    result.put("total", out.size());
    return result;
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  @Override
  public synchronized void close() {
    if (session != null) {
      session.close();
    }
  }
}
