package io.sluice.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A decoded LogBatch as bytes plus what a receiver (the collector) reads of each record, so that records are published as the
 * client encoded them and never parsed into objects on the hot path. Record {@code i} is
 * {@code bytes[offset(i), offset(i) + length(i))}; its severity, trace/span id sizes and its attribute names that
 * start with {@code resource.} are kept beside it; {@link #record(int)} parses it in full when a rule needs more
 * (dead-lettering, routing on a record's own {@code service.name}). Immutable after {@link #scan}; thread-safe.
 *
 * <p>{@link #scan} accepts exactly the bytes that {@code LogBatch.parseFrom} accepts: it walks every field of every
 * record in place, reading varints, tags and lengths as protobuf's {@code CodedInputStream} does and checking them
 * against the enclosing message's end, skips unknown fields as protobuf does, and checks proto3 strings for
 * well-formed UTF-8. Whatever it does not handle
 * itself — any error, groups, nesting deeper than {@value #MAX_DEPTH} — it hands to {@code LogBatch.parseFrom}, whose
 * verdict and message stand: the scan can only be stricter than protobuf, never more lenient.
 */
public final class DecodedBatch {
  /** Deeper nesting is left to protobuf's parser (its recursion limit is 100). */
  public static final int MAX_DEPTH = 64;

  /**
   * Attributes whose names start with this are kept per record ({@link #resourceAttributeKeys}): the collector copies
   * resource attributes into records under it, and must know which a record already carries.
   */
  public static final String RESOURCE_ATTRIBUTE_PREFIX = "resource.";

  private static final int RECORDS_TAG =
      LogBatch.RECORDS_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED; // WireFormat.makeTag is not public
  private static final int RESOURCE_TAG = LogBatch.RESOURCE_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final byte[] RESOURCE_PREFIX = RESOURCE_ATTRIBUTE_PREFIX.getBytes(StandardCharsets.UTF_8);

  private final byte[] bytes;
  private final List<KeyValue> resource;
  private final int size;
  private final int[] fieldOffsets;
  private final int[] offsets;
  private final int[] lengths;
  private final int[] severities;
  private final int[] traceIdSizes;
  private final int[] spanIdSizes;
  private final String[][] resourceKeys;
  /** The resource fields' ranges in {@link #bytes}: start, end, start, end, ... */
  private final int[] resourceFields;
  private final LogBatch parsed; // set when the batch came from LogBatch.parseFrom (fallback, tests)
  private final byte[] zstdFrame; // the one zstd frame bytes was decoded from, when it declares its size; else null

  private DecodedBatch(byte[] bytes, List<KeyValue> resource, Records r, int[] resourceFields, LogBatch parsed) {
    this(bytes, resource, r, resourceFields, parsed, null);
  }

  private DecodedBatch(byte[] bytes, List<KeyValue> resource, Records r, int[] resourceFields, LogBatch parsed,
      byte[] zstdFrame) {
    this.zstdFrame = zstdFrame;
    this.bytes = bytes;
    this.resourceFields = resourceFields;
    this.resource = resource;
    this.size = r.n;
    this.fieldOffsets = r.fieldOffsets;
    this.offsets = r.offsets;
    this.lengths = r.lengths;
    this.severities = r.severities;
    this.traceIdSizes = r.traceIdSizes;
    this.spanIdSizes = r.spanIdSizes;
    this.resourceKeys = r.resourceKeys;
    this.parsed = parsed;
  }

  /**
   * Scans {@code bytes} as a LogBatch.
   *
   * @param expectedRecords the declared record count, used only to size arrays
   * @throws InvalidProtocolBufferException exactly when {@code LogBatch.parseFrom(bytes)} throws, with its message
   */
  public static DecodedBatch scan(byte[] bytes, int expectedRecords) throws InvalidProtocolBufferException {
    DecodedBatch fast = Scanner.scan(bytes, Math.max(0, Math.min(expectedRecords, bytes.length / 2)));
    return fast != null ? fast : of(bytes, LogBatch.parseFrom(bytes));
  }

  /** From a batch already parsed from {@code bytes} (the fallback of {@link #scan}, and tests). */
  public static DecodedBatch of(byte[] bytes, LogBatch batch) {
    int n = batch.getRecordsCount();
    Records r = new Records(n);
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    int[] resourceFields = new int[2 * batch.getResourceCount()];
    int resources = 0;
    try {
      while (!in.isAtEnd()) {
        int at = in.getTotalBytesRead();
        int tag = in.readTag();
        if (tag == RECORDS_TAG) {
          int len = in.readRawVarint32();
          int i = r.n;
          if (i == n) {
            throw new IllegalStateException("more records in the bytes of a LogBatch than the " + n + " it holds");
          }
          LogRecord rec = batch.getRecords(i);
          r.add(at, in.getTotalBytesRead(), len, rec.getSeverityNumberValue(), rec.getTraceId().size(),
              rec.getSpanId().size(), resourceKeys(rec));
          in.skipRawBytes(len);
        } else if (tag == RESOURCE_TAG && resources < batch.getResourceCount()) {
          int len = in.readRawVarint32();
          in.skipRawBytes(len);
          resourceFields[2 * resources] = at;
          resourceFields[2 * resources++ + 1] = in.getTotalBytesRead();
        } else if (!in.skipField(tag)) {
          break; // an end-group tag at the top level; parseFrom accepted the bytes, so nothing follows
        }
      }
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      throw new IllegalStateException("bytes that parsed as a LogBatch could not be walked", e);
    }
    if (r.n != n) {
      throw new IllegalStateException("found " + r.n + " records in the bytes of a LogBatch holding " + n);
    }
    return new DecodedBatch(bytes, batch.getResourceList(), r, Arrays.copyOf(resourceFields, 2 * resources), batch);
  }

  private static String[] resourceKeys(LogRecord rec) {
    List<String> keys = null;
    for (KeyValue kv : rec.getAttributesList()) {
      if (kv.getKey().startsWith(RESOURCE_ATTRIBUTE_PREFIX)) {
        if (keys == null) {
          keys = new ArrayList<>(2);
        }
        keys.add(kv.getKey());
      }
    }
    return keys == null ? null : keys.toArray(new String[0]);
  }

  private DecodedBatch(DecodedBatch d, byte[] zstdFrame) {
    this.bytes = d.bytes;
    this.resourceFields = d.resourceFields;
    this.resource = d.resource;
    this.size = d.size;
    this.fieldOffsets = d.fieldOffsets;
    this.offsets = d.offsets;
    this.lengths = d.lengths;
    this.severities = d.severities;
    this.traceIdSizes = d.traceIdSizes;
    this.spanIdSizes = d.spanIdSizes;
    this.resourceKeys = d.resourceKeys;
    this.parsed = d.parsed;
    this.zstdFrame = zstdFrame;
  }

  /**
   * This batch, remembering the zstd frame its bytes were decoded from ({@link BatchReader} calls it when the payload
   * is one frame that declares its content size, so any bounded reader can decode it again).
   */
  DecodedBatch withZstdFrame(byte[] frame) {
    return new DecodedBatch(this, frame);
  }

  /**
   * The single zstd frame (declaring its content size) that {@link #bytes()} was decoded from, as the client sent
   * it, or null (not compressed, several frames, no declared size, or not decoded from a frame). A receiver may pass it
   * on as it is instead of compressing the bytes again. Do not modify.
   */
  public byte[] zstdFrame() {
    return zstdFrame;
  }

  /** Encoded size of the resource fields: what {@link #slice} adds to the records' fields. */
  public int resourceFieldBytes() {
    int size = 0;
    for (int k = 0; k < resourceFields.length; k += 2) size += resourceFields[k + 1] - resourceFields[k];
    return size;
  }

  /** True if the scan left this batch to {@code LogBatch.parseFrom} (groups, deep nesting; for tests). */
  public boolean parsedInFull() {
    return parsed != null;
  }

  /** The whole decoded LogBatch, bytes. Do not modify. */
  public byte[] bytes() {
    return bytes;
  }

  /** The batch's resource attributes, in order. */
  public List<KeyValue> resource() {
    return resource;
  }

  public int size() {
    return size;
  }

  /**
   * Where record {@code i}'s field (its tag and length, then its bytes) starts in {@link #bytes()}: {@code
   * bytes[fieldOffset(i), offset(i) + length(i))} is the record exactly as it sits in the LogBatch, so a LogBatch of
   * some of the records is the concatenation of their fields ({@link #slice}), with no record re-encoded.
   */
  public int fieldOffset(int i) {
    return fieldOffsets[i];
  }

  /** The length of record {@code i}'s field: tag, length and bytes. */
  public int fieldLength(int i) {
    return offsets[i] + lengths[i] - fieldOffsets[i];
  }

  /** Where record {@code i}'s own bytes (the encoded LogRecord) start in {@link #bytes()}. */
  public int offset(int i) {
    return offsets[i];
  }

  public int length(int i) {
    return lengths[i];
  }

  /**
   * A LogBatch of this batch's resource and the records {@code indices[0, count)}, in that order, made of their
   * bytes as they are here (no record is parsed or re-encoded): how a batch is split by destination. {@code
   * slice(all indices)} equals {@link #bytes()} when the batch holds only resource and record fields, resource first.
   */
  public byte[] slice(int[] indices, int count) {
    byte[] out = new byte[sliceSize(indices, count)];
    sliceInto(indices, count, out);
    return out;
  }

  /** The size of {@link #slice}{@code (indices, count)}. */
  public int sliceSize(int[] indices, int count) {
    long size = resourceFieldBytes();
    for (int k = 0; k < count; k++) size += fieldLength(indices[k]);
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a slice of " + size + " bytes is larger than an array can hold");
    }
    return (int) size;
  }

  /**
   * Writes {@link #slice}{@code (indices, count)} into {@code out} from index 0 (at least {@link #sliceSize} long),
   * for a caller that reuses its buffer; returns the bytes written.
   */
  public int sliceInto(int[] indices, int count, byte[] out) {
    int p = 0;
    for (int k = 0; k < resourceFields.length; k += 2) {
      int n = resourceFields[k + 1] - resourceFields[k];
      System.arraycopy(bytes, resourceFields[k], out, p, n);
      p += n;
    }
    for (int k = 0; k < count; k++) {
      int i = indices[k];
      int n = fieldLength(i);
      System.arraycopy(bytes, fieldOffsets[i], out, p, n);
      p += n;
    }
    return p;
  }

  /** Record {@code i}'s {@code severity_number} as protobuf reads it (any int: enums are open). */
  public int severityNumber(int i) {
    return severities[i];
  }

  public int traceIdSize(int i) {
    return traceIdSizes[i];
  }

  public int spanIdSize(int i) {
    return spanIdSizes[i];
  }

  /** The names of record {@code i}'s attributes that start with {@code resource.}, in order; null if none. */
  public String[] resourceAttributeKeys(int i) {
    return resourceKeys[i];
  }

  /** Record {@code i} parsed in full: for the rare paths that need more than the fields kept here. */
  public LogRecord record(int i) {
    if (parsed != null) {
      return parsed.getRecords(i);
    }
    try {
      return LogRecord.parser().parseFrom(bytes, offsets[i], lengths[i]);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("record " + i + " of a scanned LogBatch does not parse", e);
    }
  }

  /**
   * The string value of record {@code i}'s first attribute named {@code key} that has one, or "" (what
   * {@code Router} reads for routing by a record's own service).
   */
  public String stringAttribute(int i, String key) {
    for (KeyValue kv : record(i).getAttributesList()) {
      if (kv.getKey().equals(key) && kv.getValue().hasStringValue()) {
        return kv.getValue().getStringValue();
      }
    }
    return "";
  }

  /** Growable per-record columns. Not thread-safe. */
  private static final class Records {
    int n;
    int[] fieldOffsets;
    int[] offsets;
    int[] lengths;
    int[] severities;
    int[] traceIdSizes;
    int[] spanIdSizes;
    String[][] resourceKeys;

    Records(int capacity) {
      int c = Math.max(capacity, 1);
      fieldOffsets = new int[c];
      offsets = new int[c];
      lengths = new int[c];
      severities = new int[c];
      traceIdSizes = new int[c];
      spanIdSizes = new int[c];
      resourceKeys = new String[c][];
    }

    void add(int fieldOffset, int offset, int length, int severity, int traceIdSize, int spanIdSize, String[] keys) {
      if (n == offsets.length) {
        int c = n * 2;
        fieldOffsets = Arrays.copyOf(fieldOffsets, c);
        offsets = Arrays.copyOf(offsets, c);
        lengths = Arrays.copyOf(lengths, c);
        severities = Arrays.copyOf(severities, c);
        traceIdSizes = Arrays.copyOf(traceIdSizes, c);
        spanIdSizes = Arrays.copyOf(spanIdSizes, c);
        resourceKeys = Arrays.copyOf(resourceKeys, c);
      }
      fieldOffsets[n] = fieldOffset;
      offsets[n] = offset;
      lengths[n] = length;
      severities[n] = severity;
      traceIdSizes[n] = traceIdSize;
      spanIdSizes[n] = spanIdSize;
      resourceKeys[n] = keys;
      n++;
    }
  }

  /**
   * The walk, over the array itself (a cursor and the end of the enclosing message; no {@link CodedInputStream}, whose
   * limit bookkeeping per nested message cost more than the walk). Varints, tags and lengths are read as protobuf
   * reads them; whatever protobuf might refuse — a varint over ten bytes or past the end, a length past the end, field
   * number 0, groups, bad UTF-8 — is {@link Unsure}: the scan ends with null and the caller lets protobuf decide. Tags
   * are compared whole (field number and wire type), as protobuf's generated parsers do: a known field with another
   * wire type is an unknown field, skipped.
   */
  private static final class Scanner {
    // kinds of fields in the tables below, indexed by tag
    private static final byte UNKNOWN = 0;
    private static final byte SCALAR = 1; // varint, fixed32/64, bytes: skipped (and so checked) by skipField
    private static final byte STRING = 2;
    private static final byte MESSAGE = 3;

    /** One message type: what each tag is, and the type of nested messages. */
    private static final class Type {
      final byte[] kinds = new byte[160];
      final Type[] children = new Type[160];

      Type scalar(int field, int wireType) {
        kinds[field << 3 | wireType] = SCALAR;
        return this;
      }

      Type string(int field) {
        kinds[field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED] = STRING;
        return this;
      }

      Type message(int field, Type type) {
        kinds[field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED] = MESSAGE;
        children[field << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED] = type;
        return this;
      }
    }

    private static final int VARINT = WireFormat.WIRETYPE_VARINT;
    private static final int FIXED64 = WireFormat.WIRETYPE_FIXED64;
    private static final int LEN = WireFormat.WIRETYPE_LENGTH_DELIMITED;
    private static final int FIXED32 = WireFormat.WIRETYPE_FIXED32;

    // sluice/v1/logs.proto, every message a LogRecord can hold
    private static final Type ANY_VALUE = new Type();
    private static final Type ARRAY_VALUE = new Type().message(1, ANY_VALUE);
    private static final Type KEY_VALUE = new Type().string(1).message(2, ANY_VALUE);
    private static final Type KEY_VALUE_LIST = new Type().message(1, KEY_VALUE);
    private static final Type STACK_FRAME = new Type().string(1).string(2).string(3).scalar(4, VARINT).string(5);
    private static final Type EXCEPTION_INFO = new Type();
    private static final Type SOURCE_INFO = new Type().string(1).scalar(2, VARINT).scalar(3, VARINT);
    private static final Type LOG_RECORD = new Type() // the scan reads fields 3, 6, 7 and 8 itself
        .scalar(1, FIXED64).scalar(2, FIXED64).string(4).message(5, ANY_VALUE)
        .scalar(9, FIXED32).string(10).string(11).scalar(12, VARINT).message(13, EXCEPTION_INFO)
        .message(14, SOURCE_INFO).string(15).message(16, ANY_VALUE).string(17).scalar(18, VARINT);

    static {
      ANY_VALUE.string(1).scalar(2, VARINT).scalar(3, VARINT).scalar(4, FIXED64).message(5, ARRAY_VALUE)
          .message(6, KEY_VALUE_LIST).scalar(7, LEN);
      EXCEPTION_INFO.string(1).string(2).message(3, STACK_FRAME).scalar(4, VARINT).message(5, EXCEPTION_INFO)
          .message(6, EXCEPTION_INFO).scalar(7, VARINT).message(8, EXCEPTION_INFO);
    }

    private static final int SEVERITY_TAG = LogRecord.SEVERITY_NUMBER_FIELD_NUMBER << 3 | VARINT;
    private static final int ATTRIBUTES_TAG = LogRecord.ATTRIBUTES_FIELD_NUMBER << 3 | LEN;
    private static final int TRACE_ID_TAG = LogRecord.TRACE_ID_FIELD_NUMBER << 3 | LEN;
    private static final int SPAN_ID_TAG = LogRecord.SPAN_ID_FIELD_NUMBER << 3 | LEN;
    private static final int KEY_TAG = KeyValue.KEY_FIELD_NUMBER << 3 | LEN;
    private static final int VALUE_TAG = KeyValue.VALUE_FIELD_NUMBER << 3 | LEN;

    /** Not a verdict: "let protobuf's parser decide". Carries no stack trace. */
    private static final class Unsure extends Exception {
      private static final Unsure INSTANCE = new Unsure();

      private Unsure() {
        super(null, null, false, false);
      }
    }

    private final byte[] bytes;
    private int pos;

    private Scanner(byte[] bytes) {
      this.bytes = bytes;
    }

    /** The scanned batch, or null when protobuf's parser must decide. */
    static DecodedBatch scan(byte[] bytes, int expectedRecords) {
      Scanner s = new Scanner(bytes);
      Records records = new Records(expectedRecords);
      List<int[]> resourceRanges = new ArrayList<>(8);
      int end = bytes.length;
      try {
        while (s.pos < end) {
          int at = s.pos;
          int tag = s.tag(end);
          if (tag == RECORDS_TAG) {
            s.record(records, at, end);
          } else if (tag == RESOURCE_TAG) {
            int len = s.length(end);
            int start = s.pos;
            s.fields(KEY_VALUE, 2, start + len);
            resourceRanges.add(new int[] {start, len, at});
          } else {
            s.skip(tag, end);
          }
        }
        List<KeyValue> resource = new ArrayList<>(resourceRanges.size());
        for (int[] r : resourceRanges) {
          resource.add(KeyValue.parser().parseFrom(bytes, r[0], r[1]));
        }
        int[] resourceFields = new int[2 * resourceRanges.size()];
        for (int i = 0; i < resourceRanges.size(); i++) {
          int[] r = resourceRanges.get(i);
          resourceFields[2 * i] = r[2];
          resourceFields[2 * i + 1] = r[0] + r[1];
        }
        return new DecodedBatch(bytes, List.copyOf(resource), records, resourceFields, null);
      } catch (IOException | Unsure | RuntimeException e) {
        return null; // RuntimeException: e.g. an index past the array, which protobuf reports as truncation
      }
    }

    /** One LogRecord (field 2 of LogBatch, at depth 1): its range and the fields the collector reads. */
    private void record(Records records, int fieldOffset, int end) throws Unsure {
      int len = length(end);
      int start = pos;
      int limit = start + len;
      int severity = 0;
      int traceIdSize = 0;
      int spanIdSize = 0;
      String[] resourceKeys = null;
      while (pos < limit) {
        int tag = tag(limit);
        if (tag == SEVERITY_TAG) {
          severity = varint32(limit); // readEnum: the last occurrence wins, as in protobuf
        } else if (tag == ATTRIBUTES_TAG) {
          String key = attribute(limit);
          if (key != null) {
            resourceKeys = append(resourceKeys, key);
          }
        } else if (tag == TRACE_ID_TAG) {
          traceIdSize = skipBytes(limit);
        } else if (tag == SPAN_ID_TAG) {
          spanIdSize = skipBytes(limit);
        } else {
          field(LOG_RECORD, tag, 2, limit);
        }
      }
      records.add(fieldOffset, start, len, severity, traceIdSize, spanIdSize, resourceKeys);
    }

    /** One attribute (a KeyValue at depth 2): its key if that starts with {@code resource.}, else null. */
    private String attribute(int end) throws Unsure {
      int len = length(end);
      int limit = pos + len;
      int keyOffset = 0;
      int keyLength = 0;
      while (pos < limit) {
        int tag = tag(limit);
        if (tag == KEY_TAG) {
          keyLength = length(limit);
          keyOffset = pos;
          pos += keyLength;
          utf8(keyOffset, keyLength);
        } else if (tag == VALUE_TAG) {
          message(ANY_VALUE, 3, limit);
        } else {
          skip(tag, limit);
        }
      }
      if (keyLength < RESOURCE_PREFIX.length
          || !Arrays.equals(bytes, keyOffset, keyOffset + RESOURCE_PREFIX.length,
              RESOURCE_PREFIX, 0, RESOURCE_PREFIX.length)) {
        return null;
      }
      return new String(bytes, keyOffset, keyLength, StandardCharsets.UTF_8);
    }

    /** The fields of a message of {@code type} at {@code depth}, up to {@code end}. */
    private void fields(Type type, int depth, int end) throws Unsure {
      while (pos < end) {
        field(type, tag(end), depth, end);
      }
    }

    private void field(Type type, int tag, int depth, int end) throws Unsure {
      byte kind = tag >= 0 && tag < type.kinds.length ? type.kinds[tag] : UNKNOWN;
      switch (kind) {
        case STRING -> {
          int len = length(end);
          int offset = pos;
          pos += len;
          utf8(offset, len);
        }
        case MESSAGE -> message(type.children[tag], depth + 1, end);
        default -> skip(tag, end); // a scalar, or an unknown field, which protobuf keeps among unknown fields
      }
    }

    private void message(Type type, int depth, int end) throws Unsure {
      if (depth > MAX_DEPTH) {
        throw Unsure.INSTANCE;
      }
      int len = length(end);
      fields(type, depth, pos + len);
    }

    /** Skips a field by its wire type, as protobuf's {@code skipField}; groups and bad wire types: Unsure. */
    private void skip(int tag, int end) throws Unsure {
      switch (tag & 7) {
        case VARINT -> skipVarint(end);
        case FIXED64 -> advance(8, end);
        case LEN -> {
          int len = length(end); // not "pos += length(end)": that adds to pos as it was before the length was read
          pos += len;
        }
        case FIXED32 -> advance(4, end);
        default -> throw Unsure.INSTANCE;
      }
    }

    private int skipBytes(int end) throws Unsure {
      int len = length(end);
      pos += len;
      return len;
    }

    private void advance(int n, int end) throws Unsure {
      if (end - pos < n) {
        throw Unsure.INSTANCE;
      }
      pos += n;
    }

    /** A tag, as protobuf's {@code readTag} reads it before the end: field number 0 is invalid (Unsure). */
    private int tag(int end) throws Unsure {
      int tag = varint32(end);
      if (tag >>> 3 == 0) {
        throw Unsure.INSTANCE;
      }
      return tag;
    }

    /** A length-delimited field's length: not negative, and within {@code end}. */
    private int length(int end) throws Unsure {
      int len = varint32(end);
      if (len < 0 || len > end - pos) {
        throw Unsure.INSTANCE;
      }
      return len;
    }

    /**
     * A varint read as protobuf's {@code readRawVarint32} reads it: up to ten bytes, the bits above 32 dropped; a
     * longer one, or one running past {@code end}, is Unsure.
     */
    private int varint32(int end) throws Unsure {
      int p = pos;
      byte[] b = bytes;
      if (p >= end) {
        throw Unsure.INSTANCE;
      }
      int x = b[p++];
      if (x >= 0) {
        pos = p;
        return x;
      }
      x &= 0x7F;
      for (int shift = 7; shift < 35; shift += 7) {
        if (p >= end) {
          throw Unsure.INSTANCE;
        }
        int v = b[p++];
        x |= (v & 0x7F) << shift;
        if (v >= 0) {
          pos = p;
          return x;
        }
      }
      for (int i = 0; i < 5; i++) {
        if (p >= end) {
          throw Unsure.INSTANCE;
        }
        if (b[p++] >= 0) {
          pos = p;
          return x;
        }
      }
      throw Unsure.INSTANCE;
    }

    private void skipVarint(int end) throws Unsure {
      int p = pos;
      for (int i = 0; i < 10; i++) {
        if (p >= end) {
          throw Unsure.INSTANCE;
        }
        if (bytes[p++] >= 0) {
          pos = p;
          return;
        }
      }
      throw Unsure.INSTANCE;
    }

    private void utf8(int offset, int len) throws Unsure {
      if (!Utf8Check.isWellFormed(bytes, offset, len)) {
        throw Unsure.INSTANCE;
      }
    }

    private static String[] append(String[] keys, String key) {
      if (keys == null) {
        return new String[] {key};
      }
      String[] out = Arrays.copyOf(keys, keys.length + 1);
      out[keys.length] = key;
      return out;
    }
  }
}
