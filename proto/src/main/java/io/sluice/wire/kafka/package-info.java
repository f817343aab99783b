/**
 * The Kafka records Sluice writes, in one place: header names ({@link io.sluice.wire.kafka.KafkaHeaders}), the two
 * formats ({@link io.sluice.wire.kafka.KafkaFormat}: one record per line, or one per client batch and destination
 * topic), the batch value writer ({@link io.sluice.wire.kafka.BatchValueWriter}, fed by
 * {@link io.sluice.wire.kafka.RecordSlices}) and a bounded reader of both
 * ({@link io.sluice.wire.kafka.KafkaRecordReader}). Depends on protobuf-java and zstd-jni only.
 */
package io.sluice.wire.kafka;
