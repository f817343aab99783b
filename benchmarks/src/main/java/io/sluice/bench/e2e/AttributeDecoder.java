package io.sluice.bench.e2e;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;

/**
 * Reads two int64 attributes out of an encoded log record without parsing the rest. Works for both
 * {@code sluice.v1.LogRecord} and OTLP's {@code opentelemetry.proto.logs.v1.LogRecord}: in both, attributes are
 * field 6, a {@code KeyValue{key = 1, value = 2}} whose {@code AnyValue.int_value} is field 3. Stateless.
 */
final class AttributeDecoder {
  static final String ID = "bench.id";
  static final String T0 = "bench.t0";
  private static final int ATTRIBUTES = 6;

  private AttributeDecoder() {}

  /** Fills {@code out[0]} (id) and {@code out[1]} (intended nanos); false when either is missing. */
  static boolean decode(byte[] record, long[] out) {
    return decode(record, 0, record.length, out);
  }

  /** Like {@link #decode(byte[], long[])} for the record in {@code bytes[offset, offset + length)}. */
  static boolean decode(byte[] bytes, int offset, int length, long[] out) {
    boolean id = false;
    boolean t0 = false;
    try {
      CodedInputStream in = CodedInputStream.newInstance(bytes, offset, length);
      int tag;
      while ((tag = in.readTag()) != 0) {
        if (WireFormat.getTagFieldNumber(tag) != ATTRIBUTES) {
          in.skipField(tag);
          continue;
        }
        int limit = in.pushLimit(in.readRawVarint32());
        String key = null;
        long value = 0;
        boolean hasValue = false;
        int kvTag;
        while ((kvTag = in.readTag()) != 0) {
          int field = WireFormat.getTagFieldNumber(kvTag);
          if (field == 1) {
            key = in.readStringRequireUtf8();
          } else if (field == 2) {
            int vLimit = in.pushLimit(in.readRawVarint32());
            int vTag;
            while ((vTag = in.readTag()) != 0) {
              if (WireFormat.getTagFieldNumber(vTag) == 3) {
                value = in.readInt64();
                hasValue = true;
              } else {
                in.skipField(vTag);
              }
            }
            in.popLimit(vLimit);
          } else {
            in.skipField(kvTag);
          }
        }
        in.popLimit(limit);
        if (hasValue && ID.equals(key)) {
          out[0] = value;
          id = true;
        } else if (hasValue && T0.equals(key)) {
          out[1] = value;
          t0 = true;
        }
        if (id && t0) return true;
      }
    } catch (IOException e) {
      return false;
    }
    return id && t0;
  }
}
