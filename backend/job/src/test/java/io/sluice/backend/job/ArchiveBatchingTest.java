package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.archive.ArchiveConfig;
import io.sluice.backend.archive.ArchivePartition;
import io.sluice.backend.archive.DuckDb;
import io.sluice.backend.archive.ParquetArchive;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import io.sluice.backend.streaming.EventBatching;
import io.sluice.backend.streaming.RawRecordCoder;
import io.sluice.backend.streaming.StreamingConfig;
import io.sluice.backend.streaming.StreamingPipeline;
import io.sluice.backend.streaming.StreamingSinks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The archive as the job wires it ({@code JobMain}'s options → {@link EventBatching} → the Parquet sink), on the
 * DirectRunner over collector-like records with resent batches, written to a local directory and read back by
 * DuckDB: files are at least {@code --archive-file-bytes} unless the end of the input closed them (one per
 * partition; the max delay is longer than the test), and the archive holds each distinct record exactly once.
 */
class ArchiveBatchingTest {
  private static final long START = Instant.parse("2026-11-23T10:00:00Z").toEpochMilli();
  private static final long FILE_BYTES = 4 << 10;

  private static TestRecords.Generated generated;
  private static List<LogEvent> distinct;
  private static EventBatching batching;

  @TempDir
  static Path dir;

  @BeforeAll
  static void runTheGraphIntoALocalArchive() {
    // one hour, three services: three partitions of ~400 records (~100 KB of Kafka values) each. Small, because the
    // DirectRunner spends ~30 ms per record in the de-duplication's per-identity state on a busy machine
    generated = TestRecords.generate(23, 1_200, 50, START, 50 * 60_000L, 6, "sluice.logs");
    distinct = Truth.distinctEvents(generated.records());
    batching = batching("--archive-file-bytes=4KiB");
    runJob(batching);
  }

  @Test
  void filesReachTheTargetSizeUnlessTheEndOfInputClosedThemAndDuckDbCountsEachRecordOnce() throws Exception {
    assertThat(batching.batchBytes()).isEqualTo(FILE_BYTES * 10); // the default ratio 0.1

    Map<String, List<Long>> sizes = parquetSizesByPartition(dir);
    assertThat(sizes.keySet()).containsExactlyInAnyOrder(
        "date=2026-11-23/hour=10/service=checkout", "date=2026-11-23/hour=10/service=payments",
        "date=2026-11-23/hour=10/service=search");
    int largest = distinct.stream().mapToInt(LogEvent::sizeBytes).max().orElseThrow();
    sizes.forEach((partition, files) -> {
      long raw = distinct.stream().filter(e -> ArchivePartition.of(e).path().equals(partition))
          .mapToLong(LogEvent::sizeBytes).sum();
      System.out.printf("%s: %d Kafka bytes -> Parquet files %s%n", partition, raw, files);
      assertThat(files.stream().filter(bytes -> bytes < FILE_BYTES)).as(partition + ": only the last may be small")
          .hasSizeLessThanOrEqualTo(1);
      assertThat(files.size()).as(partition + ": one file per batch")
          .isBetween((int) ((raw + batching.batchBytes() - 1) / batching.batchBytes()),
              (int) (raw / (batching.batchBytes() - largest)) + 1);
    });
    assertThat(sizes.values().stream().mapToInt(List::size).sum()).isGreaterThan(3); // not one file per partition

    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(generated.distinct());
    assertThat(DuckDb.single("SELECT count(*) - count(DISTINCT identity) FROM " + DuckDb.table(dir))).isZero();
    assertThat(DuckDb.countsByTenantServiceSeverity(dir))
        .isEqualTo(Truth.countsByServiceAndSeverity(generated.records()));
  }

  @Test
  void archiveBatchingOptionsAreChecked() {
    assertThat(batching("--archive-file-bytes=8MiB", "--archive-parquet-ratio=0.25", "--archive-max-delay=PT1M",
        "--archive-shards=4"))
        .satisfies(b -> {
          assertThat(b.batchBytes()).isEqualTo(32L << 20);
          assertThat(b.maxDelay()).hasMinutes(1);
          assertThat(b.shards()).isEqualTo(4);
          assertThat(b.stableInput()).as("unbounded: checkpointed batches").isTrue();
        });
    assertThat(batching("--bounded").stableInput()).isFalse();
    assertThat(batching("--archive-file-bytes=1048576").batchBytes()).isEqualTo(10L << 20);
  }

  private static EventBatching batching(String... options) {
    JobMain main = new JobMain();
    new CommandLine(main).setUnmatchedArgumentsAllowed(true)
        .parseArgs(Stream.concat(Stream.of("--bootstrap-servers=localhost:9", "--topics=sluice.logs",
            "--archive=" + dir.toUri()), Stream.of(options)).toArray(String[]::new));
    return main.archiveBatching(ArchiveConfig.builder(dir.toUri()).build());
  }

  private static void runJob(EventBatching batching) {
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    StreamingPipeline.expand(
        p.apply(Create.of(generated.records()).withCoder(RawRecordCoder.of())),
        StreamingConfig.builder().build(),
        StreamingSinks.builder().addBatchedEvents(ParquetArchive.sinkFactory(dir.toUri(), Map.of()), batching).build());
    p.run().waitUntilFinish();
  }

  /** Parquet file sizes per partition directory (relative to the root), smallest first. */
  static Map<String, List<Long>> parquetSizesByPartition(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".parquet"))
          .collect(Collectors.groupingBy(
              f -> root.relativize(f.getParent()).toString().replace('\\', '/'), TreeMap::new,
              Collectors.mapping(f -> f.toFile().length(), Collectors.collectingAndThen(Collectors.toList(),
                  l -> l.stream().sorted().toList()))));
    }
  }
}
