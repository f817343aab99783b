package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The Hive DDL, the Trino DDL and the Trino catalog describe exactly the files the sink writes. */
class ArchiveDdlTest {
  private static final List<String> PARTITIONS = List.of("date", "hour", "service");

  @Test
  void hiveTableHasTheSchemaColumnsInOrderAndTheThreePartitions() throws IOException {
    String ddl = resource("/sql/hive-logs.sql");
    String table = ddl.substring(ddl.indexOf("CREATE EXTERNAL TABLE"));
    Map<String, String> columns = columns(table.substring(table.indexOf('(') + 1, table.indexOf("\n)")));
    assertThat(columns).isEqualTo(expected(Map.of(
        "string", "STRING", "long", "BIGINT", "int", "INT", "timestamp", "TIMESTAMP", "map", "MAP<STRING, STRING>")));
    assertThat(table).contains("PARTITIONED BY (`date` STRING, `hour` STRING, service STRING)")
        .contains("STORED AS PARQUET").contains("LOCATION '");
  }

  @Test
  void trinoTableHasTheSameColumnsThenThePartitions() throws IOException {
    String ddl = resource("/sql/trino-logs.sql");
    String table = ddl.substring(ddl.indexOf("CREATE TABLE"));
    Map<String, String> columns = columns(table.substring(table.indexOf('(') + 1, table.indexOf("\n)")));
    Map<String, String> expected = expected(Map.of(
        "string", "varchar", "long", "bigint", "int", "integer", "timestamp", "timestamp(6)",
        "map", "map(varchar, varchar)"));
    PARTITIONS.forEach(p -> expected.put(p, "varchar"));
    assertThat(columns).isEqualTo(expected);
    assertThat(table).contains("partitioned_by = ARRAY['date', 'hour', 'service']").contains("format = 'PARQUET'");
  }

  @Test
  void trinoCatalogIsTheHiveConnectorWithAFileMetastore() throws IOException {
    Properties catalog = new Properties();
    try (InputStream in = getClass().getResourceAsStream("/trino/catalog/sluice.properties")) {
      catalog.load(in);
    }
    assertThat(catalog).containsEntry("connector.name", "hive").containsEntry("hive.metastore", "file")
        .containsKey("hive.metastore.catalog.dir");
  }

  /** The schema's columns, with the DDL type each Avro type must have. */
  private static Map<String, String> expected(Map<String, String> types) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Schema.Field f : ArchiveSchema.SCHEMA.getFields()) {
      Schema s = f.schema();
      String avro = s.getLogicalType() instanceof LogicalTypes.TimestampMicros
          ? "timestamp" : s.getType().getName().toLowerCase(Locale.ROOT);
      out.put(f.name(), types.get(avro));
    }
    return out;
  }

  /** name → type from "name TYPE [COMMENT '…'],"-lines (quotes around names dropped). */
  private static Map<String, String> columns(String body) {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> lines = new ArrayList<>(body.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    for (String line : lines) {
      String l = line.endsWith(",") ? line.substring(0, line.length() - 1) : line;
      int comment = l.indexOf(" COMMENT ");
      if (comment >= 0) {
        l = l.substring(0, comment);
      }
      String[] parts = l.split("\\s+", 2);
      out.put(parts[0].replace("\"", "").replace("`", ""), parts[1].strip());
    }
    return out;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ArchiveDdlTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
