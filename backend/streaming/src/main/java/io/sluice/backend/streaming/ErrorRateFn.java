package io.sluice.backend.streaming;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertEvaluator;
import io.sluice.backend.common.AlertRuleSource;
import java.time.Clock;
import java.time.Duration;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.IntervalWindow;
import org.apache.beam.sdk.values.KV;

/**
 * Evaluates the error-rate rules of one window length on a sliding window's (errors, total) for one tenant/service:
 * key {@code tenant␟service} in an {@link IntervalWindow}, or {@code tenant␟service␟windowEndMillis} in the global
 * window (a bounded run's totals). Stateless apart from the rule cache.
 */
final class ErrorRateFn extends DoFn<KV<String, KV<Long, Long>>, Alert> {
  private final AlertRuleSource source;
  private final Duration reload;
  private final long windowSeconds;
  private transient RuleCache rules;

  ErrorRateFn(AlertRuleSource source, Duration reload, long windowSeconds) {
    this.source = source;
    this.reload = reload;
    this.windowSeconds = windowSeconds;
  }

  @Setup
  public void setup() {
    rules = new RuleCache(source, reload, Clock.systemUTC());
  }

  @ProcessElement
  public void process(
      @Element KV<String, KV<Long, Long>> element, BoundedWindow window, OutputReceiver<Alert> out) {
    if (element.getValue() == null) {
      return;
    }
    String[] ts = Keys.split(element.getKey());
    long errors = element.getValue().getKey();
    long total = element.getValue().getValue();
    long windowEnd =
        window instanceof IntervalWindow interval ? interval.end().getMillis() : Long.parseLong(ts[2]);
    for (Alert alert : AlertEvaluator.errorRate(
        rules.current(), ts[0], ts[1], windowSeconds, windowEnd, errors, total)) {
      out.output(alert);
    }
  }
}
