package io.sluice.agent;

import static io.sluice.agent.Harness.append;
import static io.sluice.agent.Harness.assertExactly;
import static io.sluice.agent.Harness.bodies;
import static io.sluice.agent.Harness.bodyDuplicates;
import static io.sluice.agent.Harness.expected;
import static io.sluice.agent.Harness.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.TestCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentTest {
  @TempDir
  Path tmp;
  TestCollector collector;
  Path logs;
  Path spool;

  @BeforeEach
  void setUp() throws Exception {
    collector = new TestCollector();
    logs = Files.createDirectories(tmp.resolve("logs"));
    spool = tmp.resolve("spool");
  }

  @AfterEach
  void tearDown() {
    collector.close();
  }

  private AgentConfig config() {
    return Harness.config(collector, spool, InputConfig.plain("app", logs + "/*.log")).build();
  }

  @Test
  void shipsExistingAndAppendedLinesOnce() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, lines("a-", 0, 500));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 500);
      append(f, lines("a-", 500, 1000));
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 1000);
    }
    assertExactly(collector, expected("a-", 0, 1000));
    assertThat(collector.duplicates()).isZero();
    assertThat(bodyDuplicates(collector)).isZero();
  }

  @Test
  void resumesFromCheckpointAfterRestartWithoutDuplicates() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, lines("r-", 0, 300));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 300);
    }
    append(f, lines("r-", 300, 600));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 600);
    }
    assertExactly(collector, expected("r-", 0, 600));
    assertThat(bodyDuplicates(collector)).isZero();
  }

  @Test
  void followsRenameAndCreateRotationReadingTheOldFileToItsEnd() throws Exception {
    Path f = logs.resolve("app.log");
    List<String> all = new ArrayList<>();
    try (Agent agent = Agent.start(config())) {
      int n = 0;
      for (int round = 0; round < 5; round++) {
        append(f, lines("rot-", n, n + 200));
        all.addAll(expected("rot-", n, n + 200));
        n += 200;
        int seen = all.size();
        // A file created and renamed away before the agent ever saw it cannot be found: wait until it is open.
        await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= seen);
        Files.move(f, logs.resolve("app.log." + round)); // out of the glob: still read through the open file
        append(logs.resolve("app.log." + round), lines("rot-", n, n + 50)); // the writer still had it open
        all.addAll(expected("rot-", n, n + 50));
        n += 50;
      }
      append(f, lines("rot-", n, n + 100));
      all.addAll(expected("rot-", n, n + 100));
      int total = all.size();
      await().atMost(Duration.ofSeconds(15)).until(() -> collector.distinct() >= total);
    }
    assertExactly(collector, all);
    assertThat(bodyDuplicates(collector)).isZero();
  }

  @Test
  void readsTruncatedFileFromTheStart() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, lines("before-", 0, 100));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 100);
      Files.writeString(f, ""); // truncate
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().truncations.sum() >= 1);
      append(f, lines("after-", 0, 100));
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 200);
    }
    List<String> all = new ArrayList<>(expected("before-", 0, 100));
    all.addAll(expected("after-", 0, 100));
    assertExactly(collector, all);
    assertThat(bodyDuplicates(collector)).isZero();
  }

  @Test
  void detectsTruncationThatWasOverwrittenPastTheOldOffsetByFingerprint() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, lines("old-", 0, 10));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 10);
      // Rewritten in one go, longer than before: the size never drops below the read position.
      Files.writeString(f, lines("new-", 0, 50));
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 60);
    }
    List<String> all = new ArrayList<>(expected("old-", 0, 10));
    all.addAll(expected("new-", 0, 50));
    assertExactly(collector, all);
  }

  @Test
  void releasesDeletedFileAfterReadingIt() throws Exception {
    Path f = logs.resolve("gone.log");
    append(f, lines("d-", 0, 100));
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 100);
      Files.delete(f);
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.files().isEmpty());
      assertThat(agent.stats().filesReleased.sum()).isEqualTo(1);
    }
    assertExactly(collector, expected("d-", 0, 100));
  }

  @Test
  void keepsFilesWithIdenticalFirstBytesApart() throws Exception {
    String header = "# identical header line for every file, longer than nothing at all\n";
    for (int i = 0; i < 3; i++) {
      Path f = logs.resolve("same-" + i + ".log");
      append(f, header);
      append(f, lines("f" + i + "-", 0, 100));
    }
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 303);
    }
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 3; i++) all.addAll(expected("f" + i + "-", 0, 100));
    assertThat(bodies(collector)).containsAll(all);
    assertThat(bodies(collector).stream().filter(b -> b.startsWith("# identical"))).hasSize(3);
  }

  @Test
  void aStackTraceHeldAtShutdownArrivesWholeOnceAfterRestart() throws Exception {
    Path f = logs.resolve("app.log");
    InputConfig input =
        InputConfig.plain("app", logs + "/*.log").withMultiline(new io.sluice.agent.multiline.MultilineConfig(
            io.sluice.agent.multiline.MultilineMode.JAVA, null, 500, 1 << 20, 60_000_000_000L)); // no flush by timeout
    AgentConfig cfg = Harness.config(collector, spool, input).build();
    String trace = "2024-05-01 ERROR failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n";
    append(f, "2024-05-01 INFO one\n" + trace);
    try (Agent agent = Agent.start(cfg)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 1);
      append(f, "\tat a.B.d(B.java:2)\n"); // the trace is still growing when the agent stops
      await().atMost(Duration.ofSeconds(5)).until(() -> agent.stats().linesRead.sum() >= 5);
    }
    append(f, "Caused by: java.io.IOException: disk\n\t... 2 more\n2024-05-01 INFO two\n");
    try (Agent agent = Agent.start(cfg)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 2);
    }
    assertThat(bodies(collector)).containsExactly("2024-05-01 INFO one",
        "2024-05-01 ERROR failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n\tat a.B.d(B.java:2)"
            + "\nCaused by: java.io.IOException: disk\n\t... 2 more");
  }

  @Test
  void plainLinesArriveAsTheirBytesWithInvalidUtf8ReplacedAsBefore() throws Exception {
    Path f = logs.resolve("app.log");
    byte[] file = concat("ascii INFO line\n".getBytes(StandardCharsets.UTF_8),
        "Grüße WARN ünïcödé\r\n".getBytes(StandardCharsets.UTF_8),
        new byte[] {'b', 'a', 'd', ' ', (byte) 0xFF, (byte) 0xC3, ' ', 'E', 'R', 'R', 'O', 'R', '\n'},
        "\n".getBytes(StandardCharsets.UTF_8),
        ("x".repeat(30) + "é".repeat(10) + "\n").getBytes(StandardCharsets.UTF_8)); // cut inside an 'é'
    Files.write(f, file);
    AgentConfig cfg = Harness.config(collector, spool, InputConfig.plain("app", logs + "/*.log")).maxLineBytes(31)
        .build();
    try (Agent agent = Agent.start(cfg)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 5);
    }
    var records = collector.received().stream().map(r -> r.record()).toList();
    assertThat(records).extracting(r -> r.getBody().getStringValue()).containsExactly("ascii INFO line",
        "Grüße WARN ünïcödé", "bad \uFFFD\uFFFD ERROR", "", "x".repeat(30) + "\uFFFD");
    assertThat(records).extracting(r -> r.getSeverityText()).containsExactly("INFO", "WARN", "ERROR", "", "");
    assertThat(records.get(2).getBody().getStringValueBytes().toByteArray())
        .isEqualTo("bad \uFFFD\uFFFD ERROR".getBytes(StandardCharsets.UTF_8));
    assertThat(records).extracting(r -> r.getTruncated()).containsExactly(false, false, false, false, true);
    long offset = 0;
    for (var r : records) { // offsets and lengths cover the file exactly
      assertThat(r.getSource().getOffset()).isEqualTo(offset);
      assertThat(r.getSource().getFile()).isEqualTo(f.toString());
      assertThat(r.getAttributesList()).extracting(kv -> kv.getKey()).contains("log.file.path", "log.input");
      assertThat(r.getTimeUnixNano()).isEqualTo(r.getObservedTimeUnixNano()).isPositive();
      offset += r.getSource().getLength();
    }
    assertThat(offset).isEqualTo(file.length);
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  @Test
  void aHugeLineIsTruncatedFlaggedAndTheFileGoesOn() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, "before\n" + "y".repeat(3 << 20) + "\nafter\n");
    AgentConfig cfg =
        Harness.config(collector, spool, InputConfig.plain("app", logs + "/*.log")).maxLineBytes(1024).build();
    try (Agent agent = Agent.start(cfg)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 3);
      assertThat(agent.stats().linesTruncated.sum()).isEqualTo(1);
    }
    var records = collector.received();
    assertThat(records).hasSize(3);
    assertThat(records.get(1).record().getBody().getStringValue()).hasSize(1024);
    assertThat(records.get(1).record().getTruncated()).isTrue();
    assertThat(records.get(1).record().getSource().getLength()).isEqualTo((3 << 20) + 1);
    assertThat(records.get(2).record().getBody().getStringValue()).isEqualTo("after");
  }

  @Test
  void aFileOnAReusedInodeIsReadFromTheStartAfterRestart() throws Exception {
    Path f = logs.resolve("app.log");
    append(f, lines("first-", 0, 50));
    io.sluice.agent.tail.FileId oldId = io.sluice.agent.tail.FileId.of(f);
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 50);
    }
    // While the agent is down the file is deleted and its inode handed to a new file (the kernel reuses freed
    // inodes eagerly; create a few files until one gets it).
    Files.delete(f);
    Path reused = null;
    List<Path> others = new ArrayList<>();
    for (int i = 0; i < 64 && reused == null; i++) {
      Path p = Files.createFile(tmp.resolve("probe-" + i));
      if (io.sluice.agent.tail.FileId.of(p).equals(oldId)) reused = p;
      else others.add(p);
    }
    org.assertj.core.api.Assumptions.assumeThat(reused).as("the file system reused the inode").isNotNull();
    for (Path o : others) Files.delete(o);
    Files.writeString(reused, lines("second-", 0, 80)); // longer than the first: the offset alone would fit
    Files.move(reused, f);
    try (Agent agent = Agent.start(config())) {
      await().atMost(Duration.ofSeconds(10)).until(() -> collector.distinct() >= 130);
    }
    List<String> all = new ArrayList<>(expected("first-", 0, 50));
    all.addAll(expected("second-", 0, 80));
    assertExactly(collector, all);
    assertThat(bodyDuplicates(collector)).isZero();
  }

  @Test
  void stopsReadingWhileTheSpoolIsFullAndLosesNothing() throws Exception {
    // Random hex does not compress: ~3 MiB of it overflows a 1 MiB spool while the collector is down.
    java.util.Random r = new java.util.Random(7);
    StringBuilder sb = new StringBuilder();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 12_000; i++) {
      StringBuilder line = new StringBuilder("full-").append(i).append(' ');
      for (int j = 0; j < 16; j++) line.append(Long.toHexString(r.nextLong()));
      all.add(line.toString());
      sb.append(line).append('\n');
    }
    Path f = logs.resolve("app.log");
    append(f, sb.toString());
    collector.stop();
    AgentConfig.Builder b = Harness.config(collector, spool, InputConfig.plain("app", logs + "/*.log"));
    b.pipeline().spoolMaxBytes(1 << 20).batchMaxBytes(64 << 10);
    try (Agent agent = Agent.start(b.build())) {
      await().atMost(Duration.ofSeconds(20)).until(() -> agent.stats().spoolFullWaits.sum() > 0);
      assertThat(agent.spool().bytes()).isLessThanOrEqualTo(1 << 20);
      assertThat(agent.files().get(0).lagBytes()).isPositive(); // the file is the buffer
      assertThat(agent.live()).isTrue(); // back-pressure is not a stall
      collector.restart();
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() >= all.size());
    }
    assertExactly(collector, all);
  }
}
