package io.sluice.backend.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decides which rules fire, as pure functions of the counts the pipeline computed, so the streaming job, a replay
 * and a test all fire exactly the same alerts (with the same {@link Alert#id()}). Stateless.
 */
public final class AlertEvaluator {
  private AlertEvaluator() {}

  /**
   * Error-rate alerts for one tenant's service and one sliding window whose length matches the rule's
   * {@code windowSeconds}: fires when {@code total >= minRecords} and {@code errors / total > threshold}.
   */
  public static List<Alert> errorRate(
      List<AlertRule> rules, String tenant, String service, long windowSeconds, long windowEndMillis, long errors,
      long total) {
    List<Alert> fired = new ArrayList<>();
    for (AlertRule rule : rules) {
      if (!AlertRule.ERROR_RATE.equals(rule.kind())
          || !rule.appliesTo(tenant, service)
          || rule.windowSeconds() != windowSeconds
          || total <= 0
          || total < rule.minRecords()) {
        continue;
      }
      double rate = (double) errors / total;
      if (rate > rule.threshold()) {
        fired.add(
            new Alert(
                rule.id(), rule.kind(), tenant, service, service, windowEndMillis, rate, rule.threshold(),
                String.format(
                    Locale.ROOT, "%s/%s: %.1f%% errors (%d of %d) in the %d s before %s, above %.1f%%",
                    tenant, service, rate * 100, errors, total, windowSeconds,
                    java.time.Instant.ofEpochMilli(windowEndMillis), rule.threshold() * 100)));
      }
    }
    return fired;
  }

  /** Alerts for an error fingerprint seen for the first time (the pipeline calls this once per fingerprint). */
  public static List<Alert> newFingerprint(List<AlertRule> rules, ErrorFingerprint first) {
    List<Alert> fired = new ArrayList<>();
    for (AlertRule rule : rules) {
      if (AlertRule.NEW_FINGERPRINT.equals(rule.kind()) && rule.appliesTo(first.tenant(), first.service())) {
        fired.add(
            new Alert(
                rule.id(), rule.kind(), first.tenant(), first.service(), first.fingerprint(),
                first.firstSeenMillis(), 1, 0,
                first.tenant() + "/" + first.service() + ": new error " + first.exceptionType() + " at "
                    + first.topFrame() + ": " + first.template()));
      }
    }
    return fired;
  }
}
