package io.sluice.wire.kafka;

/**
 * A Kafka record that is not a Sluice record of either format: a missing or malformed header, an unknown schema, a
 * value that does not decode or that would decode past the reader's byte cap. {@link #reason()} is short and
 * stable, for metrics: {@code missing_header}, {@code bad_header}, {@code unknown_schema}, {@code bad_value},
 * {@code too_large}.
 */
public final class KafkaFormatException extends Exception {
  private final String reason;

  public KafkaFormatException(String reason, String detail, Throwable cause) {
    super(reason + ": " + detail, cause);
    this.reason = reason;
  }

  public String reason() {
    return reason;
  }
}
