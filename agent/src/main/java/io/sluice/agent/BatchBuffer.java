package io.sluice.agent;

import com.google.protobuf.CodedOutputStream;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * The batch being filled on the tailing thread, held as its encoded {@link LogBatch}: the resource once, then each
 * record as field 2 as it arrives. So a batch is encoded once, record by record, into one reused array (no list of
 * records, no second pass, no batch-sized array per batch), and a plain-text line is written straight from its
 * bytes ({@link #addPlain}) without a {@link LogRecord} in between. The bytes are exactly those of {@code
 * LogBatch.newBuilder().addAllResource(resource).addAllRecords(records).build().toByteArray()}.
 *
 * <p>Cut by {@link BatchPolicy} as sdk-core's {@code Batcher} does (records, encoded record bytes, linger).
 * Bounded: one batch plus the record that overflowed it. Not thread-safe: owned by the tailing thread.
 */
final class BatchBuffer {
  private static final int RECORDS_TAG = LogBatch.RECORDS_FIELD_NUMBER << 3 | 2;

  private final BatchPolicy policy;
  private final int resourceLength;
  private byte[] buf;
  private int len;
  private int count;
  private long firstAtNanos;

  BatchBuffer(List<KeyValue> resource, BatchPolicy policy) {
    this.policy = policy;
    byte[] r = LogBatch.newBuilder().addAllResource(resource).build().toByteArray();
    this.resourceLength = r.length;
    this.buf = Arrays.copyOf(r, Math.max(r.length + 4096, 64 * 1024));
    this.len = r.length;
  }

  /** Appends a record built as a message (structured parsers, container logs, multiline). */
  void add(LogRecord record, long nowNanos) {
    int size = record.getSerializedSize();
    begin(size, nowNanos);
    CodedOutputStream out = CodedOutputStream.newInstance(buf, len, size);
    try {
      record.writeTo(out);
      out.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    len += size;
  }

  /**
   * Appends a plain-text record from its parts, written as protobuf would write the {@link LogRecord} with these
   * fields (in field order, defaults left out): time and observed time {@code timeNanos}, severity, body {@code
   * bodyUtf8} (valid UTF-8), the pre-encoded attribute fields {@code attributes}, source (file, offset, length),
   * truncated. {@code severityNumber} 0 and an empty {@code severityText} mean none.
   */
  void addPlain(long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8, byte[] attributes,
      byte[] sourceFile, long offset, long length, boolean truncated, long nowNanos) {
    int body = 1 + varintSize(bodyUtf8.length) + bodyUtf8.length; // AnyValue{string_value}: set even when empty
    int source = (sourceFile.length == 0 ? 0 : 1 + varintSize(sourceFile.length) + sourceFile.length)
        + (offset == 0 ? 0 : 1 + varintSize(offset)) + (length == 0 ? 0 : 1 + varintSize(length));
    int size = (timeNanos == 0 ? 0 : 2 * 9)
        + (severityNumber == 0 ? 0 : 1 + varintSize(severityNumber))
        + (severityText.length == 0 ? 0 : 1 + varintSize(severityText.length) + severityText.length)
        + 1 + varintSize(body) + body
        + attributes.length
        + 1 + varintSize(source) + source
        + (truncated ? 3 : 0);
    begin(size, nowNanos);
    if (timeNanos != 0) {
      buf[len++] = (byte) (LogRecord.TIME_UNIX_NANO_FIELD_NUMBER << 3 | 1);
      fixed64(timeNanos);
      buf[len++] = (byte) (LogRecord.OBSERVED_TIME_UNIX_NANO_FIELD_NUMBER << 3 | 1);
      fixed64(timeNanos);
    }
    if (severityNumber != 0) {
      buf[len++] = (byte) (LogRecord.SEVERITY_NUMBER_FIELD_NUMBER << 3);
      varint(severityNumber);
    }
    if (severityText.length != 0) {
      buf[len++] = (byte) (LogRecord.SEVERITY_TEXT_FIELD_NUMBER << 3 | 2);
      bytes(severityText);
    }
    buf[len++] = (byte) (LogRecord.BODY_FIELD_NUMBER << 3 | 2);
    varint(body);
    buf[len++] = (byte) (1 << 3 | 2); // AnyValue.string_value
    bytes(bodyUtf8);
    System.arraycopy(attributes, 0, buf, len, attributes.length);
    len += attributes.length;
    buf[len++] = (byte) (LogRecord.SOURCE_FIELD_NUMBER << 3 | 2);
    varint(source);
    if (sourceFile.length != 0) {
      buf[len++] = (byte) (1 << 3 | 2); // SourceInfo.file
      bytes(sourceFile);
    }
    if (offset != 0) {
      buf[len++] = (byte) (2 << 3); // SourceInfo.offset
      varint(offset);
    }
    if (length != 0) {
      buf[len++] = (byte) (3 << 3); // SourceInfo.length
      varint(length);
    }
    if (truncated) { // field 18, varint: a two-byte tag
      buf[len++] = (byte) 0x90;
      buf[len++] = 0x01;
      buf[len++] = 1;
    }
  }

  /** The attribute fields (field 6 of LogRecord) of these key-values, to be passed to {@link #addPlain}. */
  static byte[] attributeFields(List<KeyValue> attributes) {
    return LogRecord.newBuilder().addAllAttributes(attributes).build().toByteArray();
  }

  /** Writes the record's tag and length, growing the array to hold {@code size} more bytes after them. */
  private void begin(int size, long nowNanos) {
    if (count == 0) firstAtNanos = nowNanos;
    int need = len + 1 + 5 + size;
    if (need > buf.length) buf = Arrays.copyOf(buf, Math.max(need, buf.length * 2));
    buf[len++] = (byte) RECORDS_TAG;
    varint(size);
    count++;
  }

  private void bytes(byte[] b) {
    varint(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
  }

  private void varint(long v) {
    while ((v & ~0x7FL) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  private void fixed64(long v) {
    for (int i = 0; i < 8; i++) {
      buf[len++] = (byte) v;
      v >>>= 8;
    }
  }

  private static int varintSize(long v) {
    return CodedOutputStream.computeUInt64SizeNoTag(v);
  }

  /** Whether the batch should be cut now. */
  boolean ready(long nowNanos) {
    if (count == 0) return false;
    return count >= policy.maxRecords() || len - resourceLength >= policy.maxBytes()
        || nowNanos - firstAtNanos >= policy.lingerNanos();
  }

  /** Nanoseconds until the linger deadline of the batch; {@code Long.MAX_VALUE} when empty. */
  long nanosUntilDue(long nowNanos) {
    if (count == 0) return Long.MAX_VALUE;
    return Math.max(0, firstAtNanos + policy.lingerNanos() - nowNanos);
  }

  boolean isEmpty() {
    return count == 0;
  }

  int recordCount() {
    return count;
  }

  /** The encoded batch is {@code array()[0, length())}; valid until the next add or {@link #clear}. */
  byte[] array() {
    return buf;
  }

  int length() {
    return len;
  }

  /** Starts an empty batch; gives back memory a rare huge record took. */
  void clear() {
    count = 0;
    len = resourceLength;
    if (buf.length > 4 * Math.max(policy.maxBytes(), 64 * 1024)) buf = Arrays.copyOf(buf, resourceLength + 64 * 1024);
  }
}
