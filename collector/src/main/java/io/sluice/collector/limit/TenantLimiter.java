package io.sluice.collector.limit;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-tenant rate limits in records/s and decoded bytes/s, one pair of {@link TokenBucket}s per tenant. A batch
 * that does not fit either bucket is refused as a whole (nothing is taken) with the wait after which it would fit:
 * the collector answers a retryable Nack (RATE_LIMITED) carrying that wait as retry_after_ms, and the client keeps
 * the batch in its spool. Tenants are independent: one tenant's flood never takes another's tokens.
 *
 * <p>Bounded: one entry per tenant name seen; unknown tenants (anonymous mode) share the default limit's bucket
 * under their own name, capped at {@value #MAX_TENANTS} names, after which they share one bucket. {@link #update}
 * applies a reloaded configuration, keeping the buckets whose limit did not change. Thread-safe, never blocks.
 */
public final class TenantLimiter {
  static final int MAX_TENANTS = 10_000;
  private static final String OVERFLOW = "\u0000overflow";

  private final LongSupplier nanoTime;
  private final Map<String, Buckets> buckets = new ConcurrentHashMap<>();
  private volatile Map<String, RateLimit> limits = Map.of();
  private volatile RateLimit defaultLimit = RateLimit.UNLIMITED;

  public TenantLimiter(CollectorConfig config, LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    update(config);
  }

  /** Takes the limits of a (reloaded) configuration. */
  public void update(CollectorConfig config) {
    Map<String, RateLimit> m = new ConcurrentHashMap<>();
    for (TenantConfig t : config.tenants().values()) {
      if (t.limit() != null) {
        m.put(t.name(), t.limit());
      }
    }
    limits = m;
    defaultLimit = config.tenantDefaultLimit();
    buckets.entrySet().removeIf(e -> !e.getValue().limit.equals(limitOf(e.getKey())));
  }

  private RateLimit limitOf(String tenant) {
    return limits.getOrDefault(tenant, defaultLimit);
  }

  /**
   * Milliseconds until {@code tenant}'s buckets hold at least one record's and one byte's worth of tokens (0 if they
   * do now). Takes nothing: lets the collector refuse a throttled tenant's batch before decoding it, without trusting
   * any number the batch declares.
   */
  public long peekWait(String tenant) {
    RateLimit limit = limitOf(tenant);
    if (limit.unlimited()) {
      return 0;
    }
    Buckets b = buckets.get(buckets.size() >= MAX_TENANTS && !buckets.containsKey(tenant) ? OVERFLOW : tenant);
    if (b == null) {
      return 0;
    }
    long now = nanoTime.getAsLong();
    synchronized (b) {
      long wait = 0;
      if (b.records != null) {
        wait = Math.max(wait, b.records.waitNanos(1, now));
      }
      if (b.bytes != null) {
        wait = Math.max(wait, b.bytes.waitNanos(1, now));
      }
      return toMillis(wait);
    }
  }

  /** Nanoseconds to whole milliseconds, rounded up, at least 1 when positive, without overflowing. */
  static long toMillis(long waitNanos) {
    if (waitNanos <= 0) {
      return 0;
    }
    return Math.max(1, waitNanos / 1_000_000 + (waitNanos % 1_000_000 == 0 ? 0 : 1));
  }

  /**
   * Takes a batch's records and bytes from {@code tenant}'s buckets if both have room. Callers pass verified
   * numbers (what was decoded and will be produced), never what a client declared.
   *
   * @return 0 if accepted, else the milliseconds (at least 1) to wait before it would be accepted
   * @throws IllegalArgumentException for negative counts
   */
  public long tryAcquire(String tenant, int records, long bytes) {
    if (records < 0 || bytes < 0) {
      throw new IllegalArgumentException("negative records " + records + " or bytes " + bytes);
    }
    RateLimit limit = limitOf(tenant);
    if (limit.unlimited()) {
      return 0;
    }
    String key = buckets.size() >= MAX_TENANTS && !buckets.containsKey(tenant) ? OVERFLOW : tenant;
    long now = nanoTime.getAsLong();
    Buckets b = buckets.computeIfAbsent(key, k -> new Buckets(limit, now));
    synchronized (b) {
      long wait = 0;
      if (b.records != null) {
        wait = Math.max(wait, b.records.waitNanos(records, now));
      }
      if (b.bytes != null) {
        wait = Math.max(wait, b.bytes.waitNanos(bytes, now));
      }
      if (wait > 0) {
        return toMillis(wait);
      }
      if (b.records != null) {
        b.records.take(records);
      }
      if (b.bytes != null) {
        b.bytes.take(bytes);
      }
      return 0;
    }
  }

  private static final class Buckets {
    final RateLimit limit;
    final TokenBucket records;
    final TokenBucket bytes;

    Buckets(RateLimit limit, long now) {
      this.limit = limit;
      this.records = limit.recordsPerSecond() == 0 ? null
          : new TokenBucket(limit.recordsPerSecond(), limit.recordsPerSecond() * limit.burstSeconds(), now);
      this.bytes = limit.bytesPerSecond() == 0 ? null
          : new TokenBucket(limit.bytesPerSecond(), limit.bytesPerSecond() * limit.burstSeconds(), now);
    }
  }
}
