package io.sluice.collector.publish;

import io.sluice.proto.v1.LogRecord;
import java.util.Collections;
import java.util.List;

/**
 * One accepted batch, ready to publish: records already enriched and routed, with the identity every record carries
 * (source, epoch, sequence, index in batch) and the partition key chosen from its resource.
 *
 * @param source the client_id from Hello
 * @param epoch the spool epoch from Hello
 * @param tenant the authenticated tenant ("" when anonymous without one)
 * @param sequence the batch's sequence number
 * @param partitionKey UTF-8 Kafka key shared by every record of the batch
 * @param records the records, in batch order
 * @param decodedBytes size of the decoded LogBatch, used for in-flight accounting
 * @param topics the topic of each record (same order), or empty for the publisher's default topic
 * @param reasons for each record, why it was dead-lettered ({@code sluice.reason} header), "" for good ones; or
 *     empty when none was
 */
public record PublishBatch(
    String source,
    long epoch,
    String tenant,
    long sequence,
    String partitionKey,
    List<LogRecord> records,
    long decodedBytes,
    List<String> topics,
    List<String> reasons) {

  public PublishBatch {
    records = List.copyOf(records);
    topics = List.copyOf(topics);
    reasons = List.copyOf(reasons);
    if (!topics.isEmpty() && topics.size() != records.size()
        || !reasons.isEmpty() && reasons.size() != records.size()) {
      throw new IllegalArgumentException("topics and reasons must be empty or one per record");
    }
  }

  /** A batch for the publisher's default topic, nothing dead-lettered. */
  public PublishBatch(String source, long epoch, String tenant, long sequence, String partitionKey,
      List<LogRecord> records, long decodedBytes) {
    this(source, epoch, tenant, sequence, partitionKey, records, decodedBytes, Collections.emptyList(),
        Collections.emptyList());
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
