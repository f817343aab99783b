package io.sluice.bench;

import io.grpc.Server;
import io.sluice.sdk.testkit.AckingIngest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real gRPC ingest server on 127.0.0.1 for benchmarks of the client side: for every batch it does what a collector
 * does before publishing — decompress (capped) and parse the {@code LogBatch} — counts the records and acknowledges,
 * keeping nothing. It exists because sdk-core's {@code testkit.TestCollector} keeps every record in a
 * {@code CopyOnWriteArrayList} (one array copy per record, quadratic), so past a few hundred thousand records it
 * can no longer keep up and a benchmark against it would measure the test kit. Thread-safe; never blocks.
 */
public final class AckingCollector implements AutoCloseable {
  private final Server server;
  private final LongAdder records = new LongAdder();
  private final LongAdder batches = new LongAdder();

  public AckingCollector() {
    server = AckingIngest.serve((hello, batch, decoded) -> {
      records.add(decoded.getRecordsCount());
      batches.increment();
    });
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  public long records() {
    return records.sum();
  }

  public long batches() {
    return batches.sum();
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
