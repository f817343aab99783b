package io.sluice.bench.sdk.spool;

import io.sluice.bench.data.LogLines;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.SpoolEntry;
import io.sluice.sdk.spool.WhenFull;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link RocksDbSpool} with real batches: a zstd-compressed (level 3) batch of {@code records} realistic records,
 * in a fresh RocksDB directory under {@code java.io.tmpdir}, WAL on, {@code fsync=never} (the default). The
 * steady state of a healthy pipeline is append → read → remove of the same batch; the three are also measured apart
 * (append alone grows the spool; the cap is set high enough that nothing is evicted in a short run).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class RocksDbSpoolBench {
  @Param({"2048"})
  int records;

  @Param({"never"})
  String fsync;

  Path dir;
  RocksDbSpool spool;
  byte[] payload;
  int uncompressed;
  long readSequence;

  @Setup
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("sluice-spool-bench");
    spool = new RocksDbSpool(dir, 64L << 30,
        fsync.equals("never") ? FsyncPolicy.NEVER : FsyncPolicy.EVERY_BATCH, "bench");
    List<LogRecord> batch = LogLines.records(3, records, 0);
    io.sluice.wire.BatchWriter writer = new io.sluice.wire.BatchWriter(PipelineConfig.builder().build().resource(),
        1 << 20);
    for (LogRecord r : batch) writer.add(r);
    uncompressed = writer.length();
    payload = writer.compress(new io.sluice.wire.ZstdCodec(3));
    readSequence = spool.append(records, uncompressed, payload, WhenFull.DROP_NEWEST).sequence();
  }

  @TearDown
  public void tearDown() throws IOException {
    spool.close();
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** The healthy steady state: spool a batch, read it for sending, delete it on its ack. */
  @Benchmark
  public SpoolEntry appendReadRemove() {
    long seq = spool.append(records, uncompressed, payload, WhenFull.DROP_NEWEST).sequence();
    SpoolEntry e = spool.read(seq);
    spool.remove(seq);
    return e;
  }

  /** Appends only: the spool grows, as while the collector is down. */
  @Benchmark
  public long append() {
    return spool.append(records, uncompressed, payload, WhenFull.DROP_NEWEST).sequence();
  }

  @Benchmark
  public SpoolEntry read() {
    return spool.read(readSequence);
  }
}
