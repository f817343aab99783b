package io.sluice.sdk.batch;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.BatchWriter;
import java.util.List;

/**
 * Groups records into batches by {@link BatchPolicy}, encoding each as it arrives into proto's {@link BatchWriter}
 * (one reused array: no list of records, no second encoding pass): {@link #add} a record, ask {@link #ready(long)}
 * with the current time, take the encoded batch ({@link #batch()}, e.g. {@code batch().compress(zstd)}) and
 * {@link #clear()}. Bounded by the policy: it never holds more than one batch plus the one record that overflowed
 * it (callers that must not overflow ask {@link #fits} first). Not thread-safe: owned by the batching thread. Time
 * is passed in, never read here.
 */
public final class Batcher {
  private final BatchPolicy policy;
  private final BatchWriter writer;
  private long firstAtNanos;

  /** @param resource the resource attributes written at the start of every batch */
  public Batcher(BatchPolicy policy, List<KeyValue> resource) {
    this.policy = policy;
    this.writer = new BatchWriter(resource, policy.maxBytes());
  }

  /** A batcher whose batches carry no resource. */
  public Batcher(BatchPolicy policy) {
    this(policy, List.of());
  }

  /**
   * Whether a record of {@code size} bytes in the batch ({@link BatchWriter#sizeInBatch}) still fits in the current
   * batch. When false, take the batch first: a batch is never grown past {@code maxBytes} unless it is empty.
   */
  public boolean fits(int size) {
    return writer.isEmpty()
        || (writer.recordBytes() + size <= policy.maxBytes() && writer.recordCount() < policy.maxRecords());
  }

  /** Adds a record built as a message; {@code nowNanos} is read only for a batch's first record. Returns its size. */
  public int add(LogRecord record, long nowNanos) {
    started(nowNanos);
    return writer.add(record);
  }

  /** Adds a record already encoded as {@code record[off, off + length)}; returns its size in the batch. */
  public int addEncoded(byte[] record, int off, int length, long nowNanos) {
    started(nowNanos);
    return writer.addEncoded(record, off, length);
  }

  /** Adds a plain-text record from its parts ({@link BatchWriter#addPlain}); returns its size in the batch. */
  public int addPlain(long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8, byte[] attributes,
      byte[] sourceFile, long offset, long length, boolean truncated, long nowNanos) {
    started(nowNanos);
    return writer.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, attributes, sourceFile, offset, length,
        truncated);
  }

  /** {@link #addPlain} with the body {@code bodyLength} bytes at {@code bodyOffset} of {@code bodyUtf8} (not kept). */
  public int addPlain(long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8, int bodyOffset,
      int bodyLength, byte[] attributes, byte[] sourceFile, long offset, long length, boolean truncated,
      long nowNanos) {
    started(nowNanos);
    return writer.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, bodyOffset, bodyLength, attributes,
        sourceFile, offset, length, truncated);
  }

  private void started(long nowNanos) {
    if (writer.isEmpty()) firstAtNanos = nowNanos;
  }

  /** Whether the current batch should be cut now. */
  public boolean ready(long nowNanos) {
    if (writer.isEmpty()) return false;
    return writer.recordCount() >= policy.maxRecords()
        || writer.recordBytes() >= policy.maxBytes()
        || nowNanos - firstAtNanos >= policy.lingerNanos();
  }

  /** Nanoseconds until the linger deadline of the current batch; {@code Long.MAX_VALUE} when empty. */
  public long nanosUntilDue(long nowNanos) {
    if (writer.isEmpty()) return Long.MAX_VALUE;
    return Math.max(0, firstAtNanos + policy.lingerNanos() - nowNanos);
  }

  public boolean isEmpty() {
    return writer.isEmpty();
  }

  public int recordCount() {
    return writer.recordCount();
  }

  /** The records' encoded bytes in the current batch (each with its tag and length; the resource not counted). */
  public long bytes() {
    return writer.recordBytes();
  }

  /** The current batch, encoded; valid until the next add or {@link #clear()}. */
  public BatchWriter batch() {
    return writer;
  }

  /** Starts an empty batch in the same array. */
  public void clear() {
    writer.clear();
  }
}
