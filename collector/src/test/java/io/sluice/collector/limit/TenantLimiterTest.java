package io.sluice.collector.limit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class TenantLimiterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private TenantLimiter limiter(RateLimit a, RateLimit defaults) {
    CollectorConfig c = CollectorConfig.builder().kafkaBootstrap("k:9092")
        .tenant(new TenantConfig("a", List.of(), List.of(), List.of(), a)).tenantDefaultLimit(defaults).build();
    return new TenantLimiter(c, now::get);
  }

  @Test
  void refusesWithTheWaitUntilTheBucketRefillsAndTakesNothingWhenRefusing() {
    TenantLimiter l = limiter(new RateLimit(100, 0, 1), RateLimit.UNLIMITED);
    assertThat(l.tryAcquire("a", 100, 10)).isZero();
    assertThat(l.tryAcquire("a", 50, 10)).isEqualTo(500); // 50 records at 100/s
    now.addAndGet(250_000_000L);
    assertThat(l.tryAcquire("a", 50, 10)).isEqualTo(250);
    now.addAndGet(250_000_000L);
    assertThat(l.tryAcquire("a", 50, 10)).isZero();
  }

  @Test
  void tenantsHaveTheirOwnBucketsAndUnlimitedPassesEverything() {
    TenantLimiter l = limiter(new RateLimit(0, 1000, 1), new RateLimit(10, 0, 1));
    assertThat(l.tryAcquire("a", 1_000_000, 1000)).isZero();
    assertThat(l.tryAcquire("a", 1, 1)).isPositive();
    assertThat(l.tryAcquire("b", 10, 0)).isZero();
    assertThat(l.tryAcquire("c", 10, 0)).isZero(); // b's use does not touch c
    assertThat(limiter(null, RateLimit.UNLIMITED).tryAcquire("x", Integer.MAX_VALUE, Long.MAX_VALUE)).isZero();
  }

  @Test
  void aBatchLargerThanTheBurstPassesWhenTheBucketIsFull() {
    TenantLimiter l = limiter(new RateLimit(100, 0, 1), RateLimit.UNLIMITED);
    assertThat(l.tryAcquire("a", 1000, 0)).isZero();
    assertThat(l.tryAcquire("a", 1, 0)).isPositive(); // the debt is repaid first
  }

  @Test
  void aHugeChargeNeverWrapsTheWaitIntoAOneMillisecondRetry() {
    // issue 14, finding 4: 2^62 bytes charged overflowed (wait + 999_999) and answered retry_after_ms = 1
    TenantLimiter l = limiter(new RateLimit(0, 20_000, 1), RateLimit.UNLIMITED);
    assertThat(l.tryAcquire("a", 1, 1L << 62)).isZero(); // passes on a full bucket, as a debt
    long wait = l.tryAcquire("a", 1, 1);
    assertThat(wait).isGreaterThan(java.util.concurrent.TimeUnit.DAYS.toMillis(1));
    assertThat(l.peekWait("a")).isEqualTo(wait);
    assertThat(TenantLimiter.toMillis(Long.MAX_VALUE)).isPositive();
  }

  @Test
  void peekTakesNothingAndNegativeChargesAreRefused() {
    TenantLimiter l = limiter(new RateLimit(100, 0, 1), RateLimit.UNLIMITED);
    assertThat(l.peekWait("a")).isZero();
    assertThat(l.tryAcquire("a", 100, 0)).isZero();
    assertThat(l.peekWait("a")).isEqualTo(10); // one record at 100/s
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> l.tryAcquire("a", -1, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
