package io.sluice.collector.ingest;

import io.sluice.collector.NackReason;

/** A batch that can never be accepted; becomes a Nack with {@link #reason()} and the message as its text. */
public final class BatchRejectedException extends Exception {
  private final NackReason reason;

  public BatchRejectedException(NackReason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public NackReason reason() {
    return reason;
  }
}
