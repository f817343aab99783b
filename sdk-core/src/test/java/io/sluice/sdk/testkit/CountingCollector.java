package io.sluice.sdk.testkit;

import io.grpc.Server;
import io.sluice.proto.v1.LogRecord;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real gRPC ingest server on 127.0.0.1 (port 0) for bursts of hundreds of thousands of records: it decompresses
 * and parses every batch, counts its records by {@code SeverityNumber}, acknowledges, and keeps nothing
 * ({@link TestCollector} keeps every record and slows down quadratically past ~100k). Thread-safe, never blocks.
 */
public final class CountingCollector implements AutoCloseable {
  private final Server server;
  private final LongAdder records = new LongAdder();
  private final AtomicLongArray bySeverity = new AtomicLongArray(25);

  public CountingCollector() {
    server = AckingIngest.serve((hello, batch, decoded) -> {
      for (LogRecord r : decoded.getRecordsList()) {
        int s = r.getSeverityNumberValue();
        if (s >= 0 && s < bySeverity.length()) bySeverity.incrementAndGet(s);
      }
      records.add(decoded.getRecordsCount());
    });
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  /** Records received (resends of a batch count again; without failures there are none). */
  public long records() {
    return records.sum();
  }

  /** Records received with this {@code SeverityNumber} value. */
  public long records(int severityNumber) {
    return bySeverity.get(severityNumber);
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
