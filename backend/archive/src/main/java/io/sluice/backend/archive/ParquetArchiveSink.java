package io.sluice.backend.archive;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.util.HadoopOutputFile;

/**
 * Writes de-duplicated {@link LogEvent}s as Parquet files under Hive-style partitions
 * {@code <root>/date=YYYY-MM-DD/hour=HH/service=<name>/} on any Hadoop FileSystem.
 *
 * <p>Each {@link #write} groups its events by partition, sorts each group by (event time, identity), and writes
 * them to files of at most {@code maxRowsPerFile} rows / about {@code maxFileBytes} bytes. Every file is written
 * under a hidden temporary name ({@code .tmp-<uuid>.parquet.inprogress}, which Hive, Trino, DuckDB and Hadoop's
 * input formats all skip) and renamed when complete, so readers see whole files or nothing. The final name is
 * derived from the rows it holds: {@code part-<first 16 hex digits of SHA-256 over the identities>-<rows>.parquet}.
 * Writing the same events again (a replay of the same bundle) therefore produces the same names, and a file that
 * already exists is kept and the new copy discarded: the archive holds each row once. A replay that batches the
 * events differently yields different names; the duplicate rows are then detectable by their {@code identity}
 * column (see the module README). {@link #write} returns when every file is closed and renamed: on HDFS, when all
 * datanodes of the pipeline have acknowledged the data.
 *
 * <p>Memory: one Parquet writer is open at a time, buffering at most {@code rowGroupBytes}. Not thread-safe: one
 * thread at a time (a pipeline worker); may block on file-system I/O. The FileSystem is Hadoop's cached instance
 * for the root's scheme and authority, so {@link #close} leaves it open for others in the JVM.
 */
public final class ParquetArchiveSink implements Sink<LogEvent> {
  private static final Comparator<LogEvent> FILE_ORDER =
      Comparator.comparingLong(LogEvent::timeUnixNano).thenComparing(e -> e.identity().key());
  private static final Comparator<ArchivePartition> PARTITION_ORDER =
      Comparator.comparing(ArchivePartition::date)
          .thenComparing(ArchivePartition::hour)
          .thenComparing(ArchivePartition::service);

  private final ArchiveConfig config;
  private final Configuration conf;
  private final Path root;
  private final FileSystem fs;
  private long filesCommitted;
  private long filesAlreadyPresent;
  private long rowsCommitted;

  public ParquetArchiveSink(ArchiveConfig config) throws IOException {
    this.config = config;
    this.conf = new Configuration();
    config.hadoop().forEach(conf::set);
    this.root = new Path(config.root());
    this.fs = root.getFileSystem(conf);
  }

  @Override
  public void write(List<LogEvent> items) throws IOException {
    Map<ArchivePartition, List<LogEvent>> byPartition = new TreeMap<>(PARTITION_ORDER);
    for (LogEvent e : items) {
      byPartition.computeIfAbsent(ArchivePartition.of(e), p -> new ArrayList<>()).add(e);
    }
    for (Map.Entry<ArchivePartition, List<LogEvent>> group : byPartition.entrySet()) {
      List<LogEvent> events = group.getValue();
      events.sort(FILE_ORDER);
      Path dir = new Path(root, group.getKey().path());
      int next = 0;
      while (next < events.size()) {
        next = writeFile(dir, events, next);
      }
    }
  }

  /** Writes one file from {@code events[from..]} until a size bound is reached; returns the next index. */
  private int writeFile(Path dir, List<LogEvent> events, int from) throws IOException {
    Path tmp = new Path(dir, ".tmp-" + UUID.randomUUID() + ".parquet.inprogress");
    MessageDigest identities = sha256();
    int i = from;
    boolean committed = false;
    try {
      try (ParquetWriter<GenericRecord> writer = open(tmp)) {
        while (i < events.size()) {
          LogEvent e = events.get(i++);
          writer.write(ArchiveSchema.toRecord(e));
          identities.update(e.identity().key().getBytes(StandardCharsets.UTF_8));
          identities.update((byte) '\n');
          if (i - from >= config.maxRowsPerFile() || writer.getDataSize() >= config.maxFileBytes()) {
            break;
          }
        }
      }
      int rows = i - from;
      Path target =
          new Path(dir, "part-" + HexFormat.of().formatHex(identities.digest(), 0, 8) + "-" + rows + ".parquet");
      committed = commit(tmp, target);
      if (committed) {
        filesCommitted++;
        rowsCommitted += rows;
      } else {
        filesAlreadyPresent++;
      }
      return i;
    } finally {
      if (!committed) {
        fs.delete(tmp, false);
      }
    }
  }

  /** Renames {@code tmp} to {@code target}; false when {@code target} already exists (a replay: same rows). */
  private boolean commit(Path tmp, Path target) throws IOException {
    if (fs.exists(target)) {
      return false;
    }
    if (fs.rename(tmp, target)) {
      return true;
    }
    if (fs.exists(target)) {
      return false; // a concurrent replay of the same rows won the rename
    }
    throw new IOException("could not rename " + tmp + " to " + target + " on " + fs.getUri()
        + ": check that the archive root is writable and the file system supports rename");
  }

  private ParquetWriter<GenericRecord> open(Path tmp) throws IOException {
    return AvroParquetWriter.<GenericRecord>builder(HadoopOutputFile.fromPath(tmp, conf))
        .withSchema(ArchiveSchema.SCHEMA)
        .withDataModel(GenericData.get())
        .withConf(conf)
        .withCompressionCodec(config.compression())
        .withRowGroupSize(config.rowGroupBytes())
        .withWriteMode(ParquetFileWriter.Mode.CREATE)
        .build();
  }

  /** Files renamed into place by this sink. */
  public long filesCommitted() {
    return filesCommitted;
  }

  /** Files not committed because a file of the same name (the same rows) was already there: replays. */
  public long filesAlreadyPresent() {
    return filesAlreadyPresent;
  }

  /** Rows in the files this sink committed. */
  public long rowsCommitted() {
    return rowsCommitted;
  }

  @Override
  public void close() {
    // Nothing is buffered between writes, and the FileSystem is Hadoop's shared cached instance.
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
