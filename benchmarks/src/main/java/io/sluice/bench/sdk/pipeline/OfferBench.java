package io.sluice.bench.sdk.pipeline;

import io.sluice.bench.AckingCollector;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.data.LogLines;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hand-off on the caller's thread: {@link Pipeline#offer} of a ready record (sizing + byte budget + MPSC queue).
 * Honest setup: the pipeline runs for real — batcher, zstd, RocksDB spool in a temp directory, gRPC shipper — against
 * an {@link AckingCollector} (a real gRPC server on 127.0.0.1 that decompresses, parses and acknowledges every batch),
 * so the queue drains. When
 * the callers outrun the drain the queue fills and {@code offer} refuses (policy {@code drop-newest}, counted): the
 * {@code accepted} / {@code refused} counters show how much of the measured time was which path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class OfferBench {
  AckingCollector collector;
  Pipeline pipeline;
  Path spoolDir;
  LogRecord[] records;

  @Setup
  public void setUp() {
    collector = new AckingCollector();
    spoolDir = BenchSupport.tempDir("sluice-offer-bench");
    pipeline = Pipeline.start(PipelineConfig.builder().endpoint(collector.endpoint()).serviceName("bench")
        .spoolDir(spoolDir).set("whenFull", "drop-newest").build());
    List<LogRecord> list = LogLines.records(11, 4096, 0);
    records = list.toArray(new LogRecord[0]);
  }

  @TearDown
  public void tearDown() {
    PipelineStats s = pipeline.stats();
    pipeline.close();
    collector.close();
    BenchSupport.deleteTree(spoolDir);
    System.out.printf("%n  pipeline: appended %,d, acknowledged %,d, dropped %s%n", s.appended(), s.acknowledged(),
        s.droppedByReason());
  }

  /** Per-thread cursor and outcome counters. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Outcome {
    int next;
    public long accepted;
    public long refused;

    @Setup(Level.Iteration)
    public void reset() {
      accepted = 0;
      refused = 0;
    }
  }

  @Benchmark
  public boolean offer(Outcome o) {
    LogRecord r = records[o.next++ & (4096 - 1)];
    boolean ok = pipeline.offer(r);
    if (ok) o.accepted++;
    else o.refused++;
    return ok;
  }
}
