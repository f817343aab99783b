package io.sluice.backend.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.Severity;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The demo's backend entry point on a small topic with resent batches: a KRaft broker and Cassandra in this JVM,
 * the job on Flink [local]. The printed aggregates add up to the distinct records, which {@code --expect} checks.
 */
class BackendDemoIT {
  private static final String TOPIC = "sluice-demo";
  private static TestKafka kafka;
  private static TestRecords.Generated generated;
  private static long distinct;
  private static BackendDemoMain main;
  private static int exit;
  private static String printed;
  private static Path csv;

  @BeforeAll
  static void runTheBackendDemoOnce() throws Exception {
    kafka = TestKafka.start();
    kafka.createTopic(TOPIC, 3);
    generated = TestRecords.generate(
        7, 3_000, 50, Instant.parse("2026-11-24T04:00:00Z").toEpochMilli(), 3 * 60_000L, 10, TOPIC);
    distinct = Truth.distinctEvents(generated.records()).size();
    kafka.produce(generated.records());
    csv = Files.createTempFile("backend-demo-rows", ".csv");
    main = new BackendDemoMain();
    StringWriter out = new StringWriter();
    exit = new CommandLine(main).setOut(new PrintWriter(out, true)).execute(
        "--bootstrap-servers=" + kafka.bootstrapServers(), "--topics=" + TOPIC, "--expect=" + distinct,
        "--rows-csv=" + csv);
    printed = out.toString();
    System.out.println(printed);
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void writesTheRowsAsCsvThatEqualTheTruthKeyByKey() throws Exception {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(lines.get(0)).isEqualTo("minute,tenant,service,severity,records");
    Map<Truth.Key, Long> rows = new HashMap<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",", -1); // the generated tenants and services hold no commas
      rows.put(new Truth.Key(f[1], f[2], Severity.valueOf(f[3]), Long.parseLong(f[0])), Long.parseLong(f[4]));
    }
    assertThat(rows).isEqualTo(Truth.minuteCounts(generated.records()));
  }

  @Test
  void printsAggregatesThatAddUpToTheDistinctRecords() {
    assertThat(generated.records()).hasSizeGreaterThan((int) distinct);
    assertThat(exit).as(printed).isZero();
    assertThat(main.total).isEqualTo(distinct).isEqualTo(3_000);
    assertThat(printed)
        .contains("2026-11-24 04:00", "checkout", "total (Cassandra's per-minute aggregates)",
            String.format("%,d", distinct), "== the demo's delivered count");
    // one line per minute, tenant, service and severity, each with its count
    long rows = printed.lines().filter(l -> l.matches("\\s+2026-11-24 04:0\\d .*\\d")).count();
    assertThat(rows).isEqualTo(Truth.minuteCounts(generated.records()).size());
  }
}
