package io.sluice.backend.archive;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.TreeMap;

/** Reads a local copy of the archive with DuckDB (in-process, JDBC): the independent engine the tests check with. */
public final class DuckDb {
  private DuckDb() {}

  /** The {@code read_parquet} call over every data file under {@code root}, partition columns from the paths. */
  public static String table(Path root) {
    return "read_parquet('" + root.toAbsolutePath() + "/**/*.parquet', hive_partitioning = true)";
  }

  /** {@code count(*)} per {@code tenant/service/SEVERITY}, the shape of {@code Truth.countsByServiceAndSeverity}. */
  public static Map<String, Long> countsByTenantServiceSeverity(Path root) throws SQLException {
    Map<String, Long> counts = new TreeMap<>();
    query(
        "SELECT tenant, service, severity, count(*) FROM " + table(root) + " GROUP BY ALL",
        rs -> counts.put(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3), rs.getLong(4)));
    return counts;
  }

  /** One long from a query returning one row and one column. */
  public static long single(String sql) throws SQLException {
    long[] out = new long[1];
    int[] rows = new int[1];
    query(sql, rs -> {
      out[0] = rs.getLong(1);
      rows[0]++;
    });
    if (rows[0] != 1) {
      throw new IllegalStateException(rows[0] + " rows from " + sql);
    }
    return out[0];
  }

  public interface RowHandler {
    void row(ResultSet rs) throws SQLException;
  }

  public static void query(String sql, RowHandler handler) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        handler.row(rs);
      }
    }
  }
}
