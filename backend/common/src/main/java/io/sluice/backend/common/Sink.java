package io.sluice.backend.common;

import java.util.List;

/**
 * Writes one kind of pipeline output (events, aggregates, fingerprints, alerts) to one store. Opened on a worker by
 * its {@link SinkFactory}; used by one thread at a time; may block on I/O (it runs on a pipeline worker, never on an
 * application's thread).
 *
 * <p>Contract that keeps the pipeline's figures exact: {@link #write} returns only when the items are durable in the
 * store, and writing the same items again (a replay after a failure) leaves the store as if they were written once —
 * documents keyed by record identity, aggregates as upserts of the window's full value, files named
 * deterministically or committed atomically.
 */
public interface Sink<T> extends AutoCloseable {
  void write(List<T> items) throws Exception;

  @Override
  void close() throws Exception;
}
