package io.sluice.collector.ingest.fluent;

import com.google.protobuf.ByteString;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.KeyValueList;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps the events of one forward message to LogRecords, grouped by service into {@link RequestIngest.Part}s (whose
 * resource is {@code service.name}, plus {@code host.name} when the client named itself in the handshake):
 * <ul>
 *   <li>body: the record's {@code log} value, else its {@code message} value (removed from the attributes);
 *   <li>severity: {@code level}, else {@code severity}: the text as given, the number from the usual names
 *       (trace, debug, info, notice, warn/warning, error/err, fatal/critical/crit/alert/emerg) — removed too;
 *   <li>{@code service.name}: the string under {@code fluent.serviceKey} (removed), else the tag;
 *   <li>every other key an attribute (values: str, bin, int, float, bool, arrays and maps; nil values are left
 *       out), and the tag as attribute {@code fluent.tag};
 *   <li>time: the event's; observed time: when the message was read.
 * </ul>
 * Stateless.
 */
final class FluentRecords {
  static final String TAG_ATTRIBUTE = "fluent.tag";

  private FluentRecords() {}

  static List<RequestIngest.Part> parts(ForwardDecoder.Message m, String serviceKey, String host, long nowNanos) {
    Map<String, List<LogRecord>> byService = new LinkedHashMap<>();
    for (ForwardDecoder.Event e : m.events()) {
      Map<Object, Object> rec = new LinkedHashMap<>(e.record());
      String service = m.tag();
      Object s = rec.get(serviceKey);
      if (s instanceof String || s instanceof byte[]) {
        service = ForwardDecoder.text(s);
        rec.remove(serviceKey);
      }
      LogRecord.Builder b = LogRecord.newBuilder().setTimeUnixNano(e.timeNanos()).setObservedTimeUnixNano(nowNanos);
      Object body = rec.containsKey("log") ? rec.remove("log") : rec.remove("message");
      if (body != null) {
        b.setBody(body instanceof byte[] raw ? str(ForwardDecoder.text(raw)) : value(body, 0));
      }
      Object level = rec.containsKey("level") ? rec.remove("level") : rec.remove("severity");
      if (level != null) {
        String text = ForwardDecoder.text(level);
        b.setSeverityText(text);
        b.setSeverityNumber(severity(text));
      }
      for (Map.Entry<Object, Object> a : rec.entrySet()) {
        if (a.getValue() != null) {
          b.addAttributes(
              KeyValue.newBuilder().setKey(ForwardDecoder.text(a.getKey())).setValue(value(a.getValue(), 0)));
        }
      }
      b.addAttributes(KeyValue.newBuilder().setKey(TAG_ATTRIBUTE).setValue(str(m.tag())));
      byService.computeIfAbsent(service, k -> new ArrayList<>()).add(b.build());
    }
    List<RequestIngest.Part> parts = new ArrayList<>(byService.size());
    for (Map.Entry<String, List<LogRecord>> e : byService.entrySet()) {
      Map<String, AnyValue> resource = new LinkedHashMap<>();
      resource.put("service.name", str(e.getKey()));
      if (host != null && !host.isEmpty()) {
        resource.put("host.name", str(host));
      }
      parts.add(new RequestIngest.Part(resource, e.getValue()));
    }
    return parts;
  }

  static SeverityNumber severity(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "trace" -> SeverityNumber.SEVERITY_NUMBER_TRACE;
      case "debug" -> SeverityNumber.SEVERITY_NUMBER_DEBUG;
      case "info", "information", "notice" -> SeverityNumber.SEVERITY_NUMBER_INFO;
      case "warn", "warning" -> SeverityNumber.SEVERITY_NUMBER_WARN;
      case "error", "err" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
      case "fatal", "critical", "crit", "alert", "emerg", "emergency", "panic" -> SeverityNumber.SEVERITY_NUMBER_FATAL;
      default -> SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    };
  }

  private static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  /** Depth is bounded by the reader's nesting bound. */
  static AnyValue value(Object v, int depth) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof byte[] bytes) {
      b.setBytesValue(ByteString.copyFrom(bytes));
    } else if (v instanceof Long l) {
      b.setIntValue(l);
    } else if (v instanceof BigInteger big) {
      b.setStringValue(big.toString()); // above Long.MAX_VALUE: exact as text
    } else if (v instanceof Double d) {
      b.setDoubleValue(d);
    } else if (v instanceof Boolean bool) {
      b.setBoolValue(bool);
    } else if (v instanceof List<?> list) {
      ArrayValue.Builder a = b.getArrayValueBuilder();
      for (Object o : list) {
        a.addValues(o == null ? AnyValue.getDefaultInstance() : value(o, depth + 1));
      }
    } else if (v instanceof Map<?, ?> map) {
      KeyValueList.Builder kv = b.getKvlistValueBuilder();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getValue() != null) {
          kv.addValues(KeyValue.newBuilder().setKey(ForwardDecoder.text(e.getKey())).setValue(value(e.getValue(),
              depth + 1)));
        }
      }
    } else if (v instanceof BoundedReader.Ext ext) {
      b.setBytesValue(ByteString.copyFrom(ext.data()));
    }
    return b.build();
  }
}
