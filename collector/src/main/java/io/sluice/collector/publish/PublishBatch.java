package io.sluice.collector.publish;

import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One accepted batch, ready to publish: each record's Kafka value (an encoded {@code sluice.v1.LogRecord}, already
 * enriched and routed), with the identity every record carries (source, epoch, sequence, index in batch) and the
 * partition key chosen from its resource. Immutable once built: the value arrays are handed over, not copied, and
 * nobody writes to them afterwards.
 */
public final class PublishBatch {
  private final String source;
  private final long epoch;
  private final String tenant;
  private final long sequence;
  private final String partitionKey;
  private final List<byte[]> values;
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

  private PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<byte[]> values, long decodedBytes, List<String> topics, List<String> reasons, boolean copyLists) {
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
    return values.size();
  }

  /** The Kafka value of record {@code i}: an encoded LogRecord. Do not modify. */
  public byte[] value(int i) {
    return values.get(i);
  }

  /** The records, decoded from their values (parses every value: for tests and diagnostics, not the hot path). */
  public List<LogRecord> records() {
    List<LogRecord> out = new ArrayList<>(values.size());
    for (byte[] v : values) {
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
    return io.sluice.wire.kafka.RecordSlices.ofArrays(values);
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
