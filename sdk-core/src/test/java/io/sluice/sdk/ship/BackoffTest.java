package io.sluice.sdk.ship;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private static Backoff highest(long minMs, long maxMs) {
    return new Backoff(Duration.ofMillis(minMs), Duration.ofMillis(maxMs), bound -> bound - 1);
  }

  @Test
  void theWindowDoublesFromMinAndStopsAtMax() {
    Backoff b = highest(100, 1000);
    assertThat(new long[] {b.nextDelayMs(), b.nextDelayMs(), b.nextDelayMs(), b.nextDelayMs(), b.nextDelayMs()})
        .containsExactly(100, 200, 400, 800, 1000);
    for (int i = 0; i < 100; i++) assertThat(b.nextDelayMs()).isEqualTo(1000);
    assertThat(b.attempts()).isEqualTo(62);
  }

  @Test
  void fullJitterReachesDownToMin() {
    Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), bound -> 0);
    for (int i = 0; i < 10; i++) assertThat(b.nextDelayMs()).isEqualTo(100);
  }

  @Test
  void resetStartsFromMinAgain() {
    Backoff b = highest(50, 10_000);
    b.nextDelayMs();
    b.nextDelayMs();
    b.reset();
    assertThat(b.nextDelayMs()).isEqualTo(50);
  }

  @Test
  void randomDelaysStayWithinTheWindow() {
    Backoff b = new Backoff(Duration.ofMillis(1), Duration.ofMinutes(5));
    for (int i = 0; i < 1000; i++) assertThat(b.nextDelayMs()).isBetween(1L, 300_000L);
  }
}
