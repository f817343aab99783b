package io.sluice.backend.streaming.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Writes per-minute {@link ErrorFingerprint} summaries: the minute's occurrences to {@code fingerprint_minutes} (an
 * upsert of the full value), and the first-seen time to {@code error_fingerprints}, kept at the minimum over all
 * writers with lightweight transactions ({@code INSERT ... IF NOT EXISTS}, then {@code UPDATE ... IF first_seen > ?}),
 * so replays and concurrent workers converge on the earliest time.
 *
 * <p>A bounded cache ({@value #CACHE_ENTRIES} entries) of first-seen times this sink already made durable skips the
 * transaction for fingerprints that cannot move earlier. Not thread-safe.
 */
public final class CassandraFingerprintSink implements Sink<ErrorFingerprint> {
  static final int CACHE_ENTRIES = 10_000;

  private final CqlSession session;
  private final PreparedStatement minute;
  private final PreparedStatement insertFirst;
  private final PreparedStatement lowerFirst;
  private final Map<String, Long> known =
      new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          return size() > CACHE_ENTRIES;
        }
      };

  private CassandraFingerprintSink(CassandraSettings settings) {
    String ks = settings.keyspace();
    this.session = settings.connect();
    this.minute =
        session.prepare(
            "INSERT INTO " + ks + ".fingerprint_minutes (tenant, service, fingerprint, minute, occurrences)"
                + " VALUES (?, ?, ?, ?, ?)");
    this.insertFirst =
        session.prepare(
            "INSERT INTO " + ks + ".error_fingerprints (tenant, service, fingerprint, first_seen, exception_type,"
                + " top_frame, template, example) VALUES (?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS");
    this.lowerFirst =
        session.prepare(
            "UPDATE " + ks + ".error_fingerprints SET first_seen = ?, exception_type = ?, top_frame = ?,"
                + " template = ?, example = ? WHERE tenant = ? AND service = ? AND fingerprint = ? IF first_seen > ?");
  }

  public static SinkFactory<ErrorFingerprint> factory(CassandraSettings settings) {
    return () -> new CassandraFingerprintSink(settings);
  }

  @Override
  public void write(List<ErrorFingerprint> items) {
    List<CompletableFuture<?>> pending = new ArrayList<>(items.size());
    for (ErrorFingerprint f : items) {
      long minuteStart = f.firstSeenMillis() - Math.floorMod(f.firstSeenMillis(), 60_000L);
      pending.add(
          session
              .executeAsync(
                  minute
                      .bind(f.tenant(), f.service(), f.fingerprint(), Instant.ofEpochMilli(minuteStart), f.count())
                      .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM))
              .toCompletableFuture());
    }
    for (ErrorFingerprint f : items) {
      keepEarliest(f);
    }
    CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
  }

  private void keepEarliest(ErrorFingerprint f) {
    String key = f.tenant() + '\u001f' + f.service() + '\u001f' + f.fingerprint();
    Long cached = known.get(key);
    if (cached != null && cached <= f.firstSeenMillis()) {
      return;
    }
    Instant first = Instant.ofEpochMilli(f.firstSeenMillis());
    ResultSet inserted =
        session.execute(
            insertFirst.bind(
                f.tenant(), f.service(), f.fingerprint(), first, f.exceptionType(), f.topFrame(), f.template(),
                f.exampleMessage()));
    if (inserted.wasApplied()) {
      known.put(key, f.firstSeenMillis());
      return;
    }
    Row existing = inserted.one();
    Instant stored = existing == null ? null : existing.getInstant("first_seen");
    while (stored != null && stored.isAfter(first)) {
      ResultSet updated =
          session.execute(
              lowerFirst.bind(
                  first, f.exceptionType(), f.topFrame(), f.template(), f.exampleMessage(), f.tenant(),
                  f.service(), f.fingerprint(), first));
      if (updated.wasApplied()) {
        stored = first;
        break;
      }
      Row now = updated.one();
      stored = now == null ? null : now.getInstant("first_seen");
    }
    known.put(key, stored == null ? f.firstSeenMillis() : stored.toEpochMilli());
  }

  @Override
  public void close() {
    session.close();
  }
}
