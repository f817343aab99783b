package io.sluice.backend.common;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The Kafka headers the collector writes on every record (the contract in DESIGN.md, "Kafka record"): the record
 * identity (source, epoch, seq, idx), the tenant and the schema version. Integers big-endian, strings UTF-8.
 * Duplicated here on purpose: the backend depends on the wire contract, not on the collector's code.
 */
public final class Headers {
  public static final String SOURCE = "sluice.source";
  public static final String EPOCH = "sluice.epoch";
  public static final String SEQ = "sluice.seq";
  public static final String IDX = "sluice.idx";
  public static final String TENANT = "sluice.tenant";
  public static final String SCHEMA = "sluice.schema";
  /** The only schema this backend reads: the value is one encoded {@code sluice.v1.LogRecord}. */
  public static final String SCHEMA_V1 = "1";
  /** Dead-lettered records only. */
  public static final String REASON = "sluice.reason";

  private Headers() {}

  public static byte[] int64(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  public static byte[] int32(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  public static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
