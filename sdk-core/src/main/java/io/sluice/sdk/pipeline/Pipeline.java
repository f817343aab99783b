package io.sluice.sdk.pipeline;

import io.sluice.proto.v1.LogRecord;

/** API stub: the implementation lands shortly. */
public final class Pipeline implements AutoCloseable {
  private Pipeline() {}

  /** Opens the spool, starts the batcher and shipper threads; never waits on the network. */
  public static Pipeline start(PipelineConfig config) {
    throw new UnsupportedOperationException("stub");
  }

  /** Hands a record to the pipeline from the caller's thread; false (and counted) when refused. Never throws. */
  public boolean offer(LogRecord record) {
    throw new UnsupportedOperationException("stub");
  }

  public PipelineStats stats() {
    throw new UnsupportedOperationException("stub");
  }

  /** Whether the current thread is one of Sluice's own (batcher, shipper, gRPC, netty): appenders ignore its events. */
  public static boolean isInternalThread() {
    return false;
  }

  /** Flushes to the spool and ships what it can within {@code closeTimeout}; what is left stays in the spool. */
  @Override
  public void close() {}
}
