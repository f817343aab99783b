package io.sluice.bench.sdk.codec;

import io.sluice.bench.data.LogLines;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.codec.BatchEncoder;
import io.sluice.sdk.pipeline.PipelineConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batcher's per-record work besides zstd: encoding a batch of 2,048 realistic records into one
 * {@code LogBatch} (sizes precomputed, as the batcher has them). Time per record.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class BatchEncodeBench {
  static final int RECORDS = 2048;

  List<LogRecord> batch;
  BatchEncoder encoder;
  long size;

  @Setup
  public void setUp() {
    batch = LogLines.records(7, RECORDS, 0);
    encoder = new BatchEncoder(PipelineConfig.builder().serviceName("checkout").build().resource());
    for (LogRecord r : batch) size += BatchEncoder.sizeInBatch(r);
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] encode() {
    return encoder.encode(batch, size);
  }
}
