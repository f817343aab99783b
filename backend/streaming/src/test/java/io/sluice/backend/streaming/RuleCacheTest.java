package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.AlertRule;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RuleCacheTest {
  private static final AlertRule A = new AlertRule("a", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0);
  private static final AlertRule B = new AlertRule("b", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0);

  @Test
  void reloadsOnlyAfterTheIntervalAndKeepsOldRulesWhenAReloadFails() {
    AtomicInteger loads = new AtomicInteger();
    Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
    Clock clock =
        new Clock() {
          @Override
          public ZoneOffset getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }

          @Override
          public Instant instant() {
            return now[0];
          }
        };
    RuleCache cache =
        new RuleCache(
            () -> {
              int n = loads.incrementAndGet();
              if (n == 2) {
                throw new IllegalStateException("database down");
              }
              return n == 1 ? List.of(A) : List.of(B);
            },
            Duration.ofMinutes(1),
            clock);
    assertThat(cache.current()).containsExactly(A);
    now[0] = now[0].plusSeconds(59);
    assertThat(cache.current()).containsExactly(A);
    assertThat(loads).hasValue(1);
    now[0] = now[0].plusSeconds(1);
    assertThat(cache.current()).as("failed reload keeps the last rules").containsExactly(A);
    now[0] = now[0].plusSeconds(60);
    assertThat(cache.current()).containsExactly(B);
    assertThat(loads).hasValue(3);
  }
}
