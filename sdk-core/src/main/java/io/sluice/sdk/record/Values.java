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
