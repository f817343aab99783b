package io.sluice.backend.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.AlertRuleSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The rules table on a real PostgreSQL server (the wire protocol CockroachDB speaks). */
class JdbcAlertRuleSourceIT {
  private String url;
  private JdbcAlertRuleSource source;

  @BeforeEach
  void freshDatabase() throws Exception {
    url = TestPostgres.get().newDatabase();
    source = new JdbcAlertRuleSource(url, "sluice", null);
    source.createSchema();
  }

  @Test
  void loadsTheEnabledRulesThatWereAdded() throws Exception {
    AlertRule rate = new AlertRule("checkout-5xx", AlertRule.ERROR_RATE, "acme", "checkout", 300, 0.05, 100);
    AlertRule fresh = new AlertRule("new-errors", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0);
    AlertRule off = new AlertRule("noisy", AlertRule.ERROR_RATE, "*", "*", 60, 0.5, 10);
    source.add(rate, false);
    source.add(fresh, false);
    source.add(off, false);
    assertThat(source.setEnabled("noisy", false)).isTrue();
    source.createSchema(); // idempotent: CREATE TABLE IF NOT EXISTS

    assertThat(source.load()).containsExactly(rate, fresh);
    assertThat(source.list()).extracting(JdbcAlertRuleSource.StoredRule::enabled).containsExactly(true, true, false);
  }

  @Test
  void addRefusesAnExistingIdUnlessReplacing() throws Exception {
    source.add(new AlertRule("r1", AlertRule.ERROR_RATE, "*", "*", 60, 0.1, 0), false);
    AlertRule changed = new AlertRule("r1", AlertRule.ERROR_RATE, "*", "api", 120, 0.2, 5);

    assertThatThrownBy(() -> source.add(changed, false))
        .hasMessageContaining("'r1' already exists").hasMessageContaining("--replace");
    source.add(changed, true);
    assertThat(source.load()).containsExactly(changed);
  }

  @Test
  void invalidRowsAreReportedByRuleIdAndColumn() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sluice", null); Statement s = c.createStatement()) {
      // written by hand, past the CLI's validation
      s.execute("INSERT INTO alert_rules (id, kind, window_seconds, threshold) VALUES ('typo', 'error-rate', 60, 0.1)");
      s.execute(
          "INSERT INTO alert_rules (id, kind, window_seconds, threshold) VALUES ('nowindow', 'error_rate', 0, 0.1)");
      s.execute(
          "INSERT INTO alert_rules (id, kind, window_seconds, threshold) VALUES ('percent', 'error_rate', 60, 5)");
    }

    assertThatThrownBy(source::load)
        .isInstanceOfSatisfying(InvalidAlertRulesException.class, e -> assertThat(e.problems()).containsExactly(
            "alert rule 'nowindow': column window_seconds is 0; error_rate rules need a window > 0 seconds (e.g. 300)",
            "alert rule 'percent': column threshold is 5.0; error_rate thresholds are a fraction between 0 and 1"
                + " (0.05 = 5 %)",
            "alert rule 'typo': column kind is 'error-rate'; use 'error_rate' or 'new_fingerprint'"));
  }

  @Test
  void travelsToWorkersAsConfigurationOnly() throws Exception {
    source.add(new AlertRule("r", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0), false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(source);
    }
    AlertRuleSource copy;
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (AlertRuleSource) in.readObject();
    }
    assertThat(copy.load()).extracting(AlertRule::id).containsExactly("r");
  }

  @Test
  void cliInitsAddsAndLists() throws Exception {
    String other = TestPostgres.get().newDatabase();
    assertThat(cli("--url", other, "--user", "sluice", "init").exit).isZero();
    Result added = cli("--url", other, "--user", "sluice", "add", "--id", "api-errors", "--kind", "error_rate",
        "--service", "api", "--window-seconds", "300", "--threshold", "0.02", "--min-records", "50");
    assertThat(added.exit).as(added.err).isZero();

    Result listed = cli("--url", other, "--user", "sluice", "list");
    assertThat(listed.exit).isZero();
    assertThat(listed.out).contains(
        "api-errors kind=error_rate tenant=* service=api window_seconds=300 threshold=0.02 min_records=50");
    assertThat(new JdbcAlertRuleSource(other, "sluice", null).load())
        .containsExactly(new AlertRule("api-errors", AlertRule.ERROR_RATE, "*", "api", 300, 0.02, 50));
  }

  @Test
  void cliRejectsABadRuleNamingTheColumn() throws Exception {
    Result r = cli("--url", url, "--user", "sluice", "add", "--id", "x", "--kind", "error_rate");
    assertThat(r.exit).isEqualTo(2);
    assertThat(r.err).contains("alert rule 'x': column window_seconds is 0");
    assertThat(source.list()).isEmpty();

    Result badUrl = cli("--url", "jdbc:mysql://db/x", "list");
    assertThat(badUrl.exit).isEqualTo(2);
    assertThat(badUrl.err).contains("--url: rules database URL 'jdbc:mysql://db/x' is not a PostgreSQL-protocol");
  }

  private record Result(int exit, String out, String err) {}

  private static Result cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = RulesMain.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(exit, out.toString(), err.toString());
  }
}
