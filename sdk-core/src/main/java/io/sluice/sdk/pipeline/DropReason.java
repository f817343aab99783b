package io.sluice.sdk.pipeline;

/** Why a record did not reach the collector. Every drop is counted under exactly one reason. */
public enum DropReason {
  /** The hand-off queue was full (records or bytes) and the policy refused the record. */
  QUEUE_FULL,
  /** The spool's byte cap was reached and the policy dropped this record's batch (oldest or newest). */
  SPOOL_FULL,
  /** The record alone was larger than {@code maxRecordBytes}. */
  TOO_LARGE,
  /** The pipeline was closed, or closing, when the record was offered or while it was still queued. */
  SHUTDOWN,
  /** The collector answered that the batch will never be accepted (non-retryable nack). */
  REJECTED,
  /** The spool could not write the batch (a disk error other than a full device). */
  SPOOL_ERROR,
  /**
   * The device holding the spool was full (ENOSPC): the new batch was refused, under every policy ({@code block}
   * first waits {@code blockTimeoutMs} for space). Batches already spooled keep shipping; the spool accepts again
   * once space frees.
   */
  DISK_FULL,
  /**
   * A spooled batch could not be read back (RocksDB reported corruption: a damaged block on disk); it was dropped so
   * that the batches after it keep shipping.
   */
  SPOOL_CORRUPT,
  /** A {@link DeferredRecord} threw while the batcher thread built its record (a mapping bug, a hostile value). */
  BUILD_FAILED,
  /**
   * The appender could not capture the event on the caller's thread: anything thrown there (a mapping bug, or a
   * {@code LinkageError} such as {@code NoClassDefFoundError} from a classpath that lacks one of Sluice's
   * dependencies). Counted on every such event and reported as an error once (framework status and stderr).
   */
  CAPTURE_FAILED
}
