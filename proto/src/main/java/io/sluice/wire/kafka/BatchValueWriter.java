package io.sluice.wire.kafka;

import io.sluice.wire.DecodedBatch;
import io.sluice.wire.ZstdCodec;

/**
 * Builds the value of a {@link KafkaFormat#BATCH} record: the chosen records of a batch as a {@code LogBatch} — from
 * {@link RecordSlices} (each record framed as the {@code records} field, 2: tag, length, its bytes, never re-encoded),
 * or from a {@link DecodedBatch} (its resource fields and the chosen records' fields, copied as they are) — compressed
 * as one zstd frame that declares its content size (readers rely on it to bound their allocation) by proto's one
 * {@link ZstdCodec}.
 *
 * <p>Not thread-safe: one per thread (the collector's publishing thread owns one). Reuses one zstd context and its
 * buffers, which grow to the largest value written so far and are dropped after a value above
 * {@value #KEEP_BUFFER_BYTES} bytes, so a rare huge batch does not pin its memory. Never blocks. {@link #close}
 * frees the native context.
 */
public final class BatchValueWriter implements AutoCloseable {
  /** Field 2 ({@code LogBatch.records}), wire type 2 (length-delimited). */
  static final int RECORDS_TAG = (2 << 3) | 2;
  /** Field 1 ({@code LogBatch.resource}), wire type 2 (length-delimited). */
  static final int RESOURCE_TAG = (1 << 3) | 2;
  /** zstd level of batch values unless told otherwise: level 1, the cheapest (log lines compress well anyway). */
  public static final int DEFAULT_LEVEL = 1;
  static final int KEEP_BUFFER_BYTES = 4 << 20;

  private final ZstdCodec zstd;
  private byte[] plain = new byte[0];
  private long written;

  public BatchValueWriter() {
    this(DEFAULT_LEVEL);
  }

  /** @param level zstd level (1 fastest … 22); the frame declares its content size whatever the level */
  public BatchValueWriter(int level) {
    this.zstd = new ZstdCodec(level);
  }

  /** The LogBatch encoding of {@code records[indices]}, uncompressed, in {@code indices} order (tests, tools). */
  public static byte[] encode(RecordSlices records, int[] indices) {
    byte[] out = new byte[encodedSize(records, indices)];
    frame(records, indices, out);
    return out;
  }

  /** The value of a batch-format Kafka record holding {@code records[indices]} in that order: a fresh array. */
  public byte[] write(RecordSlices records, int[] indices) {
    int size = encodedSize(records, indices);
    byte[] buf = buffer(size);
    frame(records, indices, buf);
    return compress(buf, size);
  }

  /**
   * The value of a batch-format Kafka record holding {@code batch}'s resource and its records {@code indices}, in
   * that order ({@link DecodedBatch#slice}, compressed): a fresh array.
   */
  public byte[] write(DecodedBatch batch, int[] indices) {
    int size = batch.sliceSize(indices, indices.length);
    byte[] buf = buffer(size);
    batch.sliceInto(indices, indices.length, buf);
    return compress(buf, size);
  }

  private byte[] buffer(int size) {
    if (plain.length < size) {
      plain = new byte[size];
    }
    return plain;
  }

  private byte[] compress(byte[] buf, int size) {
    byte[] out = zstd.compress(buf, 0, size);
    written += size;
    if (plain.length > KEEP_BUFFER_BYTES) {
      plain = new byte[0];
    }
    return out;
  }

  /** Uncompressed LogBatch bytes framed so far (a counter for metrics and measurements). */
  public long plainBytesWritten() {
    return written;
  }

  @Override
  public void close() {
    zstd.close();
  }

  static int encodedSize(RecordSlices records, int[] indices) {
    long size = 0;
    for (int i : indices) {
      int len = records.length(i);
      size += 1 + varintSize(len) + len;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a batch value of " + size + " bytes is larger than an array can hold");
    }
    return (int) size;
  }

  private static void frame(RecordSlices records, int[] indices, byte[] out) {
    int at = 0;
    for (int i : indices) {
      int len = records.length(i);
      out[at++] = (byte) RECORDS_TAG;
      at = writeVarint(len, out, at);
      records.copyTo(i, out, at);
      at += len;
    }
  }

  static int varintSize(int v) {
    int n = 1;
    while ((v & ~0x7F) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  private static int writeVarint(int v, byte[] out, int at) {
    while ((v & ~0x7F) != 0) {
      out[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
  }
}
