package io.sluice.collector.ingest;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.sluice.proto.v1.LogBatch;
import java.io.IOException;

/**
 * A decoded LogBatch together with its bytes and where each record's encoding sits in them, so the collector can
 * publish a record's own bytes instead of encoding it again. Record {@code i} is
 * {@code bytes[offset(i), offset(i) + length(i))}, and parses to {@code batch.getRecords(i)}. Immutable.
 */
public final class DecodedBatch {
  private static final int RECORDS_TAG =
      LogBatch.RECORDS_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED; // WireFormat.makeTag is not public

  private final byte[] bytes;
  private final LogBatch batch;
  private final int[] offsets;
  private final int[] lengths;

  private DecodedBatch(byte[] bytes, LogBatch batch, int[] offsets, int[] lengths) {
    this.bytes = bytes;
    this.batch = batch;
    this.offsets = offsets;
    this.lengths = lengths;
  }

  /**
   * Finds the records' byte ranges in {@code bytes}, which {@code batch} was parsed from (so it is well-formed): a
   * walk over the top-level fields that skips everything but the length prefixes of field 2 ({@code records}).
   */
  public static DecodedBatch of(byte[] bytes, LogBatch batch) {
    int n = batch.getRecordsCount();
    int[] offsets = new int[n];
    int[] lengths = new int[n];
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    int i = 0;
    try {
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (tag == RECORDS_TAG) {
          int len = in.readRawVarint32();
          offsets[i] = in.getTotalBytesRead();
          lengths[i] = len;
          i++;
          in.skipRawBytes(len);
        } else if (!in.skipField(tag)) {
          break; // an end-group tag at the top level; parseFrom accepted the bytes, so nothing follows
        }
      }
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      throw new IllegalStateException("bytes that parsed as a LogBatch could not be walked", e);
    }
    if (i != n) {
      throw new IllegalStateException("found " + i + " records in the bytes of a LogBatch holding " + n);
    }
    return new DecodedBatch(bytes, batch, offsets, lengths);
  }

  /** The whole decoded LogBatch, bytes. Do not modify. */
  public byte[] bytes() {
    return bytes;
  }

  public LogBatch batch() {
    return batch;
  }

  public int size() {
    return offsets.length;
  }

  public int offset(int i) {
    return offsets[i];
  }

  public int length(int i) {
    return lengths[i];
  }
}
