package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RecordIdentity;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How many Parquet bytes a batch of Kafka record bytes makes, at the job's default size: one partition's batch of
 * {@code 8 MiB / 0.1} (JobMain's {@code --archive-file-bytes} / {@code --archive-parquet-ratio} defaults) of
 * collector-like records, written by the sink in one {@code write}, is one file of at least 8 MiB that DuckDB reads
 * exactly. Prints the measured ratio; {@code -Dsluice.it.fileBytes=N -Dsluice.it.ratio=R} try other settings.
 */
class ArchiveFileSizeIT {
  private static final long START = Instant.parse("2026-11-23T10:00:00Z").toEpochMilli();
  private static final long FILE_BYTES = Long.getLong("sluice.it.fileBytes", 8L << 20);
  private static final double RATIO = Double.parseDouble(System.getProperty("sluice.it.ratio", "0.1"));

  @TempDir
  Path dir;

  @Test
  void aDefaultSizedBatchOfOnePartitionIsOneFileOfAtLeastTheTarget() throws Exception {
    long batchBytes = Math.round(FILE_BYTES / RATIO);
    List<LogEvent> batch = onePartition("checkout", batchBytes);
    long raw = batch.stream().mapToLong(LogEvent::sizeBytes).sum();

    long t0 = System.nanoTime();
    try (Sink<LogEvent> sink = ParquetArchive.sinkFactory(dir.toUri(), Map.of()).open()) {
      sink.write(batch);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;

    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = walk.filter(f -> f.getFileName().toString().endsWith(".parquet")).toList();
    }
    assertThat(files).hasSize(1);
    long parquet = Files.size(files.get(0));
    System.out.printf(
        "one batch: %d records, %d Kafka bytes -> %d Parquet bytes (SNAPPY) in %.1f s: ratio %.3f, target %d%n",
        batch.size(), raw, parquet, seconds, (double) parquet / raw, FILE_BYTES);
    assertThat(parquet).as("Parquet bytes of a batch closed by size").isGreaterThanOrEqualTo(FILE_BYTES);
    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(batch.size());
    assertThat(DuckDb.single("SELECT count(DISTINCT identity) FROM " + DuckDb.table(dir))).isEqualTo(batch.size());
  }

  /**
   * Distinct events of one service within one hour, in TestRecords' mix, until adding one more would pass
   * {@code batchBytes} (where GroupIntoBatches closes a batch). Generated in chunks, each chunk's identities moved
   * to an epoch of its own so they stay distinct.
   */
  private static List<LogEvent> onePartition(String service, long batchBytes) {
    List<LogEvent> out = new ArrayList<>();
    long bytes = 0;
    for (int chunk = 0;; chunk++) {
      List<LogEvent> events =
          Truth.distinctEvents(TestRecords.generate(100 + chunk, 30_000, 100, START, 59 * 60_000L, 0, "sluice.logs")
              .records());
      for (LogEvent e : events) {
        if (!e.service().equals(service)) {
          continue;
        }
        if (bytes + e.sizeBytes() > batchBytes) {
          return out;
        }
        bytes += e.sizeBytes();
        RecordIdentity id = e.identity();
        out.add(new LogEvent(
            new RecordIdentity(id.source(), 1000L + chunk, id.seq(), id.idx()), e.tenant(), e.topic(),
            e.timeUnixNano(), e.service(), e.host(), e.severity(), e.severityText(), e.body(), e.messageTemplate(),
            e.logger(), e.thread(), e.traceId(), e.spanId(), e.exceptionType(), e.exceptionMessage(), e.topFrame(),
            e.fingerprint(), e.attributes(), e.sizeBytes()));
      }
    }
  }
}
