package io.sluice.backend.common;

import java.util.Map;

/**
 * A Kafka record as the collector wrote it, independent of any Kafka client version: key, headers (last value per
 * name), value (one encoded {@code sluice.v1.LogRecord}, or a compressed batch of them: see
 * {@link io.sluice.wire.kafka.KafkaFormat}) and the broker timestamp. Adapters from each engine's Kafka record type
 * build one of these and hand it to {@link LogEvents#decode}, which gives its lines.
 */
public record RawRecord(String topic, byte[] key, Map<String, byte[]> headers, byte[] value, long timestampMs) {}
