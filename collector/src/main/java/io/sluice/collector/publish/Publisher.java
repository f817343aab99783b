package io.sluice.collector.publish;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Writes accepted batches to durable storage (Kafka). The one rule: the returned future completes normally only
 * after the storage acknowledged every record of the batch; the ingest stream acknowledges the batch to the client
 * only then. Implementations must not block the caller (the gRPC thread): do the I/O elsewhere and complete the
 * future from there. Thread-safe.
 */
public interface Publisher extends AutoCloseable {

  /**
   * Publishes every record of {@code batch}; fails exceptionally if any record was not acknowledged: with a
   * non-retryable {@link PublishException} when sending the batch again can never succeed (the ingest side then
   * answers a non-retryable Nack), with anything else when it may ({@link PublishException#retryable(Throwable)}).
   */
  CompletableFuture<Void> publish(PublishBatch batch);

  /** Sends what is buffered and waits up to {@code timeout}, then releases resources; publishes after it fail. */
  void close(Duration timeout);

  @Override
  default void close() {
    close(Duration.ofSeconds(30));
  }
}
