package io.sluice.collector.publish;

import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.IntFunction;

/**
 * One accepted batch, ready to publish: each record's Kafka value (an encoded {@code sluice.v1.LogRecord}, already
 * enriched and routed; or, on the ingest path, the decoded client batch from which the values are made when needed,
 * see {@link #ofDecoded}), with the identity every record carries (source, epoch, sequence, index in batch) and the
 * partition key chosen from its resource. Immutable once built: the value arrays are handed over, not copied, and
 * nobody writes to them afterwards.
 */
public final class PublishBatch {
  private final String source;
  private final long epoch;
  private final String tenant;
  private final long sequence;
  private final String partitionKey;
  private final List<byte[]> values; // the values; on the decoded path the dead-lettered lines' own values (else null)
  private final DecodedBatch decoded; // the decoded path: the client's records as sent, else null
  private final byte[] resource;
  private final int[] valueLengths;
  private final IntFunction<byte[]> splice;
  private final long decodedBytes;
  private final List<String> topics;
  private final List<String> reasons;

  /**
   * A batch whose values are already encoded (the ingest path splices them from the decoded LogBatch, see
   * {@code RecordEnricher}).
   *
   * @param source the client_id from Hello
   * @param epoch the spool epoch from Hello
   * @param tenant the authenticated tenant ("" when anonymous without one)
   * @param sequence the batch's sequence number
   * @param partitionKey UTF-8 Kafka key shared by every record of the batch
   * @param values each record's Kafka value, an encoded LogRecord, in batch order
   * @param decodedBytes size of the decoded LogBatch, used for in-flight accounting
   * @param topics the topic of each record (same order), or empty for the publisher's default topic
   * @param reasons for each record, why it was dead-lettered ({@code sluice.reason} header), "" for good ones; or
   *     empty when none was
   */
  public static PublishBatch ofValues(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<byte[]> values, long decodedBytes, List<String> topics, List<String> reasons) {
    return new PublishBatch(source, epoch, tenant, sequence, partitionKey, List.copyOf(values), decodedBytes,
        topics, reasons, true);
  }

