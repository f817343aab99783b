package io.sluice.collector.ingest;

import com.google.protobuf.CodedOutputStream;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
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
 *
 * <p>The hot path is {@link #spliceValues}: it does not rebuild and re-encode records. Protobuf parsing appends
 * every occurrence of a repeated field to the list, so a record's own bytes followed by encoded
 * {@code attributes} entries (field 6) parse to exactly the record that {@link #enrich} builds: its attributes,
 * then the added ones in resource order. The suffix is encoded once per batch; a record that already carries some
 * {@code resource.*} attribute gets a suffix of only the entries it lacks.
 */
public final class RecordEnricher {
  public static final String RESOURCE_PREFIX = DecodedBatch.RESOURCE_ATTRIBUTE_PREFIX;

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
      out.add(enrich(r, resource));
    }
    return out;
  }

  /** {@code r} with the resource attributes it lacks added (itself if it lacks none). */
  public static LogRecord enrich(LogRecord r, Map<String, AnyValue> resource) {
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
    return b == null ? r : b.build();
  }

  /**
   * The Kafka value of every record of {@code decoded}: the record's bytes as sent, followed by the encoded
   * {@code resource.*} attributes it lacks. Each value parses to what {@link #enrich} returns for that record.
   */
  public static byte[][] spliceValues(DecodedBatch decoded, Map<String, AnyValue> resource) {
    return spliceValues(decoded, new Suffix(resource));
  }

  /** Like {@link #spliceValues(DecodedBatch, Map)} with the resource already encoded. */
  static byte[][] spliceValues(DecodedBatch decoded, Suffix suffix) {
    int n = decoded.size();
    byte[][] out = new byte[n][];
    for (int i = 0; i < n; i++) {
      out[i] = splice(decoded, suffix, i);
    }
    return out;
  }

  /** The Kafka value of record {@code i} of {@code decoded} in the record format (see {@link #spliceValues}). */
  static byte[] splice(DecodedBatch decoded, Suffix suffix, int i) {
    byte[] tail = suffix.forRecord(decoded.resourceAttributeKeys(i));
    int len = decoded.length(i);
    byte[] v = new byte[len + tail.length];
    System.arraycopy(decoded.bytes(), decoded.offset(i), v, 0, len);
    System.arraycopy(tail, 0, v, len, tail.length);
    return v;
  }

  /**
   * {@code resource} as a LogBatch holding only resource entries, in order (the batch format's
   * {@code sluice.resource} header), or null when it is empty.
   */
  public static byte[] encodeResource(Map<String, AnyValue> resource) {
    if (resource.isEmpty()) {
      return null;
    }
    LogBatch.Builder b = LogBatch.newBuilder();
    resource.forEach((k, v) -> b.addResource(KeyValue.newBuilder().setKey(k).setValue(v)));
    return b.build().toByteArray();
  }

  /**
   * The resource as encoded {@code attributes} entries (field 6 of LogRecord), built once per batch. Its size is that
   * of the resource (one copy); {@link #lengthFor} says what one record's copy costs without building it.
   */
  static final class Suffix {
    private final String[] keys;
    private final byte[][] entries;
    private final byte[] all;

    Suffix(Map<String, AnyValue> resource) {
      keys = new String[resource.size()];
      entries = new byte[resource.size()][];
      int i = 0;
      int total = 0;
      for (Map.Entry<String, AnyValue> e : resource.entrySet()) {
        keys[i] = RESOURCE_PREFIX + e.getKey();
        entries[i] = encode(KeyValue.newBuilder().setKey(keys[i]).setValue(e.getValue()).build());
        total += entries[i].length;
        i++;
      }
      all = concat(entries, null, total);
    }

    /** Bytes of the whole encoded resource: what a record without any {@code resource.*} attribute gets. */
    int size() {
      return all.length;
    }

    /** The length of {@link #forRecord}{@code (resourceKeys)}, computed without building it. */
    int lengthFor(String[] resourceKeys) {
      boolean[] present = present(resourceKeys);
      return present == null ? all.length : all.length - bytesOf(present);
    }

    /**
     * The entries a record lacks, given the names of its attributes that start with {@code resource.} (null if
     * none): the shared full suffix unless one of them is a resource key.
     */
    byte[] forRecord(String[] resourceKeys) {
      boolean[] present = present(resourceKeys);
      return present == null ? all : concat(entries, present, all.length - bytesOf(present));
    }

    /** Which resource keys the record has already (null if none). */
    private boolean[] present(String[] resourceKeys) {
      if (keys.length == 0 || resourceKeys == null) {
        return null;
      }
      boolean[] present = null;
      for (String key : resourceKeys) {
        for (int k = 0; k < keys.length; k++) {
          if (key.equals(keys[k])) {
            if (present == null) {
              present = new boolean[keys.length];
            }
            present[k] = true;
          }
        }
      }
      return present;
    }

    private int bytesOf(boolean[] present) {
      int n = 0;
      for (int k = 0; k < keys.length; k++) {
        if (present[k]) n += entries[k].length;
      }
      return n;
    }

    private static byte[] concat(byte[][] parts, boolean[] skip, int total) {
      byte[] out = new byte[total];
      int pos = 0;
      for (int k = 0; k < parts.length; k++) {
        if (skip == null || !skip[k]) {
          System.arraycopy(parts[k], 0, out, pos, parts[k].length);
          pos += parts[k].length;
        }
      }
      return out;
    }

    private static byte[] encode(KeyValue kv) {
      byte[] out = new byte[CodedOutputStream.computeMessageSize(LogRecord.ATTRIBUTES_FIELD_NUMBER, kv)];
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      try {
        cos.writeMessage(LogRecord.ATTRIBUTES_FIELD_NUMBER, kv);
        cos.checkNoSpaceLeft();
      } catch (java.io.IOException e) {
        throw new IllegalStateException("encoding into an array of the computed size failed", e);
      }
      return out;
    }
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
