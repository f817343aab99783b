package io.sluice.bench.sdk.codec;

import io.sluice.bench.data.LogLines;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.batch.Batcher;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.ZstdCodec;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * zstd on what the batcher really compresses: one encoded {@code LogBatch} of {@code records} realistic records
 * (see {@link LogLines}), about 600 KB. Reports time per batch; the setup prints the batch size and the ratio.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ZstdBench {
  @Param({"1", "3"})
  int level;

  @Param({"2048"})
  int records;

  byte[] encoded;
  byte[] compressed;
  /** One codec, its contexts reused across calls, as the batcher thread holds it. */
  ZstdCodec codec;

  @Setup
  public void setUp() {
    List<LogRecord> batch = LogLines.records(42, records, 0);
    Batcher batcher = new Batcher(new BatchPolicy(records, Integer.MAX_VALUE, Long.MAX_VALUE),
        PipelineConfig.builder().serviceName("checkout").build().resource());
    for (LogRecord r : batch) batcher.add(r, 0);
    encoded = batcher.batch().toByteArray();
    codec = new ZstdCodec(level);
    compressed = codec.compress(encoded);
    // the ratio is a property of the input, not of the timing: printed once (MB/s = encoded bytes / score)
    System.out.printf("%n  zstd level %d: %,d -> %,d bytes, ratio %.2f%n", level, encoded.length, compressed.length,
        encoded.length / (double) compressed.length);
  }

  @Benchmark
  public byte[] compress() {
    return codec.compress(encoded);
  }

  @Benchmark
  public byte[] decompress() throws io.sluice.wire.WireException {
    return codec.decompress(compressed, 64 << 20);
  }
}
