package io.sluice.backend.alerts;

import java.util.List;

/** Rules in the database that cannot be evaluated; {@link #problems()} names each rule id, column and fix. */
public final class InvalidAlertRulesException extends Exception {
  private final List<String> problems;

  public InvalidAlertRulesException(List<String> problems) {
    super(problems.size() + " invalid alert rule(s): " + String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
