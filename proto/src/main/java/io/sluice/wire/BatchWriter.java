package io.sluice.wire;

import com.google.protobuf.CodedOutputStream;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link LogBatch} encoded as its records arrive, into one reused array: the resource once, then each record as
 * field 2 (its tag, its length, its bytes) — a LogBatch's bytes are the concatenation of its fields, so a batch is
 * never built as a list of records and encoded in a second pass. Records come as messages ({@link #add}), already
 * encoded ({@link #addEncoded}, e.g. from a {@link RecordWriter}), or as the parts of a plain-text line
 * ({@link #addPlain}). The bytes are exactly those of {@code
 * LogBatch.newBuilder().addAllResource(resource).addAllRecords(records).build().toByteArray()}.
 *
 * <p>Tracks the record count and the records' encoded bytes for a cut policy (the caller's: sdk-core's
 * {@code Batcher}); {@link #compress} hands out the compressed batch, {@link #clear} starts the next one in the same
 * array. Bounded by what the caller adds; after a batch that grew the array past {@code 4 * keepBytes}, {@link
 * #clear} gives the memory back. Not thread-safe: owned by one batching thread.
 */
public final class BatchWriter {
  private static final int RECORDS_TAG = LogBatch.RECORDS_FIELD_NUMBER << 3 | 2;
  /** A tag (1 byte) and the longest length varint (5 bytes). */
  private static final int MAX_FIELD_HEADER = 6;

  /** The encoded resource field(s) every batch starts with; changed only between batches ({@link #resource}). */
  private byte[] resource;
  private int resourceLength;
  private final int keepBytes;
  private byte[] buf;
  private int len;
  private int count;
  /** protobuf's writer over {@code buf}, from {@code outBase}; null until needed or after buf was replaced. */
  private CodedOutputStream out;
  private int outBase;

  /**
   * @param resource the batch's resource attributes, written at the start of every batch
   * @param keepBytes the size of the array kept between batches (e.g. the cut policy's byte bound)
   */
  public BatchWriter(List<KeyValue> resource, int keepBytes) {
    this(encodeResource(resource), keepBytes);
  }

  /**
   * @param encodedResource the resource field(s) of an encoded {@link LogBatch} ({@link #encodeResource})
   * @param keepBytes the size of the array kept between batches (e.g. the cut policy's byte bound)
   */
  public BatchWriter(byte[] encodedResource, int keepBytes) {
    this.resource = encodedResource;
    this.resourceLength = encodedResource.length;
    this.keepBytes = Math.max(keepBytes, 4096);
    this.buf = Arrays.copyOf(encodedResource, encodedResource.length + Math.min(this.keepBytes, 1 << 20));
    this.len = encodedResource.length;
  }

  /** The leading bytes of a {@link LogBatch} with this resource and no records. */
  public static byte[] encodeResource(List<KeyValue> resource) {
    return LogBatch.newBuilder().addAllResource(resource).build().toByteArray();
  }

  /** Whether the batch starts with {@code encodedResource}. */
  public boolean hasResource(byte[] encodedResource) {
    return encodedResource == resource || Arrays.equals(encodedResource, resource);
  }

  /** Starts the (empty) batch with another resource ({@link #encodeResource}). */
  public void resource(byte[] encodedResource) {
    if (count != 0) throw new IllegalStateException("the resource changes only between batches");
    if (buf.length < encodedResource.length + 4096) {
      buf = new byte[encodedResource.length + Math.min(keepBytes, 1 << 20)];
    }
    System.arraycopy(encodedResource, 0, buf, 0, encodedResource.length);
    resource = encodedResource;
    resourceLength = encodedResource.length;
    len = resourceLength;
    out = null;
  }

  /** The encoded size of a record of {@code recordSize} bytes inside a batch: tag, length and bytes. */
  public static int sizeInBatch(int recordSize) {
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(recordSize) + recordSize;
  }

  /** The encoded size of this record inside a batch: tag, length and bytes. */
  public static int sizeInBatch(LogRecord record) {
    return sizeInBatch(record.getSerializedSize());
  }

  /** Appends a record built as a message; returns its size in the batch. */
  public int add(LogRecord record) {
    int size = record.getSerializedSize(); // memoized by the message: writeTo does not compute it again
    ensure(size);
    // One protobuf writer for a run of records (tag, length and record all through it), not one per record.
    CodedOutputStream o = out;
    if (o == null || outBase + o.getTotalBytesWritten() != len) {
      o = out = CodedOutputStream.newInstance(buf, len, buf.length - len);
      outBase = len;
    }
    try {
      o.writeUInt32NoTag(RECORDS_TAG);
      o.writeUInt32NoTag(size);
      record.writeTo(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    len = outBase + o.getTotalBytesWritten();
    count++;
    return sizeInBatch(size);
  }

  /** Appends a record already encoded as {@code record[off, off + length)} (a LogRecord's fields); returns its size in the batch. */
  public int addEncoded(byte[] record, int off, int length) {
    begin(length);
    System.arraycopy(record, off, buf, len, length);
    len += length;
    return sizeInBatch(length);
  }

  /**
   * Appends a plain-text record from its parts, written as protobuf would write the {@link LogRecord} with these
   * fields (in field order, defaults left out): time and observed time {@code timeNanos}, severity, body {@code
   * bodyUtf8} (valid UTF-8: the caller has checked or replaced it), the pre-encoded attribute fields {@code
   * attributes} ({@link #attributeFields}), source (file, offset, length), truncated. {@code severityNumber} 0 and an
   * empty {@code severityText} mean none. Returns its size in the batch.
   */
  public int addPlain(long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8, byte[] attributes,
      byte[] sourceFile, long offset, long length, boolean truncated) {
    return addPlain(timeNanos, severityNumber, severityText, bodyUtf8, 0, bodyUtf8.length, attributes, sourceFile,
        offset, length, truncated);
  }

  /**
   * {@link #addPlain(long, int, byte[], byte[], byte[], byte[], long, long, boolean)} with the body {@code
   * bodyLength} bytes at {@code bodyOffset} of {@code bodyUtf8} (e.g. a line in the reader's buffer: copied here once,
   * never kept).
   */
  public int addPlain(long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8, int bodyOffset,
      int bodyLength, byte[] attributes, byte[] sourceFile, long offset, long length, boolean truncated) {
    int body = 1 + varintSize(bodyLength) + bodyLength; // AnyValue{string_value}: set even when empty
    int source = (sourceFile.length == 0 ? 0 : 1 + varintSize(sourceFile.length) + sourceFile.length)
        + (offset == 0 ? 0 : 1 + varintSize(offset)) + (length == 0 ? 0 : 1 + varintSize(length));
    int size = (timeNanos == 0 ? 0 : 2 * 9)
        + (severityNumber == 0 ? 0 : 1 + varintSize(severityNumber))
        + (severityText.length == 0 ? 0 : 1 + varintSize(severityText.length) + severityText.length)
        + 1 + varintSize(body) + body
        + attributes.length
        + 1 + varintSize(source) + source
        + (truncated ? 3 : 0);
    begin(size);
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
    varint(bodyLength);
    System.arraycopy(bodyUtf8, bodyOffset, buf, len, bodyLength);
    len += bodyLength;
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
    return sizeInBatch(size);
  }

  /** The attribute fields (field 6 of LogRecord) of these key-values, to be passed to {@link #addPlain}. */
  public static byte[] attributeFields(List<KeyValue> attributes) {
    return LogRecord.newBuilder().addAllAttributes(attributes).build().toByteArray();
  }

  /** Writes the record's tag and length, growing the array to hold {@code size} more bytes after them. */
  private void begin(int size) {
    ensure(size);
    buf[len++] = (byte) RECORDS_TAG;
    varint(size);
    count++;
  }

  /** Grows the array to hold a record of {@code size} bytes with its tag and length. */
  private void ensure(int size) {
    long need = (long) len + MAX_FIELD_HEADER + size;
    if (need > buf.length) {
      if (need > Integer.MAX_VALUE - 8) throw new IllegalStateException("batch larger than 2 GiB");
      buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, buf.length * 2L)));
      out = null;
    }
  }

  private void bytes(byte[] b) {
    varint(b.length);
    System.arraycopy(b, 0, buf, len, b.length);
    len += b.length;
  }

  private void varint(long v) {
    if ((v & ~0x3FFFL) == 0) { // one or two bytes: lengths of lines and records, the common case
      if ((v & ~0x7FL) == 0) {
        buf[len++] = (byte) v;
      } else {
        buf[len++] = (byte) (v | 0x80);
        buf[len++] = (byte) (v >>> 7);
      }
      return;
    }
    while ((v & ~0x7FL) != 0) {
      buf[len++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[len++] = (byte) v;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private void fixed64(long v) {
    LONGS.set(buf, len, v); // protobuf's fixed64 is little-endian
    len += 8;
  }

  /**
   * CodedOutputStream.computeUInt64SizeNoTag inline: 7 bits a byte, 1 byte for 0, 10 for a negative value. By
   * comparisons: the agent runs C1-compiled, where Long.numberOfLeadingZeros is a call.
   */
  private static int varintSize(long v) {
    if (v < 0) return 10;
    int n = 1;
    while (v >= 0x80) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  public boolean isEmpty() {
    return count == 0;
  }

  public int recordCount() {
    return count;
  }

  /** The records' encoded bytes in the batch (tags and lengths included, the resource not). */
  public long recordBytes() {
    return len - resourceLength;
  }

  /** The encoded batch is {@code array()[0, length())}; valid until the next add or {@link #clear}. */
  public byte[] array() {
    return buf;
  }

  /** The encoded batch's size, resource included. */
  public int length() {
    return len;
  }

  /** A copy of the encoded batch. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }

  /** The encoded batch, compressed with the caller's codec (its contexts reused). */
  public byte[] compress(ZstdCodec codec) {
    return codec.compress(buf, 0, len);
  }

  /** Starts an empty batch in the same array; gives back memory a rare huge batch took. */
  public void clear() {
    count = 0;
    len = resourceLength;
    out = null;
    if (buf.length > 4L * keepBytes) {
      buf = Arrays.copyOf(buf, resourceLength + Math.min(keepBytes, 1 << 20));
    }
  }
}
