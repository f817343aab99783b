package io.sluice.backend.common;

import java.io.Serializable;

/**
 * Serializable recipe for a {@link Sink}: the pipeline ships it to each worker and calls {@link #open} there (in a
 * Beam {@code DoFn}'s setup), so it must hold only configuration (endpoints, paths, credentials references).
 */
@FunctionalInterface
public interface SinkFactory<T> extends Serializable {
  Sink<T> open() throws Exception;
}
