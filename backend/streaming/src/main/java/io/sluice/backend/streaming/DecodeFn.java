package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.UndecodableRecordException;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * Decodes each Kafka record into its {@link LogEvent}s (one, or a batch-format record's lines) stamped with its event time (the record's own time, which may
 * be older than the Kafka timestamp: an agent reading an old file). Undecodable records are counted in
 * {@code sluice.streaming/undecodable_<reason>} and skipped; they never fail the pipeline.
 */
final class DecodeFn extends DoFn<RawRecord, LogEvent> {
  static final String NAMESPACE = "sluice.streaming";
  static final String DECODED = "decoded";
  /**
   * Kafka records whose lines were all decoded: a batch-format Kafka record holds many lines, so the bounded run's
   * books compare the Kafka records read with these plus the undecodable ones, not with the lines.
   */
  static final String DECODED_KAFKA_RECORDS = "decoded_kafka_records";
  /** Records whose Kafka timestamp (the collector's send time) is more than a minute after their event time. */
  static final String LATE = "late_records";
  static final long LATE_AFTER_MS = 60_000L;

  // looked up once: Metrics.counter builds a MetricName per call
  private final Counter decoded = Metrics.counter(NAMESPACE, DECODED);
  private final Counter decodedKafkaRecords = Metrics.counter(NAMESPACE, DECODED_KAFKA_RECORDS);
  private final Counter late = Metrics.counter(NAMESPACE, LATE);

  @ProcessElement
  public void process(@Element RawRecord record, OutputReceiver<LogEvent> out) {
    try {
      // every line of the record, in either Kafka record format
      List<LogEvent> events = LogEvents.decode(record);
      decodedKafkaRecords.inc();
      for (LogEvent event : events) {
        decoded.inc();
        if (record.timestampMs() - event.timeMillis() > LATE_AFTER_MS) {
          late.inc();
        }
        out.outputWithTimestamp(event, new Instant(event.timeMillis()));
      }
    } catch (UndecodableRecordException e) {
      Metrics.counter(NAMESPACE, undecodableCounter(e.reason())).inc();
    } catch (RuntimeException e) {
      Metrics.counter(NAMESPACE, undecodableCounter("bad_value")).inc();
    }
  }

  static String undecodableCounter(String reason) {
    return "undecodable_" + reason;
  }

  /**
   * Event time may lie before the Kafka timestamp by any amount (a backlog shipped late); the windows' allowed
   * lateness, not this skew, decides what still counts.
   */
  @Override
  @SuppressWarnings("deprecation")
  public Duration getAllowedTimestampSkew() {
    return Duration.millis(Long.MAX_VALUE);
  }
}
