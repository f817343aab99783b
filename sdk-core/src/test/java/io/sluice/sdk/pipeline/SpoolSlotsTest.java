package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.sdk.testkit.Records;
import io.sluice.sdk.testkit.TestCollector;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances on one spool directory, with real RocksDB locks and a real gRPC collector: the second one ships
 * from a numbered sibling and says so (ERROR, counted); a sibling left with batches is shipped by whoever runs.
 */
class SpoolSlotsTest {
  @TempDir
  Path dir;
  TestCollector collector;
  final List<String> errors = new CopyOnWriteArrayList<>();
  final List<String> warnings = new CopyOnWriteArrayList<>();
  final Diagnostics diagnostics = new Diagnostics() {
    @Override
    public void warn(String message, Throwable error) {
      warnings.add(message);
    }

    @Override
    public void error(String message, Throwable error) {
      errors.add(message);
    }
  };

  @BeforeEach
  void startCollector() {
    collector = new TestCollector();
  }

  @AfterEach
  void stopCollector() {
    collector.close();
  }

  private PipelineConfig.Builder config(Path spoolDir) {
    return PipelineConfig.builder().endpoint(collector.endpoint()).serviceName("slots").spoolDir(spoolDir)
        .lingerMs(20).reconnectMinMs(20).reconnectMaxMs(200).closeTimeoutMs(2000).diagnostics(diagnostics);
  }

  @Test
  void aSpoolHeldByAnotherProcessFallsBackToASiblingThatShipsAndSaysSo() throws Exception {
    Path shared = dir.resolve("spool");
    Process other = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), SpoolHolder.class.getName(), shared.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(other.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo("HELD");
      try (Pipeline p = Pipeline.start(config(shared).build())) {
        assertThat(p.spoolDir()).isEqualTo(dir.resolve("spool-instance-2"));
        assertThat(p.stats().spoolsHeldByOthers()).isEqualTo(1);
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).contains(shared.toString(), "held by another process", "spool-instance-2",
            "give each its own spoolDir");
        for (int i = 0; i < 10; i++) p.offer(Records.numbered(i));
        await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 10);
      }
    } finally {
      other.getOutputStream().close();
      other.waitFor();
    }
    assertThat(collector.distinct()).isEqualTo(10);
  }

  @Test
  void twoPipelinesInOneJvmOnOneDirectoryBothShip() {
    Path shared = dir.resolve("spool");
    try (Pipeline a = Pipeline.start(config(shared).build());
        Pipeline b = Pipeline.start(config(shared).build())) {
      assertThat(a.spoolDir()).isEqualTo(shared);
      assertThat(b.spoolDir()).isEqualTo(dir.resolve("spool-instance-2"));
      assertThat(a.stats().spoolsHeldByOthers()).isZero();
      assertThat(b.stats().spoolsHeldByOthers()).isEqualTo(1);
      assertThat(a.hello().getClientId()).isNotEqualTo(b.hello().getClientId());
      for (int i = 0; i < 5; i++) {
        a.offer(Records.numbered(i));
        b.offer(Records.numbered(100 + i));
      }
      await().atMost(Duration.ofSeconds(30))
          .until(() -> a.stats().acknowledged() == 5 && b.stats().acknowledged() == 5);
    }
    assertThat(collector.distinct()).isEqualTo(10);
  }

  @Test
  void aSiblingLeftWithBatchesIsShippedByTheInstanceThatRuns() {
    Path shared = dir.resolve("spool");
    collector.stop();
    // A second instance that ran before, could not ship, and is gone now.
    try (Pipeline gone = Pipeline.start(config(dir.resolve("spool-instance-2")).closeTimeoutMs(0).build())) {
      for (int i = 0; i < 7; i++) gone.offer(Records.numbered(i));
      await().atMost(Duration.ofSeconds(30)).until(() -> gone.stats().spooled() == 7);
    }
    collector.restart();
    try (Pipeline p = Pipeline.start(config(shared).build())) {
      assertThat(p.spoolDir()).isEqualTo(shared);
      assertThat(p.stats().spoolsAdopted()).isEqualTo(1);
      assertThat(warnings).anyMatch(w -> w.contains("spool-instance-2") && w.contains("7 records"));
      p.offer(Records.numbered(100));
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.distinct() == 8);
      await().atMost(Duration.ofSeconds(30)).until(() -> warnings.stream().anyMatch(w -> w.contains("released")));
    }
    // Released: a later instance can take the sibling again.
    try (Pipeline again = Pipeline.start(config(dir.resolve("spool-instance-2")).build())) {
      assertThat(again.stats().spooled()).isZero();
    }
  }
}
