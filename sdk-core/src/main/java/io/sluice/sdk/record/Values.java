package io.sluice.sdk.record;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.KeyValue;
import java.util.Collection;
import java.util.Map;

/** Builds {@link AnyValue}s and {@link KeyValue}s from Java objects. Stateless, thread-safe. */
public final class Values {
  private Values() {}

  public static AnyValue of(String s) {
    return AnyValue.newBuilder().setStringValue(s == null ? "" : s).build();
  }

  /**
   * Strings, booleans, integral numbers, floating numbers, byte arrays and collections map to their typed value;
   * anything else to its {@code toString()} (a throwing {@code toString()} yields the class name).
   */
  public static AnyValue of(Object o) {
    if (o == null) return of("null");
    if (o instanceof String s) return of(s);
    if (o instanceof Boolean b) return AnyValue.newBuilder().setBoolValue(b).build();
    if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
      return AnyValue.newBuilder().setIntValue(((Number) o).longValue()).build();
    }
    if (o instanceof Double || o instanceof Float) {
      return AnyValue.newBuilder().setDoubleValue(((Number) o).doubleValue()).build();
    }
    if (o instanceof byte[] bytes) return AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(bytes)).build();
    if (o instanceof Object[] arr) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object e : arr) a.addValues(of(e));
      return AnyValue.newBuilder().setArrayValue(a).build();
    }
    if (o.getClass().isArray()) {
      // primitive arrays other than byte[]: element by element through reflection (rare on the logging path)
      ArrayValue.Builder a = ArrayValue.newBuilder();
      int n = java.lang.reflect.Array.getLength(o);
      for (int i = 0; i < n; i++) a.addValues(of(java.lang.reflect.Array.get(o, i)));
      return AnyValue.newBuilder().setArrayValue(a).build();
    }
    if (o instanceof Collection<?> c) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object e : c) a.addValues(of(e));
      return AnyValue.newBuilder().setArrayValue(a).build();
    }
    try {
      return of(String.valueOf(o));
    } catch (RuntimeException e) {
      return of(o.getClass().getName());
    }
  }

  /**
   * Writes {@code o} as field {@code field} of the message being written, byte for byte what {@link #of(Object)}
   * encodes: the common types (String, integral numbers, Double/Float, Boolean) directly, the rest through it (null,
   * arrays, collections, {@code toString()}). The appenders' hot path, which writes records without building them.
   */
  public static void write(io.sluice.wire.RecordWriter out, int field, Object o) {
    if (o instanceof String s) {
      int m = out.begin(field);
      out.string(AnyValue.STRING_VALUE_FIELD_NUMBER, s);
      out.end(m);
    } else if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
      int m = out.begin(field);
      out.int64(AnyValue.INT_VALUE_FIELD_NUMBER, ((Number) o).longValue());
      out.end(m);
    } else if (o instanceof Double || o instanceof Float) {
      int m = out.begin(field);
      out.fixed64(AnyValue.DOUBLE_VALUE_FIELD_NUMBER, Double.doubleToRawLongBits(((Number) o).doubleValue()));
      out.end(m);
    } else if (o instanceof Boolean b) {
      int m = out.begin(field);
      out.bool(AnyValue.BOOL_VALUE_FIELD_NUMBER, b);
      out.end(m);
    } else {
      out.message(field, of(o));
    }
  }

  public static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(of(value)).build();
  }

  public static KeyValue kv(String key, Object value) {
    return KeyValue.newBuilder().setKey(key).setValue(of(value)).build();
  }

  /** Adds every entry of a string map as string attributes. */
  public static void addAll(io.sluice.proto.v1.LogRecord.Builder record, Map<String, String> map, String prefix) {
    if (map == null) return;
    for (Map.Entry<String, String> e : map.entrySet()) {
      record.addAttributes(kv(prefix + e.getKey(), e.getValue()));
    }
  }
}
