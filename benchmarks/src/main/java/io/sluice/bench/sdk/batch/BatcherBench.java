package io.sluice.bench.sdk.batch;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import io.sluice.bench.data.LogLines;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.batch.Batcher;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.util.ArrayList;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batcher thread's work per record, the way it was (0.2.0: a list of records, a second pass that encodes the
 * batch into a fresh array, {@code Zstd.compress} with a fresh context per batch; Log4j2's records parsed back from
 * their bytes first) against the way it is (each record written as it arrives into proto's {@code BatchWriter}, one
 * reused zstd context; Log4j2's bytes copied as they are), in the same run. A batch of 2,048 realistic records (the
 * default {@code batchMaxRecords}), cut, encoded and compressed at level 3; time per record.
 *
 * <ul>
 *   <li>{@code messages*}: records offered as {@code LogRecord} messages (the Logback appender, the agent's
 *       structured parsers);
 *   <li>{@code encoded*}: records handed over as their wire bytes (the Log4j2 appender's {@code EncodedRecord}).
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class BatcherBench {
  static final int RECORDS = 2048;
  static final int LEVEL = 3;

  List<LogRecord> records;
  byte[][] wire;
  List<KeyValue> resource;
  Batcher batcher;
  ZstdCodec zstd;

  @Setup
  public void setUp() {
    records = LogLines.records(7, RECORDS, 0);
    wire = new byte[RECORDS][];
    for (int i = 0; i < RECORDS; i++) wire[i] = records.get(i).toByteArray();
    resource = PipelineConfig.builder().serviceName("checkout").build().resource();
    batcher = new Batcher(new BatchPolicy(RECORDS, 8 << 20, Long.MAX_VALUE), resource);
    zstd = new ZstdCodec(LEVEL);
  }

  @TearDown
  public void tearDown() {
    zstd.close();
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] messagesOld() {
    OldBatcher old = new OldBatcher(resource);
    for (LogRecord r : records) old.add(r);
    return old.cut();
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] messagesNew() {
    for (LogRecord r : records) batcher.add(r, 0);
    byte[] out = batcher.batch().compress(zstd);
    batcher.clear();
    return out;
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] encodedOld() throws IOException {
    OldBatcher old = new OldBatcher(resource);
    for (byte[] b : wire) old.add(LogRecord.parseFrom(CodedInputStream.newInstance(b, 0, b.length)));
    return old.cut();
  }

  @Benchmark
  @OperationsPerInvocation(RECORDS)
  public byte[] encodedNew() {
    for (byte[] b : wire) batcher.addEncoded(b, 0, b.length, 0);
    byte[] out = batcher.batch().compress(zstd);
    batcher.clear();
    return out;
  }

  /** sdk-core 0.2.0's Batcher + BatchEncoder + ZstdCodec.compress, as they were, for the comparison. */
  static final class OldBatcher {
    private final List<KeyValue> resource;
    private final List<LogRecord> list = new ArrayList<>(RECORDS);
    private long bytes;

    OldBatcher(List<KeyValue> resource) {
      this.resource = resource;
    }

    void add(LogRecord r) {
      bytes += CodedOutputStream.computeMessageSize(LogBatch.RECORDS_FIELD_NUMBER, r);
      list.add(r);
    }

    byte[] cut() {
      int size = 0;
      for (KeyValue kv : resource) size += CodedOutputStream.computeMessageSize(LogBatch.RESOURCE_FIELD_NUMBER, kv);
      byte[] out = new byte[Math.toIntExact(size + bytes)];
      CodedOutputStream cos = CodedOutputStream.newInstance(out);
      try {
        for (KeyValue kv : resource) cos.writeMessage(LogBatch.RESOURCE_FIELD_NUMBER, kv);
        for (LogRecord r : list) cos.writeMessage(LogBatch.RECORDS_FIELD_NUMBER, r);
        cos.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return Zstd.compress(out, LEVEL);
    }
  }
}
