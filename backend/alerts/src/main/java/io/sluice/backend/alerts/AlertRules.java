package io.sluice.backend.alerts;

import io.sluice.backend.common.AlertRule;
import java.util.ArrayList;
import java.util.List;

/** Checks a rule before it is stored or used; every problem names the rule id, the column and the fix. Stateless. */
public final class AlertRules {
  private AlertRules() {}

  /** The problems with {@code rule}, empty when it is usable. */
  public static List<String> problems(AlertRule rule) {
    List<String> problems = new ArrayList<>();
    String id = rule.id() == null ? "" : rule.id();
    String where = "alert rule '" + id + "': ";
    if (id.isBlank()) {
      problems.add("alert rule with an empty id: column id must be a non-empty string");
    }
    if (rule.tenant() == null || rule.tenant().isBlank()) {
      problems.add(where + "column tenant is empty; use '*' for every tenant");
    }
    if (rule.service() == null || rule.service().isBlank()) {
      problems.add(where + "column service is empty; use '*' for every service");
    }
    if (AlertRule.ERROR_RATE.equals(rule.kind())) {
      if (rule.windowSeconds() <= 0) {
        problems.add(where + "column window_seconds is " + rule.windowSeconds()
            + "; error_rate rules need a window > 0 seconds (e.g. 300)");
      }
      if (!(rule.threshold() >= 0 && rule.threshold() <= 1)) {
        problems.add(where + "column threshold is " + rule.threshold()
            + "; error_rate thresholds are a fraction between 0 and 1 (0.05 = 5 %)");
      }
      if (rule.minRecords() < 0) {
        problems.add(where + "column min_records is " + rule.minRecords() + "; use 0 or more");
      }
    } else if (!AlertRule.NEW_FINGERPRINT.equals(rule.kind())) {
      problems.add(where + "column kind is '" + rule.kind() + "'; use '" + AlertRule.ERROR_RATE + "' or '"
          + AlertRule.NEW_FINGERPRINT + "'");
    }
    return problems;
  }
}
