package io.sluice.collector;

/**
 * Why a batch was not acknowledged. Each constant says whether the client should send it again: the non-retryable
 * ones are permanently bad input and the client must drop the batch (and count it); retryable ones are the
 * collector's or Kafka's trouble and the client keeps the batch in its spool.
 */
public enum NackReason {
  /** Codec is neither CODEC_ZSTD nor CODEC_NONE. Not retryable. */
  BAD_CODEC(false),
  /** Compressed payload is larger than limits.maxFrameBytes. Not retryable. */
  FRAME_TOO_LARGE(false),
  /** uncompressed_size, the zstd frame header or the bytes actually decoded exceed limits.maxDecompressedBytes. */
  DECOMPRESSED_TOO_LARGE(false),
  /** The zstd stream is corrupt or truncated. Not retryable. */
  CORRUPT_PAYLOAD(false),
  /** The decoded bytes are not a LogBatch, or their size differs from uncompressed_size. Not retryable. */
  UNPARSABLE(false),
  /** record_count differs from the records in the LogBatch. Not retryable. */
  COUNT_MISMATCH(false),
  /** record_count exceeds limits.maxRecordsPerBatch. Not retryable. */
  TOO_MANY_RECORDS(false),
  /** The batch would go to a topic its tenant may not write (tenants.*.topics). Not retryable. */
  FORBIDDEN_TOPIC(false),
  /**
   * The resource (Hello's overlaid by the batch's), copied into every record, is larger than
   * limits.maxResourceBytes. Not retryable.
   */
  RESOURCE_TOO_LARGE(false),
  /**
   * The bytes the batch would produce for Kafka, each record with its copy of the resource, exceed
   * limits.maxEnrichedBatchBytes. Not retryable.
   */
  ENRICHED_TOO_LARGE(false),
  /**
   * The tenant is over its records/s or bytes/s limit (RESOURCE_EXHAUSTED semantics). Retryable after the Nack's
   * retry_after_ms, the time its token bucket needs to refill for this batch.
   */
  RATE_LIMITED(true),
  /** Kafka did not acknowledge every record (timeout, broker down, ...). Retryable. */
  KAFKA_FAILED(true),
  /**
   * Kafka refuses records of the batch for good (an invalid, missing or unauthorized routed topic, a record too
   * large) and the dead-letter topic could not take them either (none configured, or it refuses them too); see
   * {@code publish.PublishException}. Not retryable: resending can never succeed. Usually such records are
   * dead-lettered and the batch acknowledged instead (the rule is in the collector README).
   */
  KAFKA_REJECTED(false),
  /** The collector is shutting down and did not publish the batch. Retryable. */
  SHUTTING_DOWN(true);

  private final boolean retryable;

  NackReason(boolean retryable) {
    this.retryable = retryable;
  }

  public boolean retryable() {
    return retryable;
  }
}