  /** A batch of records, encoded here (one {@code toByteArray()} each); see {@link #ofValues} for the arguments. */
  public PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<LogRecord> records, long decodedBytes, List<String> topics, List<String> reasons) {
    this(source, epoch, tenant, sequence, partitionKey, encode(records), decodedBytes, topics, reasons, true);
  }

  /**
   * Like {@link #ofValues}, taking the arrays over without copying them (the caller must not write to them
   * afterwards): the ingest path's per-batch columns.
   *
   * @param topics the topic of each record
   * @param reasons for each record, why it was dead-lettered ("" for good ones), or null when none was
   */
  public static PublishBatch ofArrays(String source, long epoch, String tenant, long sequence, String partitionKey,
      byte[][] values, long decodedBytes, String[] topics, String[] reasons) {
    return new PublishBatch(source, epoch, tenant, sequence, partitionKey, Arrays.asList(values), decodedBytes,
        Arrays.asList(topics), reasons == null ? List.of() : Arrays.asList(reasons), false);
  }

  /** A batch for the publisher's default topic, nothing dead-lettered. */
  public PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<LogRecord> records, long decodedBytes) {
    this(source, epoch, tenant, sequence, partitionKey, records, decodedBytes, Collections.emptyList(),
        Collections.emptyList());
  }

  /**
   * A batch published from its decoded bytes (the ingest path): nothing is copied or encoded until the publisher
   * needs it. A batch-format Kafka record holds the client's own records ({@link #decoded()}, or its zstd frame as
   * sent) and the resource in a header ({@link #resource()}); a record-format one is spliced here per line
   * ({@code splice}: the record's bytes and the {@code resource.*} attributes it lacks).
   *
   * @param resource the merged resource every line gets, encoded as a LogBatch of only resource entries, or null
   * @param valueLengths the length of each line's record-format value ({@code splice(i).length}, computed without
   *     building it)
   * @param splice builds line {@code i}'s record-format value
   * @param deadLetterValues per line, the value of a line dead-lettered on admission (its reason is in
   *     {@code reasons}), else null; or null when none was
   * @param topics the topic of each record
   * @param reasons for each record, why it was dead-lettered ("" for good ones), or null when none was
   */
  public static PublishBatch ofDecoded(String source, long epoch, String tenant, long sequence, String partitionKey,
      DecodedBatch decoded, byte[] resource, int[] valueLengths, IntFunction<byte[]> splice,
      byte[][] deadLetterValues, long decodedBytes, String[] topics, String[] reasons) {
    return new PublishBatch(source, epoch, tenant, sequence, partitionKey,
        deadLetterValues == null ? null : Arrays.asList(deadLetterValues), decoded, resource, valueLengths, splice,
        decodedBytes, Arrays.asList(topics), reasons == null ? List.of() : Arrays.asList(reasons));
  }

  private PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<byte[]> deadLetterValues, DecodedBatch decoded, byte[] resource, int[] valueLengths,
      IntFunction<byte[]> splice, long decodedBytes, List<String> topics, List<String> reasons) {
    this.source = Objects.requireNonNull(source, "source");
    this.epoch = epoch;
    this.tenant = Objects.requireNonNull(tenant, "tenant");
    this.sequence = sequence;
    this.partitionKey = Objects.requireNonNull(partitionKey, "partitionKey");
    this.values = deadLetterValues;
    this.decoded = Objects.requireNonNull(decoded, "decoded");
    this.resource = resource;
    this.valueLengths = valueLengths;
    this.splice = splice;
    this.decodedBytes = decodedBytes;
    this.topics = Collections.unmodifiableList(topics);
    this.reasons = Collections.unmodifiableList(reasons);
    if (valueLengths.length != decoded.size() || !this.topics.isEmpty() && this.topics.size() != decoded.size()
        || !this.reasons.isEmpty() && this.reasons.size() != decoded.size()
        || deadLetterValues != null && deadLetterValues.size() != decoded.size()) {
      throw new IllegalArgumentException("lengths, topics, reasons and dead-letter values must be one per record");
    }
  }

  private PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<byte[]> values, long decodedBytes, List<String> topics, List<String> reasons, boolean copyLists) {
    this.decoded = null;
    this.resource = null;
    this.valueLengths = null;
    this.splice = null;
    this.source = Objects.requireNonNull(source, "source");
    this.epoch = epoch;
    this.tenant = Objects.requireNonNull(tenant, "tenant");
    this.sequence = sequence;
    this.partitionKey = Objects.requireNonNull(partitionKey, "partitionKey");
    this.values = values;
    this.decodedBytes = decodedBytes;
    this.topics = copyLists ? List.copyOf(topics) : Collections.unmodifiableList(topics);
    this.reasons = copyLists ? List.copyOf(reasons) : Collections.unmodifiableList(reasons);
    if (!this.topics.isEmpty() && this.topics.size() != values.size()
        || !this.reasons.isEmpty() && this.reasons.size() != values.size()) {
      throw new IllegalArgumentException("topics and reasons must be empty or one per record");
    }
  }

  private static List<byte[]> encode(List<LogRecord> records) {
    List<byte[]> out = new ArrayList<>(records.size());
    for (LogRecord r : records) {
      out.add(r.toByteArray());
    }
    return Collections.unmodifiableList(out);
  }

  public String source() {
    return source;
  }

  public long epoch() {
    return epoch;
  }

  public String tenant() {
    return tenant;
  }

  public long sequence() {
    return sequence;
  }

  public String partitionKey() {
    return partitionKey;
  }

  /** Number of records. */
  public int size() {
    return decoded != null ? decoded.size() : values.size();
  }

  /**
   * The record-format Kafka value of record {@code i}: an encoded LogRecord with its resource. On the decoded path it
   * is built by each call (the publisher asks once per line sent in the record format). Do not modify.
   */
  public byte[] value(int i) {
    if (decoded == null) {
      return values.get(i);
    }
    byte[] own = values == null ? null : values.get(i);
    return own != null ? own : splice.apply(i);
  }

  /** The length of {@link #value}{@code (i)}, without building it. */
  public int valueLength(int i) {
    if (decoded == null) {
      return values.get(i).length;
    }
    byte[] own = values == null ? null : values.get(i);
    return own != null ? own.length : valueLengths[i];
  }

  /** True if line {@code i} was dead-lettered on admission and has a value of its own (maybe a truncated copy). */
  public boolean hasOwnValue(int i) {
    return decoded == null || values != null && values.get(i) != null;
  }

  /**
   * The decoded client batch whose records are published as they were sent (the batch format carries them with the
   * resource in a header), or null for a batch built from values.
   */
  public DecodedBatch decoded() {
    return decoded;
  }

  /**
   * The resource every line gets, encoded as a LogBatch of only its resource entries (the
   * {@link io.sluice.wire.kafka.KafkaHeaders#RESOURCE} header of the batch format), or null when there is none or the
   * values carry it already.
   */
  public byte[] resource() {
    return resource;
  }

  /** The records, decoded from their values (parses every value: for tests and diagnostics, not the hot path). */
  public List<LogRecord> records() {
    List<LogRecord> out = new ArrayList<>(size());
    for (int i = 0; i < size(); i++) {
      byte[] v = value(i);
      try {
        out.add(LogRecord.parseFrom(v));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("value " + out.size() + " is not a LogRecord", e);
      }
    }
    return out;
  }

  /** The values as {@link RecordSlices} (a view, not a copy), from which batch-format Kafka values are framed. */
  public io.sluice.wire.kafka.RecordSlices slices() {
    if (decoded == null) {
      return io.sluice.wire.kafka.RecordSlices.ofArrays(values);
    }
    return new io.sluice.wire.kafka.RecordSlices() {
      @Override
      public int size() {
        return decoded.size();
      }

      @Override
      public int length(int i) {
        return valueLength(i);
      }

      @Override
      public void copyTo(int i, byte[] dest, int offset) {
        byte[] v = value(i);
        System.arraycopy(v, 0, dest, offset, v.length);
      }
    };
  }

  public long decodedBytes() {
    return decodedBytes;
  }

  public List<String> topics() {
    return topics;
  }

  public List<String> reasons() {
    return reasons;
  }

  /** The topic of record {@code i}, or null for the publisher's default. */
  public String topic(int i) {
    return topics.isEmpty() ? null : topics.get(i);
  }

  /** Why record {@code i} was dead-lettered, or "" if it was not. */
  public String reason(int i) {
    return reasons.isEmpty() ? "" : reasons.get(i);
  }
}
