package io.sluice.wire.kafka;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import java.util.List;

/**
 * The encoded bytes of each record of one batch (an encoded {@code LogRecord}, without the field tag and length
 * that frame it inside a {@code LogBatch}), read by index. {@link BatchValueWriter} builds a batch value by
 * concatenating slices, never re-encoding a record: a {@code LogBatch} that has only its {@code records} field is
 * exactly the concatenation of (tag, length, bytes) per record. For records already framed in a decoded batch,
 * {@link DecodedBatch} is the view (its scan's offsets; {@link BatchValueWriter#write(DecodedBatch, int[])} copies its
 * fields as they sit); this interface is for records held one array each. Not required to be thread-safe; not
 * modified while read.
 */
public interface RecordSlices {
  /** Number of records. */
  int size();

  /** Length in bytes of record {@code i}'s encoding. */
  int length(int i);

  /** Copies record {@code i}'s encoding into {@code dest} at {@code offset}. */
  void copyTo(int i, byte[] dest, int offset);

  /** Slices backed by one array per record, taken as they are (not copied). */
  static RecordSlices ofArrays(List<byte[]> values) {
    return new RecordSlices() {
      @Override
      public int size() {
        return values.size();
      }

      @Override
      public int length(int i) {
        return values.get(i).length;
      }

      @Override
      public void copyTo(int i, byte[] dest, int offset) {
        byte[] v = values.get(i);
        System.arraycopy(v, 0, dest, offset, v.length);
      }
    };
  }

  /** Slices of already built records (each encoded once, here). */
  static RecordSlices ofRecords(List<LogRecord> records) {
    ByteString[] encoded = new ByteString[records.size()];
    for (int i = 0; i < encoded.length; i++) {
      encoded[i] = records.get(i).toByteString();
    }
    return new RecordSlices() {
      @Override
      public int size() {
        return encoded.length;
      }

      @Override
      public int length(int i) {
        return encoded[i].size();
      }

      @Override
      public void copyTo(int i, byte[] dest, int offset) {
        encoded[i].copyTo(dest, offset);
      }
    };
  }
}
