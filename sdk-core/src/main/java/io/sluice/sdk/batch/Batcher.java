package io.sluice.sdk.batch;

import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * Groups records into batches by {@link BatchPolicy}: {@link #add} a record with its encoded size, ask
 * {@link #ready(long)} with the current time, {@link #drain()} the batch. Bounded by the policy (it never holds more
 * than one batch plus the one record that overflowed it). Not thread-safe: owned by the batching thread. Time is
 * passed in, never read here.
 */
public final class Batcher {
  private final BatchPolicy policy;
  private List<LogRecord> records;
  private long bytes;
  private long firstAtNanos;

  public Batcher(BatchPolicy policy) {
    this.policy = policy;
    this.records = new ArrayList<>(Math.min(policy.maxRecords(), 4096));
  }

  /**
   * Whether {@code size} more bytes still fit in the current batch. When false, {@link #drain()} first: a batch is
   * never grown past {@code maxBytes} unless it is empty.
   */
  public boolean fits(int size) {
    return records.isEmpty() || (bytes + size <= policy.maxBytes() && records.size() < policy.maxRecords());
  }

  public void add(LogRecord record, int size, long nowNanos) {
    if (records.isEmpty()) firstAtNanos = nowNanos;
    records.add(record);
    bytes += size;
  }

  /** Whether the current batch should be cut now. */
  public boolean ready(long nowNanos) {
    if (records.isEmpty()) return false;
    return records.size() >= policy.maxRecords()
        || bytes >= policy.maxBytes()
        || nowNanos - firstAtNanos >= policy.lingerNanos();
  }

  /** Nanoseconds until the linger deadline of the current batch; {@code Long.MAX_VALUE} when empty. */
  public long nanosUntilDue(long nowNanos) {
    if (records.isEmpty()) return Long.MAX_VALUE;
    return Math.max(0, firstAtNanos + policy.lingerNanos() - nowNanos);
  }

  public boolean isEmpty() {
    return records.isEmpty();
  }

  public int recordCount() {
    return records.size();
  }

  /** Sum of the records' encoded sizes in the current batch. */
  public long bytes() {
    return bytes;
  }

  /** Takes the current batch and starts an empty one. */
  public List<LogRecord> drain() {
    List<LogRecord> out = records;
    records = new ArrayList<>(Math.min(policy.maxRecords(), Math.max(16, out.size())));
    bytes = 0;
    return out;
  }
}
