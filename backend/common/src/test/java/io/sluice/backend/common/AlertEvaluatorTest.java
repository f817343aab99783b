package io.sluice.backend.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AlertEvaluatorTest {
  private final List<AlertRule> rules =
      List.of(
          new AlertRule("r1", AlertRule.ERROR_RATE, "*", "checkout", 300, 0.05, 20),
          new AlertRule("r2", AlertRule.NEW_FINGERPRINT, "acme", "*", 0, 0, 0));

  @Test
  void errorRateFiresAboveThresholdOnlyForMatchingServiceAndWindow() {
    assertThat(AlertEvaluator.errorRate(rules, "acme", "checkout", 300, 1_000, 6, 100)).singleElement()
        .satisfies(a -> {
          assertThat(a.ruleId()).isEqualTo("r1");
          assertThat(a.value()).isEqualTo(0.06);
          assertThat(a.id()).isEqualTo("r1|acme|checkout|checkout|1000");
        });
    assertThat(AlertEvaluator.errorRate(rules, "acme", "checkout", 300, 1_000, 5, 100)).isEmpty();
    assertThat(AlertEvaluator.errorRate(rules, "acme", "search", 300, 1_000, 50, 100)).isEmpty();
    assertThat(AlertEvaluator.errorRate(rules, "acme", "checkout", 60, 1_000, 50, 100)).isEmpty();
    assertThat(AlertEvaluator.errorRate(rules, "acme", "checkout", 300, 1_000, 5, 10)).isEmpty();
  }

  @Test
  void newFingerprintFiresForTheRulesTenantOnly() {
    ErrorFingerprint fp = new ErrorFingerprint("acme", "payments", "abcd", "X", "f()", "t", "m", 5, 1);
    assertThat(AlertEvaluator.newFingerprint(rules, fp)).extracting(Alert::id)
        .containsExactly("r2|acme|payments|abcd|5");
    ErrorFingerprint other = new ErrorFingerprint("globex", "payments", "abcd", "X", "f()", "t", "m", 5, 1);
    assertThat(AlertEvaluator.newFingerprint(rules, other)).isEmpty();
  }
}
