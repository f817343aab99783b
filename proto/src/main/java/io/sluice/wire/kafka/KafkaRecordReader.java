package io.sluice.wire.kafka;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a Kafka record of either {@link KafkaFormat} into its lines, each with its identity. The format comes from
 * the {@link KafkaHeaders#SCHEMA} header (a record without one is read as the record format, what collectors before
 * 0.2 wrote). Headers are looked up by name ({@code Map::get}, or Kafka's {@code lastHeader}), so this class needs no
 * Kafka client.
 *
 * <p>Bounded: a batch value must declare its decoded size in its zstd frame, and a size above {@code maxDecodedBytes}
 * is refused ({@code too_large}) before anything is allocated; {@link KafkaHeaders#COUNT} must match the lines found.
 * Stateless and thread-safe.
 */
public final class KafkaRecordReader {
  /** Default cap on a batch value's decoded size: 64 MiB, above the collector's largest decoded client batch. */
  public static final int DEFAULT_MAX_DECODED_BYTES = 64 << 20;

  /** A record's headers, last value per name; null when absent. */
  @FunctionalInterface
  public interface Headers {
    byte[] get(String name);
  }

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

  /** Every line of the record, in value order. */
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
    // every line takes at least 2 bytes (tag + length): a count beyond that cannot be right, and must not size a list
    if (count > plain.length / 2 + 1) {
      throw new KafkaFormatException("bad_header", KafkaHeaders.COUNT + " " + count + " lines cannot fit "
          + plain.length + " decoded bytes", null);
    }
    List<KafkaLine> lines = new ArrayList<>(count);
    CodedInputStream in = CodedInputStream.newInstance(plain);
    in.setSizeLimit(Integer.MAX_VALUE);
    try {
      while (!in.isAtEnd()) {
        int tag = in.readTag();
        if (tag != BatchValueWriter.RECORDS_TAG) {
          in.skipField(tag); // resource (field 1) or a field this reader does not know: not a line
          if (WireFormat.getTagFieldNumber(tag) == 0) {
            throw new KafkaFormatException("bad_value", "field number 0 in a LogBatch", null);
          }
          continue;
        }
        int length = in.readRawVarint32();
        int at = in.getTotalBytesRead();
        if (length < 0 || length > plain.length - at) {
          throw new KafkaFormatException("bad_value", "a record of " + length + " bytes runs past the value", null);
        }
        if (lines.size() == count) {
          throw new KafkaFormatException("bad_value", "the value holds more lines than " + KafkaHeaders.COUNT + " "
              + count, null);
        }
        LogRecord r = LogRecord.parser().parseFrom(plain, at, length);
        in.skipRawBytes(length);
        int i = lines.size();
        int idx = indexes == null ? i : ((indexes[4 * i] & 0xFF) << 24 | (indexes[4 * i + 1] & 0xFF) << 16
            | (indexes[4 * i + 2] & 0xFF) << 8 | (indexes[4 * i + 3] & 0xFF));
        lines.add(new KafkaLine(source, epoch, seq, idx, tenant, reason, r, length));
      }
    } catch (InvalidProtocolBufferException e) {
      throw new KafkaFormatException("bad_value", "not a sluice.v1.LogBatch: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new KafkaFormatException("bad_value", "not a sluice.v1.LogBatch: " + e.getMessage(), e);
    }
    if (lines.size() != count) {
      throw new KafkaFormatException("bad_value", KafkaHeaders.COUNT + " is " + count + " but the value holds "
          + lines.size() + " lines", null);
    }
    return lines;
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
    try {
      // allocates exactly the declared size and fails if the frame holds more
      byte[] out = Zstd.decompress(value, (int) declared);
      if (out.length != declared) {
        throw new KafkaFormatException("bad_value", "the zstd frame declares " + declared + " bytes but holds "
            + out.length, null);
      }
      return out;
    } catch (RuntimeException e) {
      throw new KafkaFormatException("bad_value", "not valid zstd: " + e.getMessage(), e);
    }
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
