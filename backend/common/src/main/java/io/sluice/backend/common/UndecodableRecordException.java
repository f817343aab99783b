package io.sluice.backend.common;

/**
 * A Kafka record that is not a Sluice record of either format (missing identity header, unknown schema, a value that does not
 * parse). Jobs count these by {@link #reason()} and skip them; they never stop a pipeline.
 */
public final class UndecodableRecordException extends Exception {
  private final String reason;

  public UndecodableRecordException(String reason, String detail, Throwable cause) {
    super(reason + ": " + detail, cause);
    this.reason = reason;
  }

  /** A short, stable, metric-friendly reason: {@code missing_header}, {@code bad_header}, {@code unknown_schema}, {@code bad_value}, {@code too_large}. */
  public String reason() {
    return reason;
  }
}
