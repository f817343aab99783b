package io.sluice.collector.ingest;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes each published record self-contained, since a Kafka record carries one LogRecord and no LogBatch: the
 * resource (Hello's, overlaid key by key by the batch's) is copied into the record's attributes as
 * {@code resource.<key>}, only where the record has no attribute of that name. Also picks the partition key.
 * Stateless.
 */
public final class RecordEnricher {
  public static final String RESOURCE_PREFIX = "resource.";

  private RecordEnricher() {}

  /** Hello's resource overlaid by the batch's, in first-seen key order. */
  public static Map<String, AnyValue> mergeResource(List<KeyValue> hello, List<KeyValue> batch) {
    Map<String, AnyValue> merged = new LinkedHashMap<>();
    for (KeyValue kv : hello) {
      merged.put(kv.getKey(), kv.getValue());
    }
    for (KeyValue kv : batch) {
      merged.put(kv.getKey(), kv.getValue());
    }
    return merged;
  }

  /** The records of {@code batch} with the resource attributes they lack added. */
  public static List<LogRecord> enrich(LogBatch batch, Map<String, AnyValue> resource) {
    if (resource.isEmpty()) {
      return batch.getRecordsList();
    }
    List<LogRecord> out = new ArrayList<>(batch.getRecordsCount());
    for (LogRecord r : batch.getRecordsList()) {
      Set<String> present = new HashSet<>();
      for (KeyValue kv : r.getAttributesList()) {
        present.add(kv.getKey());
      }
      LogRecord.Builder b = null;
      for (Map.Entry<String, AnyValue> e : resource.entrySet()) {
        String key = RESOURCE_PREFIX + e.getKey();
        if (!present.contains(key)) {
          if (b == null) {
            b = r.toBuilder();
          }
          b.addAttributes(KeyValue.newBuilder().setKey(key).setValue(e.getValue()));
        }
      }
      out.add(b == null ? r : b.build());
    }
    return out;
  }

  /**
   * {@code <service.name>/<host.name>} from the resource (either may be empty), or {@code clientId} when both are
   * missing: records of one service instance land in one partition, in order.
   */
  public static String partitionKey(Map<String, AnyValue> resource, String clientId) {
    String service = stringOf(resource.get("service.name"));
    String host = stringOf(resource.get("host.name"));
    if (service.isEmpty() && host.isEmpty()) {
      return clientId;
    }
    return service + "/" + host;
  }

  private static String stringOf(AnyValue v) {
    return v == null || !v.hasStringValue() ? "" : v.getStringValue();
  }
}
