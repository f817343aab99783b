package io.sluice.backend.demo;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import io.sluice.backend.job.JobMain;
import io.sluice.backend.query.QueryConfig;
import io.sluice.backend.query.QueryServer;
import io.sluice.backend.streaming.EmbeddedCassandra;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./sluice demo --backend}'s second half: starts a Cassandra node in this JVM, runs the streaming job
 * ({@link JobMain} {@code --bounded}: up to the end offsets seen at start) on Flink [local] over the given topics into
 * it, then prints the per-minute aggregates it wrote per service and severity and their total. With
 * {@code --expect N} the total must equal N (the demo's delivered distinct count); {@code --rows-csv FILE} also writes
 * the rows for a test to compare key by key. Exit: 0 done (and equal), 1 the
 * job failed or the total differs, 2 usage error.
 */
@Command(
    name = "sluice-backend-demo",
    mixinStandardHelpOptions = true,
    description = "Runs the streaming job bounded over Kafka topics into an embedded Cassandra and prints the "
        + "per-minute aggregates it wrote.")
public final class BackendDemoMain implements Callable<Integer> {
  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--bootstrap-servers", required = true, description = "Kafka host:port")
  String bootstrapServers;

  @Option(names = "--topics", required = true, description = "topics to read, comma-separated")
  String topics;

  @Option(names = "--expect", description = "the distinct record count the aggregates must add up to")
  Long expect;

  @Option(names = "--rows-csv", paramLabel = "FILE",
      description = "also write the rows to FILE as CSV: minute (epoch ms, UTC),tenant,service,severity,records")
  Path rowsCsv;

  @Option(names = "--ui", paramLabel = "HOST:PORT", arity = "0..1", fallbackValue = "127.0.0.1:8080",
      description = "after the job, serve the query service and web UI here (default 127.0.0.1:8080) until stopped: "
          + "counts and fingerprints from the job's Cassandra, search and live tail over the topic (no OpenSearch in "
          + "the demo: search scans the topic)")
  String ui;

  @Option(names = "--parallelism", defaultValue = "2", description = "Flink parallelism (default: ${DEFAULT-VALUE})")
  int parallelism;

  /** Set by {@link #call()}: the sum of the aggregates' record counts. */
  long total = -1;

  public static void main(String[] args) {
    // Cassandra's and Kafka clients' threads are not daemons: the demo ends here
    System.exit(new CommandLine(new BackendDemoMain()).execute(args));
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    out.println("  starting Cassandra 5.0 in this JVM (~10 s)...");
    out.flush();
    EmbeddedCassandra node = EmbeddedCassandra.get();
    String keyspace = "sluice_demo";
    out.println("  Cassandra at " + node.contactPoint() + "; running the job: Kafka " + bootstrapServers + " " + topics
        + " -> decode -> de-duplicate -> per-minute totals -> Cassandra " + keyspace + ".minute_counts");
    out.flush();
    long t0 = System.nanoTime();
    int exit = JobMain.commandLine().setErr(spec.commandLine().getErr()).execute(
        "--bootstrap-servers=" + bootstrapServers, "--topics=" + topics, "--bounded",
        "--cassandra=" + node.contactPoint(), "--cassandra-keyspace=" + keyspace,
        "--flinkMaster=[local]", "--parallelism=" + parallelism);
    double seconds = (System.nanoTime() - t0) / 1e9;
    if (exit != 0) {
      spec.commandLine().getErr().println("sluice-backend-demo: the streaming job ended with exit code " + exit);
      return 1;
    }
    out.printf("  job finished in %.1f s (Flink start-up included)%n%n", seconds);

    CassandraSettings cassandra =
        new CassandraSettings(List.of(node.contactPoint()), EmbeddedCassandra.DATACENTER, keyspace);
    Map<String, Long> rows = new TreeMap<>();
    List<String> csv = new ArrayList<>();
    csv.add("minute,tenant,service,severity,records");
    try (CqlSession session = cassandra.connect()) {
      for (Row r : session.execute("SELECT tenant, service, minute, severity, records FROM " + keyspace
          + ".minute_counts")) {
        Instant minute = r.getInstant("minute");
        csv.add(minute.toEpochMilli() + "," + csvField(r.getString("tenant")) + "," + csvField(r.getString("service"))
            + "," + csvField(r.getString("severity")) + "," + r.getLong("records"));
        rows.merge(
            String.format("  %-16s %-12s %-20s %-6s", MINUTE.format(minute), r.getString("tenant"),
                r.getString("service"), r.getString("severity")),
            r.getLong("records"), Long::sum);
      }
    }
    out.printf("  %-16s %-12s %-20s %-6s %12s%n", "minute (UTC)", "tenant", "service", "severity", "records");
    rows.forEach((k, v) -> out.printf("%s %,12d%n", k, v));
    total = rows.values().stream().mapToLong(Long::longValue).sum();
    if (rowsCsv != null) {
      try {
        Files.write(rowsCsv, csv, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("could not write --rows-csv " + rowsCsv, e);
      }
    }
    out.printf("  %-57s %,12d%n", "total (Cassandra's per-minute aggregates)", total);
    boolean equal = expect == null || expect == total;
    if (expect != null) {
      out.printf("  %s the demo's delivered count (%,d distinct records)%n", equal ? "==" : "!=", expect);
    }
    if (ui != null && equal) {
      return serveUi(out, node, keyspace);
    }
    return equal ? 0 : 1;
  }

  /** The query service over what the demo has: Cassandra (this JVM) and the topic; runs until the JVM is stopped. */
  private int serveUi(PrintWriter out, EmbeddedCassandra node, String keyspace) {
    int colon = ui.lastIndexOf(':');
    QueryConfig config;
    try {
      config = QueryConfig.defaults(Map.of(), true)
          .withCassandra(List.of(node.contactPoint()), EmbeddedCassandra.DATACENTER, keyspace)
          .withKafka(bootstrapServers, topics.split(",")[0], null)
          .withScanSearch()
          .withListen(ui.substring(0, colon), Integer.parseInt(ui.substring(colon + 1)));
    } catch (RuntimeException e) {
      spec.commandLine().getErr()
          .println("sluice-backend-demo: --ui " + ui + ": use host:port (" + e.getMessage() + ")");
      return 2;
    }
    try {
      QueryServer server = new QueryServer(config, java.time.Clock.systemUTC()).start();
      out.println();
      out.println("  Sluice UI: " + server.url());
      out.println("  (search, histogram, live tail: the demo's topic; counts and error fingerprints: Cassandra. The "
          + "demo runs no OpenSearch: search scans the topic, see backend/query/README.md)");
      out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
      return 0;
    } catch (IOException e) {
      spec.commandLine().getErr().println("sluice-backend-demo: cannot serve the UI on " + ui + ": " + e.getMessage()
          + " (choose another port: --ui 127.0.0.1:PORT)");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** RFC 4180: quoted when it holds a comma, a quote or a line break. */
  private static String csvField(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
