package io.sluice.collector.publish;

import java.nio.ByteBuffer;

/**
 * The headers every Kafka record written by the collector carries: the record identity (source, epoch, seq, idx)
 * that lets the backend remove at-least-once duplicates, the tenant, and the value's schema version. Integers are
 * big-endian, strings UTF-8.
 */
public final class KafkaHeaders {
  /** client_id of the sending spool, UTF-8. */
  public static final String SOURCE = "sluice.source";
  /** Spool epoch, 8 bytes big-endian. */
  public static final String EPOCH = "sluice.epoch";
  /** Batch sequence, 8 bytes big-endian. */
  public static final String SEQ = "sluice.seq";
  /** Index of the record in its batch, 4 bytes big-endian. */
  public static final String IDX = "sluice.idx";
  /** Tenant from Hello, UTF-8 (empty when none). */
  public static final String TENANT = "sluice.tenant";
  /** Schema of the value: "1" = an encoded sluice.v1.LogRecord. */
  public static final String SCHEMA = "sluice.schema";
  public static final String SCHEMA_VERSION = "1";
  /** On dead-lettered records only: why the record can never be published where it was routed, UTF-8. */
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
}
