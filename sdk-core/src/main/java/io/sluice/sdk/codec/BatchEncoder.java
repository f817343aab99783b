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
 * Not thread-safe (reuses nothing, but holds the precomputed resource bytes: safe to share read-only).
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
    CodedOutputStream cos = CodedOutputStream.newInstance(out);
    try {
      for (KeyValue kv : resource) cos.writeMessage(LogBatch.RESOURCE_FIELD_NUMBER, kv);
      for (LogRecord r : records) cos.writeMessage(LogBatch.RECORDS_FIELD_NUMBER, r);
      cos.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
