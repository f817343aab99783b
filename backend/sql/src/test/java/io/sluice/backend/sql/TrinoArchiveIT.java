package io.sluice.backend.sql;

import static io.trino.testing.TestingSession.testSessionBuilder;
import static org.assertj.core.api.Assertions.assertThat;

import io.airlift.log.Level;
import io.airlift.log.Logging;
import io.trino.Session;
import io.trino.plugin.hive.HivePlugin;
import io.trino.testing.DistributedQueryRunner;
import io.trino.testing.MaterializedRow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SQL over the Parquet archive, really run: backend/archive's writer fills an archive on HDFS (a child JVM on Java
 * 17, {@code ArchiveFixtureMain}: collector-like records with resent batches, de-duplicated, written and replayed),
 * then Trino 483 in this JVM (Java 25; one coordinator, no workers) gets the catalog {@code sluice} from the very
 * file backend/archive ships ({@code /trino/catalog/sluice.properties}, only its locations replaced), runs the very
 * DDL it ships ({@code /sql/trino-logs.sql}, only the archive location replaced), and answers with the truth's
 * counts: total, per service, per severity, per tenant/service/severity, per date, distinct identities.
 */
class TrinoArchiveIT {
  /** The placeholder location both shipped files use for the archive root and the metastore. */
  private static final String SHIPPED_ARCHIVE = "hdfs://namenode:8020/sluice/logs";

  private static Process fixture;
  private static DistributedQueryRunner trino;
  private static Properties truth;
  private static Path work;

  @BeforeAll
  static void archiveThenTrino() throws Exception {
    Logging logging = Logging.initialize();
    logging.setLevel("org.apache.parquet", Level.WARN); // an INFO line per split
    logging.setLevel("io.trino", Level.WARN);
    logging.setLevel("io.trino.testing.DistributedQueryRunner", Level.INFO); // its start-up time

    work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "trino-archive-");
    long t0 = System.nanoTime();
    startFixture(work); // writes the archive on Java 17 while Trino starts here
    Session session = testSessionBuilder().setCatalog("sluice").setSchema("logs").build();
    trino = DistributedQueryRunner.builder(session).setWorkerCount(0).build();
    trino.installPlugin(new HivePlugin());
    long t1 = System.nanoTime();
    String archive = awaitFixture(work);
    long t2 = System.nanoTime();
    truth = new Properties();
    try (InputStream in = Files.newInputStream(work.resolve("truth.properties"))) {
      truth.load(in);
    }
    Map<String, String> catalog = catalog(archive, work.resolve("hadoop"));
    // a server reads connector.name from etc/catalog/sluice.properties itself; the runner takes it as an argument
    trino.createCatalog("sluice", catalog.remove("connector.name"), catalog);
    for (String statement : ddl(archive)) {
      trino.execute(statement);
    }
    System.err.println(String.format("Trino started in %d ms; archive ready %d ms later; catalog and DDL in %d ms",
        (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000));
  }

