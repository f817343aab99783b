package io.sluice.backend.streaming.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies {@code cql/schema.cql} (in this module's resources): keyspace and tables, all {@code IF NOT EXISTS}, so
 * running it on every start is safe. Blocks until the schema is agreed.
 */
public final class CassandraSchema {
  private CassandraSchema() {}

  /**
   * @param replication a CQL replication map, e.g. {@code {'class': 'SimpleStrategy', 'replication_factor': 1}}
   */
  public static void apply(CqlSession session, String keyspace, String replication) {
    for (String statement : statements(keyspace, replication)) {
      session.execute(statement);
    }
    session.checkSchemaAgreement();
  }

  static List<String> statements(String keyspace, String replication) {
    String text;
    try (InputStream in = CassandraSchema.class.getResourceAsStream("/cql/schema.cql")) {
      if (in == null) {
        throw new IllegalStateException("cql/schema.cql is missing from the classpath");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    StringBuilder withoutComments = new StringBuilder();
    for (String line : text.split("\n")) {
      if (!line.strip().startsWith("--")) {
        withoutComments.append(line).append('\n');
      }
    }
    List<String> statements = new ArrayList<>();
    for (String s : withoutComments.toString().split(";")) {
      if (!s.isBlank()) {
        statements.add(s.strip().replace("${keyspace}", keyspace).replace("${replication}", replication));
      }
    }
    return statements;
  }
}
