package io.sluice.wire.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The Kafka header names and encodings of both record formats ({@link KafkaFormat}): the one definition the
 * collector (writer), the backend and {@code sluice tail} (readers) share. Integers are big-endian, strings UTF-8.
 *
 * <p>Every Kafka record carries {@link #SOURCE}, {@link #EPOCH}, {@link #SEQ} (the client batch it came from),
 * {@link #TENANT} and {@link #SCHEMA} (which format the value is in). A record-format record adds {@link #IDX};
 * a batch-format record adds {@link #COUNT} and, when it holds only some lines of its client batch (the batch was
 * split by destination topic), {@link #INDEXES}, and {@link #RESOURCE} when the lines share a resource. Dead-lettered
 * records add {@link #REASON}.
 */
public final class KafkaHeaders {
  /** client_id of the sending spool, UTF-8. */
  public static final String SOURCE = "sluice.source";
  /** Spool epoch, 8 bytes. */
  public static final String EPOCH = "sluice.epoch";
  /** Client batch sequence, 8 bytes. */
  public static final String SEQ = "sluice.seq";
  /** Record format only: the line's index in its client batch, 4 bytes. */
  public static final String IDX = "sluice.idx";
  /** Tenant from Hello, UTF-8 (empty when none). */
  public static final String TENANT = "sluice.tenant";
  /** Format of the value, UTF-8: {@link #SCHEMA_RECORD} or {@link #SCHEMA_BATCH}. */
  public static final String SCHEMA = "sluice.schema";
  /** {@link #SCHEMA} of the record format: the value is one encoded {@code sluice.v1.LogRecord}. */
  public static final String SCHEMA_RECORD = "1";
  /** {@link #SCHEMA} of the batch format: the value is a zstd-compressed {@code sluice.v1.LogBatch}. */
  public static final String SCHEMA_BATCH = "2";
  /** Batch format only: number of lines in the value, 4 bytes. */
  public static final String COUNT = "sluice.count";
  /**
   * Batch format only, and only when the value holds a subset of its client batch: each line's index in the client
   * batch, 4 bytes per line in value order. Absent: the index of a line is its position in the value.
   */
  public static final String INDEXES = "sluice.indexes";
  /**
   * Batch format only: the resource every line of the value shares (the client's Hello resource overlaid by its
   * batch's), encoded as a {@code sluice.v1.LogBatch} holding only {@code resource} entries. The lines in the value are
   * the client's records as sent; a reader gives each line the attributes {@code resource.<key>} it lacks from this
   * resource overlaid by the value's own {@code LogBatch.resource} ({@link KafkaRecordReader} does), which is exactly
   * the record the record format carries. Absent: the lines carry their resource themselves (values written by
   * collectors before 0.2.1 hold enriched lines and no resource).
   */
  public static final String RESOURCE = "sluice.resource";
  /** On dead-lettered records only: why they could not go where they were routed, UTF-8. */
  public static final String REASON = "sluice.reason";

  private KafkaHeaders() {}

  public static byte[] int64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  public static byte[] int32(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  public static long readInt64(byte[] b) {
    return ByteBuffer.wrap(b).getLong();
  }

  public static int readInt32(byte[] b) {
    return ByteBuffer.wrap(b).getInt();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** {@code indexes} as the {@link #INDEXES} header value. */
  public static byte[] int32s(int[] indexes) {
    ByteBuffer b = ByteBuffer.allocate(indexes.length * 4);
    for (int i : indexes) {
      b.putInt(i);
    }
    return b.array();
  }
}
