package io.sluice.sdk.ship;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Exponential reconnect delay with full jitter, capped: attempt {@code n} waits a uniformly random time in
 * {@code [min, min(max, min * 2^(n-1))]}, so attempt 1 waits {@code min} and a fleet that lost its collector at the
 * same moment spreads its reconnects over the whole window instead of arriving in waves ("full jitter", as in the
 * AWS Architecture Blog's "Exponential Backoff And Jitter"; {@code min} stays a floor). Not thread-safe.
 */
public final class Backoff {
  private final long minMs;
  private final long maxMs;
  /** Given a bound b >= 1, a uniformly random value in [0, b). Injected by tests. */
  private final LongUnaryOperator random;
  private int attempt;

  public Backoff(Duration min, Duration max) {
    this(min, max, bound -> ThreadLocalRandom.current().nextLong(bound));
  }

  Backoff(Duration min, Duration max, LongUnaryOperator random) {
    this.minMs = Math.max(1, min.toMillis());
    this.maxMs = Math.max(minMs, max.toMillis());
    this.random = random;
  }

  /** The delay before the next attempt, in milliseconds: in {@code [min, max]}. */
  public long nextDelayMs() {
    attempt = Math.min(attempt + 1, 62);
    // min * 2^(attempt-1), saturating at max without overflowing.
    int shift = attempt - 1;
    long ceiling = shift >= Long.numberOfLeadingZeros(minMs) - 1 ? maxMs : Math.min(maxMs, minMs << shift);
    return minMs + random.applyAsLong(ceiling - minMs + 1);
  }

  /** After a success: the next failure starts from {@code min} again. */
  public void reset() {
    attempt = 0;
  }

  public int attempts() {
    return attempt;
  }
}
