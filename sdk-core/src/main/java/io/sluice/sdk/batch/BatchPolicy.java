package io.sluice.sdk.batch;

/**
 * When a batch is cut: at {@code maxRecords} records, at {@code maxBytes} encoded bytes, or {@code lingerNanos}
 * after its first record, whichever comes first. A single record larger than {@code maxBytes} makes a batch alone.
 */
public record BatchPolicy(int maxRecords, int maxBytes, long lingerNanos) {
  public BatchPolicy {
    if (maxRecords < 1) throw new IllegalArgumentException("maxRecords must be >= 1");
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be >= 1");
    if (lingerNanos < 0) throw new IllegalArgumentException("lingerNanos must be >= 0");
  }
}
