package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetArchiveSinkTest {
  private static final long START = Instant.parse("2026-11-23T10:15:00Z").toEpochMilli();
  private static TestRecords.Generated generated;
  private static List<LogEvent> distinct;

  @TempDir
  Path dir;

  @BeforeAll
  static void generate() {
    generated = TestRecords.generate(7, 3_000, 50, START, 3 * 3_600_000L, 20, "sluice-logs");
    distinct = Truth.distinctEvents(generated.records());
  }

  @Test
  void writesHivePartitionsThatDuckDbCountsExactly() throws Exception {
    writeInChunks(ParquetArchive.sinkFactory(dir.toUri(), Map.of()), distinct, 700);

    assertThat(DuckDb.countsByTenantServiceSeverity(dir))
        .isEqualTo(Truth.countsByServiceAndSeverity(generated.records()));
    assertThat(DuckDb.single("SELECT count(DISTINCT identity) FROM " + DuckDb.table(dir))).isEqualTo(3_000);
    List<String> files = relativeFiles(dir);
    assertThat(files)
        .isNotEmpty()
        .allMatch(
            f -> f.matches(
                "date=2026-11-23/hour=1[0-3]/service=(checkout|payments|search)/part-[0-9a-f]{16}-\\d+\\.parquet")
                || f.matches(".*/\\.part-[0-9a-f]{16}-\\d+\\.parquet\\.crc"),
            "data files and their local checksums only, no temporary files left behind");
    // the hour partition holds exactly the events of that UTC hour
    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir)
        + " WHERE CAST(date_part('hour', event_time AT TIME ZONE 'UTC') AS INTEGER) <> CAST(hour AS INTEGER)"))
        .isZero();
  }

  @Test
  void rowsKeepEveryFieldOfTheEvent() throws Exception {
    writeInChunks(ParquetArchive.sinkFactory(dir.toUri(), Map.of()), distinct, 1_000);

    Map<String, GenericRecord> rows = new HashMap<>();
    Map<String, String> serviceOf = new HashMap<>();
    for (String file : relativeFiles(dir)) {
      if (!file.endsWith(".parquet")) {
        continue;
      }
      org.apache.hadoop.fs.Path path = new org.apache.hadoop.fs.Path(dir.resolve(file).toUri());
      try (ParquetReader<GenericRecord> reader =
          AvroParquetReader.<GenericRecord>builder(HadoopInputFile.fromPath(path, new Configuration())).build()) {
        for (GenericRecord r = reader.read(); r != null; r = reader.read()) {
          assertThat(rows.put(r.get("identity").toString(), r)).as("identity appears once").isNull();
          serviceOf.put(r.get("identity").toString(), ArchivePartition.serviceOf(file));
        }
      }
    }
    assertThat(rows).hasSize(distinct.size());
    for (LogEvent e : distinct) {
      GenericRecord r = rows.get(e.identity().key());
      assertThat(serviceOf.get(e.identity().key())).isEqualTo(e.service());
      assertThat(str(r, "tenant")).isEqualTo(e.tenant());
      assertThat(str(r, "topic")).isEqualTo(e.topic());
      assertThat(r.get("time_unix_nano")).isEqualTo(e.timeUnixNano());
      assertThat(r.get("event_time")).isEqualTo(e.timeUnixNano() / 1_000L);
      assertThat(str(r, "host")).isEqualTo(e.host());
      assertThat(str(r, "severity")).isEqualTo(e.severity().name());
      assertThat(str(r, "severity_text")).isEqualTo(e.severityText());
      assertThat(str(r, "body")).isEqualTo(e.body());
      assertThat(str(r, "message_template")).isEqualTo(e.messageTemplate());
      assertThat(str(r, "logger")).isEqualTo(e.logger());
      assertThat(str(r, "thread")).isEqualTo(e.thread());
      assertThat(str(r, "trace_id")).isEqualTo(e.traceId());
      assertThat(str(r, "span_id")).isEqualTo(e.spanId());
      assertThat(str(r, "exception_type")).isEqualTo(e.exceptionType());
      assertThat(str(r, "exception_message")).isEqualTo(e.exceptionMessage());
      assertThat(str(r, "top_frame")).isEqualTo(e.topFrame());
      assertThat(str(r, "fingerprint")).isEqualTo(e.fingerprint());
      Map<?, ?> attributes = (Map<?, ?>) r.get("attributes");
      assertThat(attributes.entrySet().stream()
          .collect(Collectors.toMap(a -> a.getKey().toString(), a -> a.getValue().toString())))
          .isEqualTo(e.attributes());
      assertThat(r.get("size_bytes")).isEqualTo(e.sizeBytes());
    }
  }

  @Test
  void replayingABatchInAnyOrderLeavesOneCopy() throws Exception {
    List<LogEvent> batch = distinct.subList(0, 2_000);
    ArchiveConfig config = ArchiveConfig.builder(dir.toUri()).build();
    try (ParquetArchiveSink first = new ParquetArchiveSink(config)) {
      first.write(batch);
      List<LogEvent> shuffled = new ArrayList<>(batch);
      Collections.shuffle(shuffled, new Random(3));
      try (ParquetArchiveSink replay = new ParquetArchiveSink(config)) {
        replay.write(shuffled);
        assertThat(replay.filesCommitted()).isZero();
        assertThat(replay.filesAlreadyPresent()).isEqualTo(first.filesCommitted()).isPositive();
      }
      assertThat(first.rowsCommitted()).isEqualTo(2_000);
    }
    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(2_000);
  }

  @Test
  void aReplayBatchedDifferentlyShowsAsDuplicateIdentitiesThatDistinctCountsIgnore() throws Exception {
    // the honest behaviour of a replay that cuts other batches (no stable input): whole extra files of rows already
    // archived, under new names; count(*) - count(DISTINCT identity) sees them, no row is lost
    SinkFactory<LogEvent> factory = ParquetArchive.sinkFactory(dir.toUri(), Map.of());
    writeInChunks(factory, distinct, 700);
    writeInChunks(factory, distinct, 1_000);

    assertThat(DuckDb.single("SELECT count(*) - count(DISTINCT identity) FROM " + DuckDb.table(dir))).isPositive();
    assertThat(DuckDb.single("SELECT count(DISTINCT identity) FROM " + DuckDb.table(dir))).isEqualTo(3_000);
  }

  @Test
  void rollsToANewFileAtMaxRowsPerFile() throws Exception {
    List<LogEvent> oneService =
        distinct.stream().filter(e -> ArchivePartition.of(e).equals(ArchivePartition.of(distinct.get(0)))).toList();
    ArchiveConfig config = ArchiveConfig.builder(dir.toUri()).maxRowsPerFile(100).build();
    try (ParquetArchiveSink sink = new ParquetArchiveSink(config)) {
      sink.write(oneService);
      assertThat(sink.filesCommitted()).isEqualTo((oneService.size() + 99) / 100);
    }
    long[] maxRows = {0};
    DuckDb.query("SELECT filename, count(*) FROM read_parquet('" + dir.toAbsolutePath()
        + "/**/*.parquet', filename = true) GROUP BY filename", rs -> maxRows[0] = Math.max(maxRows[0], rs.getLong(2)));
    assertThat(maxRows[0]).isEqualTo(Math.min(100, oneService.size()));
  }

  @Test
  void rollsToANewFileAtMaxFileBytes() throws Exception {
    ArchiveConfig config = ArchiveConfig.builder(dir.toUri()).maxFileBytes(64 << 10).rowGroupBytes(64 << 10).build();
    try (ParquetArchiveSink sink = new ParquetArchiveSink(config)) {
      sink.write(distinct);
    }
    try (Stream<Path> files = Files.walk(dir)) {
      assertThat(files.filter(f -> f.toString().endsWith(".parquet")))
          .allSatisfy(f -> assertThat(Files.size(f)).isLessThan(2 * (64 << 10)));
    }
    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(distinct.size());
  }

  @Test
  void factoryCrossesJavaSerializationToAWorker() throws Exception {
    SinkFactory<LogEvent> factory =
        ParquetArchive.sinkFactory(ArchiveConfig.fromProperties(Map.of("root", dir.toUri().toString(),
            "compression", "zstd", "hadoop.dfs.replication", "1")));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(factory);
    }
    @SuppressWarnings("unchecked")
    SinkFactory<LogEvent> onWorker =
        (SinkFactory<LogEvent>) new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();

    writeInChunks(onWorker, distinct.subList(0, 500), 100);

    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(500);
  }

  @Test
  void readersSkipUnfinishedTemporaryFiles() throws Exception {
    writeInChunks(ParquetArchive.sinkFactory(dir.toUri(), Map.of()), distinct.subList(0, 300), 300);
    Path partition = dir.resolve(ArchivePartition.of(distinct.get(0)).path());
    // what a writer that crashed mid-file leaves behind
    Files.write(partition.resolve(".tmp-crashed.parquet.inprogress"), new byte[] {'P', 'A', 'R', '1', 0, 1});

    assertThat(DuckDb.single("SELECT count(*) FROM " + DuckDb.table(dir))).isEqualTo(300);
  }

  static void writeInChunks(SinkFactory<LogEvent> factory, List<LogEvent> events, int chunk) throws Exception {
    try (Sink<LogEvent> sink = factory.open()) {
      for (int i = 0; i < events.size(); i += chunk) {
        sink.write(events.subList(i, Math.min(events.size(), i + chunk)));
      }
    }
  }

  private static List<String> relativeFiles(Path root) throws Exception {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).map(f -> root.relativize(f).toString()).sorted().toList();
    }
  }

  private static String str(GenericRecord r, String field) {
    return r.get(field).toString();
  }
}
