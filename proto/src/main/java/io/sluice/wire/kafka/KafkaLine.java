package io.sluice.wire.kafka;

import io.sluice.proto.v1.LogRecord;

/**
 * One log line read from a Kafka record of either format, with its identity: (source, epoch, sequence, index) is
 * the same for every copy at-least-once delivery made of the line, whatever the format it was written in.
 *
 * @param source the spool's client id
 * @param epoch the spool's epoch
 * @param sequence the client batch's sequence number
 * @param index the line's index in its client batch
 * @param tenant the tenant ("" when none)
 * @param reason the dead-letter reason ({@link KafkaHeaders#REASON}), "" for lines that were not dead-lettered
 * @param record the line
 * @param sizeBytes the size of the line's encoded LogRecord
 */
public record KafkaLine(String source, long epoch, long sequence, int index, String tenant, String reason,
    LogRecord record, int sizeBytes) {}
