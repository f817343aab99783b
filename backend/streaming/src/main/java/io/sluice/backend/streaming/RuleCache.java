package io.sluice.backend.streaming;

import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.AlertRuleSource;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.apache.beam.sdk.metrics.Metrics;

/**
 * The alert rules a worker evaluates with, re-read from the {@link AlertRuleSource} at most every {@code reload}.
 * When a reload fails the previous rules stay in force and {@code sluice.streaming/rule_reload_failures} counts it;
 * a worker that never loaded rules evaluates none. Not thread-safe (one per DoFn instance). The first call and
 * every reload block on the source.
 */
final class RuleCache {
  private final AlertRuleSource source;
  private final Duration reload;
  private final Clock clock;
  private List<AlertRule> rules = List.of();
  private long loadedAtMillis;
  private boolean loaded;

  RuleCache(AlertRuleSource source, Duration reload, Clock clock) {
    this.source = source;
    this.reload = reload;
    this.clock = clock;
  }

  List<AlertRule> current() {
    long now = clock.millis();
    if (!loaded || now - loadedAtMillis >= reload.toMillis()) {
      loadedAtMillis = now;
      try {
        rules = List.copyOf(source.load());
        loaded = true;
      } catch (Exception e) {
        Metrics.counter(DecodeFn.NAMESPACE, "rule_reload_failures").inc();
      }
    }
    return rules;
  }
}
