package io.sluice.collector.publish;

import io.sluice.proto.v1.LogRecord;
import java.util.List;

/**
 * One accepted batch, ready to publish: records already enriched, with the identity every record carries
 * (source, epoch, sequence, index in batch) and the partition key chosen from its resource.
 *
 * @param source the client_id from Hello
 * @param epoch the spool epoch from Hello
 * @param tenant the tenant from Hello ("" when none)
 * @param sequence the batch's sequence number
 * @param partitionKey UTF-8 Kafka key shared by every record of the batch
 * @param records the records, in batch order
 * @param decodedBytes size of the decoded LogBatch, used for in-flight accounting
 */
public record PublishBatch(
    String source,
    long epoch,
    String tenant,
    long sequence,
    String partitionKey,
    List<LogRecord> records,
    long decodedBytes) {

  public PublishBatch {
    records = List.copyOf(records);
  }
}
