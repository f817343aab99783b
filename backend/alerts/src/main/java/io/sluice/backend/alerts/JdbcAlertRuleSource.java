package io.sluice.backend.alerts;

import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.AlertRuleSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Alert rules in a SQL table ({@code sql/alert-rules.sql}) reached over the PostgreSQL wire protocol: CockroachDB in
 * production, PostgreSQL in tests. Serializable (holds only the URL, the user and the name of the environment
 * variable with the password) so the pipeline can ship it to workers; each call opens and closes its own connection,
 * so it is thread-safe and blocks for one round trip.
 */
public final class JdbcAlertRuleSource implements AlertRuleSource {
  private static final long serialVersionUID = 1L;
  static final String SCHEMA_RESOURCE = "/sql/alert-rules.sql";
  private static final String COLUMNS = "id, kind, tenant, service, window_seconds, threshold, min_records, enabled";

  private final String jdbcUrl;
  private final String user;
  private final String passwordEnv;

  /**
   * @param jdbcUrl e.g. {@code jdbc:postgresql://crdb:26257/sluice?sslmode=verify-full}
   * @param user the database user, or null to use the URL's
   * @param passwordEnv the environment variable holding the password, or null for none (trust or certificate auth)
   */
  public JdbcAlertRuleSource(String jdbcUrl, String user, String passwordEnv) {
    if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException("rules database URL '" + jdbcUrl
          + "' is not a PostgreSQL-protocol JDBC URL; use jdbc:postgresql://host:port/database");
    }
    this.jdbcUrl = jdbcUrl;
    this.user = user;
    this.passwordEnv = passwordEnv;
  }

  /** The enabled rules; throws {@link InvalidAlertRulesException} naming every bad rule and column. */
  @Override
  public List<AlertRule> load() throws SQLException, InvalidAlertRulesException {
    List<AlertRule> rules = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (StoredRule stored : list()) {
      if (!stored.enabled()) {
        continue;
      }
      List<String> p = AlertRules.problems(stored.rule());
      if (p.isEmpty()) {
        rules.add(stored.rule());
      } else {
        problems.addAll(p);
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidAlertRulesException(problems);
    }
    return rules;
  }

  /** Every rule, enabled or not, ordered by id, without validation (for listing). */
  public List<StoredRule> list() throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + COLUMNS + " FROM alert_rules ORDER BY id")) {
      List<StoredRule> out = new ArrayList<>();
      while (rs.next()) {
        out.add(new StoredRule(
            new AlertRule(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                rs.getDouble(6), rs.getLong(7)),
            rs.getBoolean(8)));
      }
      return out;
    }
  }

  /** Creates the table if missing (the statements of {@code sql/alert-rules.sql}). */
  public void createSchema() throws SQLException {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      for (String statement : schemaStatements()) {
        s.execute(statement);
      }
    }
  }

  /**
   * Stores a valid rule (enabled). With {@code replace} an existing rule with the same id is overwritten, else that
   * is an error naming the id.
   */
  public void add(AlertRule rule, boolean replace) throws SQLException {
    List<String> problems = AlertRules.problems(rule);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    String sql = "INSERT INTO alert_rules (" + COLUMNS + ", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, now())"
        + (replace
            ? " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, tenant = excluded.tenant,"
                + " service = excluded.service, window_seconds = excluded.window_seconds,"
                + " threshold = excluded.threshold, min_records = excluded.min_records, enabled = TRUE,"
                + " updated_at = now()"
            : " ON CONFLICT (id) DO NOTHING");
    try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, rule.id());
      ps.setString(2, rule.kind());
      ps.setString(3, rule.tenant());
      ps.setString(4, rule.service());
      ps.setLong(5, rule.windowSeconds());
      ps.setDouble(6, rule.threshold());
      ps.setLong(7, rule.minRecords());
      if (ps.executeUpdate() == 0) {
        throw new IllegalArgumentException("alert rule '" + rule.id()
            + "' already exists; pick another id or pass --replace to overwrite it");
      }
    }
  }

  /** Enables or disables a rule; false when no rule has that id. */
  public boolean setEnabled(String id, boolean enabled) throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps =
            c.prepareStatement("UPDATE alert_rules SET enabled = ?, updated_at = now() WHERE id = ?")) {
      ps.setBoolean(1, enabled);
      ps.setString(2, id);
      return ps.executeUpdate() > 0;
    }
  }

  Connection connect() throws SQLException {
    Properties props = new Properties();
    if (user != null) {
      props.setProperty("user", user);
    }
    if (passwordEnv != null) {
      String password = System.getenv(passwordEnv);
      if (password == null) {
        throw new SQLException("environment variable " + passwordEnv
            + " (the rules database password) is not set; export it or drop the password option");
      }
      props.setProperty("password", password);
    }
    return DriverManager.getConnection(jdbcUrl, props);
  }

  static List<String> schemaStatements() {
    try (InputStream in = JdbcAlertRuleSource.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(SCHEMA_RESOURCE + " is missing from the classpath");
      }
      StringBuilder sql = new StringBuilder();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        int comment = line.indexOf("--");
        sql.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
      }
      List<String> statements = new ArrayList<>();
      for (String statement : sql.toString().split(";\\s*\n")) {
        if (!statement.isBlank()) {
          statements.add(statement.strip());
        }
      }
      return statements;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + SCHEMA_RESOURCE, e);
    }
  }

  /** A row of the rules table. */
  public record StoredRule(AlertRule rule, boolean enabled) {}
}
