package io.sluice.sdk.codec;

import com.google.protobuf.CodedOutputStream;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Encodes a {@link LogBatch} straight from its parts, without building the intermediate message: the resource once,
 * then each record as field 2. The bytes are exactly {@code LogBatch.newBuilder()...build().toByteArray()}.
 * Thread-safe: holds only the resource (read-only); a buffer passed to {@link #encode(List, long, byte[])} is the
 * caller's.
 */
public final class BatchEncoder {
  private final List<KeyValue> resource;
  private final int resourceSize;

  public BatchEncoder(List<KeyValue> resource) {
    this.resource = List.copyOf(resource);
    int size = 0;
    for (KeyValue kv : this.resource) size += CodedOutputStream.computeMessageSize(LogBatch.RESOURCE_FIELD_NUMBER, kv);
    this.resourceSize = size;
  }

  /** Encoded size of one record inside a batch (tag + length + body). */
  public static int sizeInBatch(LogRecord record) {
    return CodedOutputStream.computeMessageSize(LogBatch.RECORDS_FIELD_NUMBER, record);
  }

  /** The encoded size of a batch holding these records; {@code recordsSize} is the sum of {@link #sizeInBatch}. */
  public int batchSize(long recordsSize) {
    return Math.toIntExact(resourceSize + recordsSize);
  }

  public byte[] encode(List<LogRecord> records, long recordsSize) {
    byte[] out = new byte[batchSize(recordsSize)];
    encode(records, recordsSize, out);
    return out;
  }

  /**
   * Encodes into the start of {@code out}, which must hold at least {@link #batchSize} bytes, and returns the
   * encoded length: for a caller that reuses one buffer per thread instead of a fresh batch-sized array per batch.
   */
  public int encode(List<LogRecord> records, long recordsSize, byte[] out) {
    int size = batchSize(recordsSize);
    if (out.length < size) {
      throw new IllegalArgumentException("buffer of " + out.length + " bytes for a batch of " + size);
    }
    CodedOutputStream cos = CodedOutputStream.newInstance(out, 0, size);
    try {
      for (KeyValue kv : resource) cos.writeMessage(LogBatch.RESOURCE_FIELD_NUMBER, kv);
      for (LogRecord r : records) cos.writeMessage(LogBatch.RECORDS_FIELD_NUMBER, r);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return size;
  }
}
