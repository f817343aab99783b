package io.sluice.backend.streaming.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Writes {@link MinuteAggregate}s to {@code minute_counts} as plain INSERTs (Cassandra upserts) of the window's full
 * value at LOCAL_QUORUM: writing a pane again leaves the row as if written once. One session per sink; a write sends
 * its statements concurrently and returns when all are acknowledged. Not thread-safe.
 */
public final class CassandraAggregateSink implements Sink<MinuteAggregate> {
  private final CqlSession session;
  private final PreparedStatement insert;

  private CassandraAggregateSink(CassandraSettings settings) {
    this.session = settings.connect();
    this.insert =
        session.prepare(
            "INSERT INTO " + settings.keyspace()
                + ".minute_counts (tenant, service, day, minute, severity, records, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)");
  }

  public static SinkFactory<MinuteAggregate> factory(CassandraSettings settings) {
    return () -> new CassandraAggregateSink(settings);
  }

  @Override
  public void write(List<MinuteAggregate> items) {
    List<CompletableFuture<?>> pending = new ArrayList<>(items.size());
    for (MinuteAggregate a : items) {
      Instant minute = Instant.ofEpochMilli(a.minuteStartMillis());
      CompletionStage<?> done =
          session.executeAsync(
              insert
                  .bind(
                      a.tenant(), a.service(), LocalDate.ofInstant(minute, ZoneOffset.UTC), minute,
                      a.severity().name(), a.count(), a.bytes())
                  .setConsistencyLevel(ConsistencyLevel.LOCAL_QUORUM));
      pending.add(done.toCompletableFuture());
    }
    CompletableFuture.allOf(pending.toArray(new CompletableFuture<?>[0])).join();
  }

  @Override
  public void close() {
    session.close();
  }
}