  @AfterAll
  static void stop() throws Exception {
    if (trino != null) {
      trino.close();
    }
    if (fixture != null) {
      fixture.getOutputStream().close(); // the fixture shuts HDFS down when its stdin closes
      fixture.waitFor();
    }
    if (work != null) {
      try (Stream<Path> files = Files.walk(work)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void totalAndDistinctIdentitiesEqualTheDistinctRecordsDelivered() {
    assertThat(truth.getProperty("records.delivered")).as("the input carried duplicates")
        .isNotEqualTo(truth.getProperty("total"));
    assertThat(single("SELECT count(*) FROM events")).isEqualTo(expected("total"));
    assertThat(single("SELECT count(DISTINCT identity) FROM events")).isEqualTo(expected("identities"))
        .isEqualTo(expected("total"));
    assertThat(single("SELECT count(*) - count(DISTINCT identity) FROM events")).as("no row archived twice")
        .isEqualTo(0L);
  }

  @Test
  void countsPerServiceAndPerSeverityEqualTheTruth() {
    assertThat(grouped("SELECT service, count(*) FROM events GROUP BY service")).isEqualTo(section("service."));
    assertThat(grouped("SELECT severity, count(*) FROM events GROUP BY severity")).isEqualTo(section("severity."));
    assertThat(grouped("SELECT tenant || '/' || service || '/' || severity, count(*) FROM events GROUP BY 1"))
        .isEqualTo(section("tenant_service_severity."));
  }

  @Test
  void partitionsPruneByDateAndTheEventTimeIsUtc() {
    assertThat(grouped("SELECT \"date\", count(*) FROM events GROUP BY 1")).isEqualTo(section("date."));
    assertThat(single("SELECT count(*) FROM events WHERE \"date\" <> format_datetime(event_time, 'yyyy-MM-dd')"
        + " OR \"hour\" <> format_datetime(event_time, 'HH')")).as("partition values match event_time (UTC)")
        .isEqualTo(0L);
    assertThat(single("SELECT count(*) FROM events WHERE fingerprint <> ''")).isEqualTo(expected("fingerprinted"));
  }

  @Test
  void theQueryInTheBackendReadmeRuns() throws IOException {
    String readme = Files.readString(Path.of("../README.md"));
    int start = readme.indexOf("```sql\n") + "```sql\n".length();
    List<String> statements = new ArrayList<>();
    for (String s : readme.substring(start, readme.indexOf("```", start)).split(";")) {
      if (!s.isBlank()) {
        statements.add(s.strip());
      }
    }
    assertThat(statements).hasSize(2);
    assertThat(statements.get(1)).contains("\"date\" = '2026-11-23'"); // a day the fixture's archive holds
    trino.execute(statements.get(0));
    long errors = 0;
    for (MaterializedRow row : trino.execute(statements.get(1)).getMaterializedRows()) {
      errors += ((Number) row.getField(2)).longValue();
    }
    assertThat(errors).isPositive().isEqualTo(
        Long.parseLong(truth.getProperty("date_severity.2026-11-23/ERROR", "0"))
            + Long.parseLong(truth.getProperty("date_severity.2026-11-23/FATAL", "0")));
  }

  private static long single(String sql) {
    return ((Number) trino.execute(sql).getOnlyValue()).longValue();
  }

  private static Map<String, Long> grouped(String sql) {
    Map<String, Long> out = new TreeMap<>();
    for (MaterializedRow row : trino.execute(sql).getMaterializedRows()) {
      out.put(String.valueOf(row.getField(0)), ((Number) row.getField(1)).longValue());
    }
    return out;
  }

  private static long expected(String key) {
    return Long.parseLong(truth.getProperty(key));
  }

  private static Map<String, Long> section(String prefix) {
    Map<String, Long> out = new TreeMap<>();
    truth.stringPropertyNames().stream().filter(k -> k.startsWith(prefix))
        .forEach(k -> out.put(k.substring(prefix.length()), Long.parseLong(truth.getProperty(k))));
    assertThat(out).as(prefix).isNotEmpty();
    return out;
  }

  /**
   * The shipped catalog with its two machine-specific values replaced: where the metastore lives (beside the
   * archive, as shipped) and where the Hadoop client configuration files are.
   */
  private static Map<String, String> catalog(String archive, Path hadoopConf) throws IOException {
    Properties shipped = new Properties();
    try (InputStream in = resource("/trino/catalog/sluice.properties")) {
      shipped.load(in);
    }
    Map<String, String> props = new LinkedHashMap<>();
    shipped.stringPropertyNames().forEach(k -> props.put(k, shipped.getProperty(k)));
    String root = archive.substring(0, archive.length() - "/logs".length());
    assertThat(props).containsKeys("hive.metastore.catalog.dir", "hive.config.resources");
    props.put("hive.metastore.catalog.dir", props.get("hive.metastore.catalog.dir")
        .replace(SHIPPED_ARCHIVE.substring(0, SHIPPED_ARCHIVE.length() - "/logs".length()), root));
    props.put("hive.config.resources",
        hadoopConf.resolve("core-site.xml") + "," + hadoopConf.resolve("hdfs-site.xml"));
    return props;
  }

  /** The shipped Trino DDL as statements (comments dropped), with only the archive location replaced. */
  static List<String> ddl(String archive) throws IOException {
    String text;
    try (InputStream in = resource("/sql/trino-logs.sql")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(text).contains("'" + SHIPPED_ARCHIVE + "'");
    StringBuilder sql = new StringBuilder();
    text.lines().filter(l -> !l.strip().startsWith("--")).forEach(l -> sql.append(l).append('\n'));
    List<String> statements = new ArrayList<>();
    for (String s : sql.toString().replace("'" + SHIPPED_ARCHIVE + "'", "'" + archive + "'").split(";")) {
      if (!s.isBlank()) {
        statements.add(s.strip());
      }
    }
    return statements;
  }

  private static InputStream resource(String name) {
    InputStream in = TrinoArchiveIT.class.getResourceAsStream(name);
    assertThat(in).as(name + " (shipped by backend/archive)").isNotNull();
    return in;
  }

  /** Starts ArchiveFixtureMain on Java 17 (it writes the archive, then serves HDFS until its stdin closes). */
  private static void startFixture(Path work) throws IOException {
    String java = System.getProperty("sluice.fixture.java");
    String classpath = System.getProperty("sluice.fixture.classpath") + ":"
        + Files.readString(Path.of(System.getProperty("sluice.fixture.classpathFile"))).strip();
    // C1 only and one GC thread: a short run that shares two cores with Trino's start
    fixture = new ProcessBuilder(java, "-Xmx768m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath,
        "io.sluice.backend.archive.ArchiveFixtureMain", work.toString())
        .redirectError(work.resolve("fixture.log").toFile()).start();
  }

  /** Waits for the fixture's READY line: the archive's URI; its stderr when it exits before. */
  private static String awaitFixture(Path work) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(fixture.getInputStream(), StandardCharsets.UTF_8));
    Pattern ready = Pattern.compile("READY (\\S+)");
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      Matcher m = ready.matcher(line);
      if (m.matches()) {
        return m.group(1);
      }
    }
    throw new IllegalStateException("the archive writer exited before READY; its stderr:\n"
        + String.join("\n", tail(work.resolve("fixture.log"))));
  }

  private static List<String> tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return lines.subList(Math.max(0, lines.size() - 40), lines.size());
  }
}
