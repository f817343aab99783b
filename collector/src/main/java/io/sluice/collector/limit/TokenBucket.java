package io.sluice.collector.limit;

/**
 * A token bucket refilled at {@code ratePerSecond} up to {@code capacity}. A take that does not fit is refused
 * without consuming anything and says how long to wait; a take larger than the capacity passes when the bucket is
 * full and drives it negative (a debt repaid by the refill), so an oversized batch is slowed, never refused forever.
 * Time comes from the caller ({@code nowNanos}). Thread-safe (synchronized; callers hold it for nanoseconds).
 */
final class TokenBucket {
  private final double ratePerNano;
  private final double capacity;
  private double tokens;
  private long lastNanos;

  TokenBucket(double ratePerSecond, double capacity, long nowNanos) {
    this.ratePerNano = ratePerSecond / 1e9;
    this.capacity = Math.max(1, capacity);
    this.tokens = this.capacity;
    this.lastNanos = nowNanos;
  }

  /** 0 if {@code n} tokens were taken, else the nanoseconds until they would be there (nothing is taken). */
  synchronized long waitNanos(double n, long nowNanos) {
    refill(nowNanos);
    double need = Math.min(n, capacity);
    if (tokens >= need) {
      return 0;
    }
    double nanos = Math.ceil((need - tokens) / ratePerNano);
    return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, (long) nanos); // saturating, never 0 or negative
  }

  synchronized void take(double n) {
    tokens -= n;
  }

  private void refill(long nowNanos) {
    long elapsed = nowNanos - lastNanos;
    if (elapsed > 0) {
      tokens = Math.min(capacity, tokens + elapsed * ratePerNano);
      lastNanos = nowNanos;
    }
  }
}
