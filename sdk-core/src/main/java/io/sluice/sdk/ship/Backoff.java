package io.sluice.sdk.ship;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;

/**
 * Exponential reconnect delay with jitter (resilience4j's randomized exponential interval): attempt 1 waits about
 * {@code min}, each further attempt doubles it, capped at {@code max}, each randomized by ±50%. Not thread-safe.
 */
public final class Backoff {
  private final IntervalFunction intervals;
  private final long maxMs;
  private int attempt;

  public Backoff(Duration min, Duration max) {
    this.maxMs = max.toMillis();
    this.intervals = IntervalFunction.ofExponentialRandomBackoff(min, 2.0, 0.5, max);
  }

  /** The delay before the next attempt, in milliseconds. */
  public long nextDelayMs() {
    attempt = Math.min(attempt + 1, 62);
    return Math.min(maxMs, intervals.apply(attempt));
  }

  /** After a success: the next failure starts from {@code min} again. */
  public void reset() {
    attempt = 0;
  }

  public int attempts() {
    return attempt;
  }
}
