package io.sluice.collector.ingest;

import io.sluice.collector.NackReason;

/**
 * Why {@link Admission} refused a batch or request before anything of it was published, and whether (and when) to
 * try again. A stream answers it with a Nack, OTLP and HTTP with the matching status.
 */
public final class Rejected extends Exception {
  private final NackReason reason;
  private final long retryAfterMs;

  public Rejected(NackReason reason, String message, long retryAfterMs) {
    super(reason.name() + ": " + message, null, false, false); // a verdict, not a failure: no stack trace
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }

  public NackReason reason() {
    return reason;
  }

  /** Milliseconds to wait before retrying (retryable reasons), else 0. */
  public long retryAfterMs() {
    return retryAfterMs;
  }

  /** The message without the leading reason name. */
  public String detail() {
    return getMessage().substring(reason.name().length() + 2);
  }
}
