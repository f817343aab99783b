package io.sluice.sdk.spool;

import java.util.Locale;

/**
 * What the pipeline does when a bound is reached (the hand-off queue or the spool's byte cap). Every refusal is
 * counted with a {@code DropReason} (package {@code pipeline}).
 */
public enum WhenFull {
  /**
   * Keep the newest data: the spool deletes its oldest unacknowledged batches to make room. The application never
   * waits; the loss falls on old data (counted as {@code SPOOL_FULL}). A full hand-off queue refuses the new record.
   */
  DROP_OLDEST,
  /**
   * Keep the oldest data: a new record (queue full) or batch (spool full) is refused and counted. The application
   * never waits; the loss falls on new data.
   */
  DROP_NEWEST,
  /**
   * Wait for room up to {@code blockTimeoutMs}, then drop the newest. The application's logging thread waits when
   * the queue is full: choose this only where losing a line is worse than a slow log call.
   */
  BLOCK;

  /** Parses {@code drop-oldest}, {@code DROP_OLDEST}, {@code block}, ... case-insensitively; null when unknown. */
  public static WhenFull parse(String text) {
    if (text == null) return null;
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (WhenFull w : values()) {
      if (w.name().equals(norm)) return w;
    }
    return null;
  }
}
