package io.sluice.wire.kafka;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.WireException;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a Kafka record of either {@link KafkaFormat} into its lines, each with its identity. The format comes from
 * the {@link KafkaHeaders#SCHEMA} header (a record without one is read as the record format, what collectors before
 * 0.2 wrote). Headers are looked up by name ({@code Map::get}, or Kafka's {@code lastHeader}), so this class needs no
 * Kafka client.
 *
 * <p>Bounded: a batch value must declare its decoded size in its zstd frame, and a size above {@code maxDecodedBytes}
 * is refused ({@code too_large}) before anything is allocated; {@link KafkaHeaders#COUNT} must match the lines found.
 * The zstd contexts are the calling thread's ({@code ZstdCodec.forThisThread}). Thread-safe.
 */
public final class KafkaRecordReader {
  /** Default cap on a batch value's decoded size: 64 MiB, above the collector's largest decoded client batch. */
  public static final int DEFAULT_MAX_DECODED_BYTES = 64 << 20;

  /** A record's headers, last value per name; null when absent. */
  @FunctionalInterface
  public interface Headers {
    byte[] get(String name);
  }

  /** Prefix of the attributes a line gets from the resource (as the collector's record format writes them). */
  public static final String RESOURCE_PREFIX = "resource.";

  private final int maxDecodedBytes;

  public KafkaRecordReader() {
    this(DEFAULT_MAX_DECODED_BYTES);
  }

  public KafkaRecordReader(int maxDecodedBytes) {
    if (maxDecodedBytes < 1) {
      throw new IllegalArgumentException("maxDecodedBytes must be positive: " + maxDecodedBytes);
    }
    this.maxDecodedBytes = maxDecodedBytes;
  }

  /** The format of a record with these headers. */
  public static KafkaFormat format(Headers headers) throws KafkaFormatException {
    byte[] schema = headers.get(KafkaHeaders.SCHEMA);
    if (schema == null) {
      return KafkaFormat.RECORD;
    }
    String s = new String(schema, StandardCharsets.UTF_8);
    for (KafkaFormat f : KafkaFormat.values()) {
      if (f.schema().equals(s)) {
        return f;
      }
    }
    throw new KafkaFormatException("unknown_schema", "header " + KafkaHeaders.SCHEMA + "=" + s
        + " (this reader knows " + KafkaHeaders.SCHEMA_RECORD + " = record, " + KafkaHeaders.SCHEMA_BATCH
        + " = batch)", null);
  }

  /** Receives each line of a record without it being parsed ({@link #forEachLine}). */
  @FunctionalInterface
  public interface LineSink {
    /**
     * One line: its index in its client batch and its encoded {@code LogRecord} in {@code bytes[offset, offset +
     * length)}, as the client sent it (in the batch format without the resource of {@link KafkaHeaders#RESOURCE}).
     * {@code bytes} is only valid during the call.
     */
    void line(int index, byte[] bytes, int offset, int length);
  }

  /**
   * Every line of the record, in value order, each a complete {@code LogRecord}: in the batch format each line gets
   * the {@code resource.<key>} attributes it lacks from the resource ({@link KafkaHeaders#RESOURCE} overlaid by the
   * value's own {@code LogBatch.resource}), so a line reads the same whichever format it was written in.
   */
  public List<KafkaLine> read(Headers headers, byte[] value) throws KafkaFormatException {
    KafkaFormat format = format(headers);
    String source = utf8(headers, KafkaHeaders.SOURCE, true);
    long epoch = fixed(headers, KafkaHeaders.EPOCH, 8);
    long seq = fixed(headers, KafkaHeaders.SEQ, 8);
    String tenant = utf8(headers, KafkaHeaders.TENANT, false);
    String reason = utf8(headers, KafkaHeaders.REASON, false);
    if (value == null) {
      throw new KafkaFormatException("bad_value", "the record has no value", null);
    }
    if (format == KafkaFormat.RECORD) {
      int idx = (int) fixed(headers, KafkaHeaders.IDX, 4);
      LogRecord r;
      try {
        r = LogRecord.parseFrom(value);
      } catch (InvalidProtocolBufferException e) {
        throw new KafkaFormatException("bad_value", "not a sluice.v1.LogRecord: " + e.getMessage(), e);
      }
      return List.of(new KafkaLine(source, epoch, seq, idx, tenant, reason, r, value.length));
    }
    Batch batch = batch(headers, value);
    List<KeyValue> enrichment = enrichment(headers, batch);
    List<KafkaLine> lines = new ArrayList<>(batch.count);
    for (int i = 0; i < batch.count; i++) {
      LogRecord r;
      try {
        LogRecord.Builder b = LogRecord.newBuilder().mergeFrom(batch.plain, batch.offsets[i], batch.lengths[i]);
        r = enrichment.isEmpty() ? b.build() : enrich(b, enrichment);
      } catch (InvalidProtocolBufferException e) {
        throw new KafkaFormatException("bad_value", "not a sluice.v1.LogBatch: " + e.getMessage(), e);
      }
      int size = enrichment.isEmpty() ? batch.lengths[i] : r.getSerializedSize();
      lines.add(new KafkaLine(source, epoch, seq, batch.index(i), tenant, reason, r, size));
    }
    return lines;
  }

  /**
   * Walks the record's lines without parsing them (a counting consumer's fast path): checks the headers and the
   * value's framing as {@link #read} does, but neither parses a line nor applies the resource. Returns the number of
   * lines.
   */
  public int forEachLine(Headers headers, byte[] value, LineSink sink) throws KafkaFormatException {
    KafkaFormat format = format(headers);
    utf8(headers, KafkaHeaders.SOURCE, true);
    fixed(headers, KafkaHeaders.EPOCH, 8);
    fixed(headers, KafkaHeaders.SEQ, 8);
    if (value == null) {
      throw new KafkaFormatException("bad_value", "the record has no value", null);
    }
    if (format == KafkaFormat.RECORD) {
      sink.line((int) fixed(headers, KafkaHeaders.IDX, 4), value, 0, value.length);
      return 1;
    }
    Batch batch = batch(headers, value);
    for (int i = 0; i < batch.count; i++) {
      sink.line(batch.index(i), batch.plain, batch.offsets[i], batch.lengths[i]);
    }
    return batch.count;
  }

  /** A batch value decoded: its lines' ranges in the decoded bytes, their indexes, its resource entries. */
  private static final class Batch {
    final byte[] plain;
    final int count;
    final int[] offsets;
    final int[] lengths;
    final byte[] indexes; // KafkaHeaders.INDEXES, or null: a line's index is its position
    final List<KeyValue> resource = new ArrayList<>(0);

    Batch(byte[] plain, int count, byte[] indexes) {
      this.plain = plain;
      this.count = count;
      this.offsets = new int[count];
      this.lengths = new int[count];
      this.indexes = indexes;
    }

    int index(int i) {
      return indexes == null ? i : ((indexes[4 * i] & 0xFF) << 24 | (indexes[4 * i + 1] & 0xFF) << 16
          | (indexes[4 * i + 2] & 0xFF) << 8 | (indexes[4 * i + 3] & 0xFF));
    }
  }

  private Batch batch(Headers headers, byte[] value) throws KafkaFormatException {
    int count = (int) fixed(headers, KafkaHeaders.COUNT, 4);
    if (count < 0) {
      throw new KafkaFormatException("bad_header", KafkaHeaders.COUNT + " is negative: " + count, null);
    }
    byte[] indexes = headers.get(KafkaHeaders.INDEXES);
    if (indexes != null && indexes.length != 4L * count) {
      throw new KafkaFormatException("bad_header", KafkaHeaders.INDEXES + " has " + indexes.length
          + " bytes, expected 4 per line (" + KafkaHeaders.COUNT + " " + count + ")", null);
    }
    byte[] plain = decompress(value);
    // every line takes at least 2 bytes (tag + length): a count beyond that cannot be right, and must not size arrays
    if (count > plain.length / 2 + 1) {
      throw new KafkaFormatException("bad_header", KafkaHeaders.COUNT + " " + count + " lines cannot fit "
          + plain.length + " decoded bytes", null);
    }
    Batch batch = new Batch(plain, count, indexes);
    int lines = 0;
    CodedInputStream in = CodedInputStream.newInstance(plain);
    in.setSizeLimit(Integer.MAX_VALUE);
    try {
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (tag == BatchValueWriter.RESOURCE_TAG) {
          batch.resource.add(in.readMessage(KeyValue.parser(), ExtensionRegistryLite.getEmptyRegistry()));
          continue;
        }
        if (tag != BatchValueWriter.RECORDS_TAG) {
          if (WireFormat.getTagFieldNumber(tag) == 0) {
            throw new KafkaFormatException("bad_value", "field number 0 in a LogBatch", null);
          }
          in.skipField(tag); // a field this reader does not know: not a line
          continue;
        }
        int length = in.readRawVarint32();
        int at = in.getTotalBytesRead();
        if (length < 0 || length > plain.length - at) {
          throw new KafkaFormatException("bad_value", "a record of " + length + " bytes runs past the value", null);
        }
        if (lines == count) {
          throw new KafkaFormatException("bad_value", "the value holds more lines than " + KafkaHeaders.COUNT + " "
              + count, null);
        }
        in.skipRawBytes(length);
        batch.offsets[lines] = at;
        batch.lengths[lines] = length;
        lines++;
      }
    } catch (IOException e) { // InvalidProtocolBufferException included
      throw new KafkaFormatException("bad_value", "not a sluice.v1.LogBatch: " + e.getMessage(), e);
    }
    if (lines != count) {
      throw new KafkaFormatException("bad_value", KafkaHeaders.COUNT + " is " + count + " but the value holds "
          + lines + " lines", null);
    }
    return batch;
  }

  /**
   * The {@code resource.<key>} attributes every line of {@code batch} gets where it lacks them: the
   * {@link KafkaHeaders#RESOURCE} header's entries overlaid by the value's own resource, key by key, in first-seen key
   * order (the collector's merge of Hello's and the batch's resource).
   */
  private static List<KeyValue> enrichment(Headers headers, Batch batch) throws KafkaFormatException {
    byte[] header = headers.get(KafkaHeaders.RESOURCE);
    if (header == null && batch.resource.isEmpty()) {
      return List.of();
    }
    Map<String, AnyValue> merged = new LinkedHashMap<>();
    if (header != null) {
      try {
        for (KeyValue kv : LogBatch.parseFrom(header).getResourceList()) {
          merged.put(kv.getKey(), kv.getValue());
        }
      } catch (InvalidProtocolBufferException e) {
        throw new KafkaFormatException("bad_header", KafkaHeaders.RESOURCE + " is not a sluice.v1.LogBatch: "
            + e.getMessage(), e);
      }
    }
    for (KeyValue kv : batch.resource) {
      merged.put(kv.getKey(), kv.getValue());
    }
    List<KeyValue> out = new ArrayList<>(merged.size());
    merged.forEach((k, v) -> out.add(KeyValue.newBuilder().setKey(RESOURCE_PREFIX + k).setValue(v).build()));
    return out;
  }

  /** The line with the resource attributes it lacks appended, in resource order (the collector's enrichment). */
  private static LogRecord enrich(LogRecord.Builder b, List<KeyValue> enrichment) {
    Set<String> present = null;
    for (KeyValue kv : b.getAttributesList()) {
      if (kv.getKey().startsWith(RESOURCE_PREFIX)) {
        if (present == null) {
          present = new HashSet<>();
        }
        present.add(kv.getKey());
      }
    }
    for (KeyValue kv : enrichment) {
      if (present == null || !present.contains(kv.getKey())) {
        b.addAttributes(kv);
      }
    }
    return b.build();
  }

  private byte[] decompress(byte[] value) throws KafkaFormatException {
    long declared;
    try {
      declared = Zstd.getFrameContentSize(value);
    } catch (RuntimeException e) {
      throw new KafkaFormatException("bad_value", "not a zstd frame: " + e.getMessage(), e);
    }
    if (declared == -1L /* ZSTD_CONTENTSIZE_UNKNOWN */) {
      throw new KafkaFormatException("bad_value", "the zstd frame does not declare its decoded size", null);
    }
    if (declared < 0) {
      throw new KafkaFormatException("bad_value", "not a zstd frame", null);
    }
    if (declared > maxDecodedBytes) {
      throw new KafkaFormatException("too_large", "the value declares " + declared + " decoded bytes; this reader "
          + "takes at most " + maxDecodedBytes, null);
    }
    byte[] out;
    try {
      // proto's one bounded codec: allocates at most the declared size, refuses a frame that holds more
      out = ZstdCodec.forThisThread(BatchValueWriter.DEFAULT_LEVEL).decompress(value, maxDecodedBytes);
    } catch (WireException e) {
      throw new KafkaFormatException(e.reason() == WireException.Reason.DECOMPRESSED_TOO_LARGE ? "too_large"
          : "bad_value", "not valid zstd: " + e.getMessage(), e);
    }
    if (out.length != declared) {
      throw new KafkaFormatException("bad_value", "the zstd frame declares " + declared + " bytes but holds "
          + out.length, null);
    }
    return out;
  }

  private static String utf8(Headers h, String name, boolean required) throws KafkaFormatException {
    byte[] b = h.get(name);
    if (b == null) {
      if (required) {
        throw new KafkaFormatException("missing_header", "no " + name + " header", null);
      }
      return "";
    }
    return new String(b, StandardCharsets.UTF_8);
  }

  private static long fixed(Headers h, String name, int length) throws KafkaFormatException {
    byte[] b = h.get(name);
    if (b == null) {
      throw new KafkaFormatException("missing_header", "no " + name + " header", null);
    }
    if (b.length != length) {
      throw new KafkaFormatException("bad_header", name + " has " + b.length + " bytes, expected " + length
          + " (big-endian)", null);
    }
    return length == 8 ? KafkaHeaders.readInt64(b) : KafkaHeaders.readInt32(b);
  }
}
