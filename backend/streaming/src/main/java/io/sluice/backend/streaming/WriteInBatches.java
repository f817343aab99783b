package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Distribution;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupIntoBatches;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Writes events to one {@link Sink} in large batches, one {@code write} per batch (see {@link EventBatching}):
 * key by partition (and shard) → {@link GroupIntoBatches} by bytes with a maximum buffering time → write. Nothing is
 * held in a DoFn's memory across bundles: waiting events live in Beam state, which a Flink checkpoint covers, so a
 * checkpoint never covers an event that is only in memory. With {@link EventBatching#stableInput()} the write step
 * is {@code @RequiresStableInput}: a batch is checkpointed before it is written, so a replay rewrites exactly the
 * batches already written (a sink naming files by their content keeps each row once).
 *
 * <p>Metrics ({@code sluice.streaming}): {@code written_<name>} events, {@code batches_<name>} writes,
 * {@code batch_bytes_<name>} the distribution of batch sizes in event bytes.
 */
final class WriteInBatches extends PTransform<PCollection<LogEvent>, PCollection<Void>> {
  private final String name;
  private final SinkFactory<LogEvent> factory;
  private final EventBatching batching;

  /** @param name the metric suffix, as for {@link WriteToSinkFn} */
  WriteInBatches(String name, SinkFactory<LogEvent> factory, EventBatching batching) {
    this.name = name;
    this.factory = factory;
    this.batching = batching;
  }

  @Override
  public PCollection<Void> expand(PCollection<LogEvent> events) {
    EventBatching b = batching;
    PCollection<KV<String, Iterable<LogEvent>>> batches =
        events
            .apply(
                "KeyByPartition",
                MapElements.into(TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(LogEvent.class)))
                    .via(e -> KV.of(b.keyOf(e), e)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), LogEventCoder.of()))
            .apply(
                "GroupIntoBatches",
                GroupIntoBatches.<String, LogEvent>ofByteSize(b.batchBytes(), e -> (long) e.sizeBytes())
                    .withMaxBufferingDuration(Duration.millis(b.maxDelay().toMillis())));
    return batches.apply(
        "WriteBatches",
        ParDo.of(b.stableInput() ? new StableWriteBatchFn(name, factory) : new WriteBatchFn(name, factory)));
  }

  /**
   * Writes each batch in one {@link Sink#write}, which returns only when it is durable. Holds nothing between
   * elements; not thread-safe (a runner uses one instance per thread); blocks on the sink's I/O.
   */
  abstract static class BatchWriter extends DoFn<KV<String, Iterable<LogEvent>>, Void> {
    private final String name;
    private final SinkFactory<LogEvent> factory;
    private transient Sink<LogEvent> sink;
    private transient Counter written;
    private transient Counter batches;
    private transient Distribution batchBytes;

    BatchWriter(String name, SinkFactory<LogEvent> factory) {
      this.name = name;
      this.factory = factory;
    }

    @Setup
    public void setup() throws Exception {
      sink = factory.open();
      written = Metrics.counter(DecodeFn.NAMESPACE, "written_" + name);
      batches = Metrics.counter(DecodeFn.NAMESPACE, "batches_" + name);
      batchBytes = Metrics.distribution(DecodeFn.NAMESPACE, "batch_bytes_" + name);
    }

    void write(Iterable<LogEvent> batch) throws Exception {
      List<LogEvent> items = new ArrayList<>();
      long bytes = 0;
      for (LogEvent e : batch) {
        items.add(e);
        bytes += e.sizeBytes();
      }
      if (items.isEmpty()) {
        return;
      }
      sink.write(items);
      written.inc(items.size());
      batches.inc();
      batchBytes.update(bytes);
    }

    @Teardown
    public void teardown() throws Exception {
      if (sink != null) {
        sink.close();
        sink = null;
      }
    }
  }

  static final class WriteBatchFn extends BatchWriter {
    WriteBatchFn(String name, SinkFactory<LogEvent> factory) {
      super(name, factory);
    }

    @ProcessElement
    public void process(@Element KV<String, Iterable<LogEvent>> batch) throws Exception {
      write(batch.getValue());
    }
  }

  /** The same, but the runner hands it only batches a completed checkpoint holds (replays see the same batches). */
  static final class StableWriteBatchFn extends BatchWriter {
    StableWriteBatchFn(String name, SinkFactory<LogEvent> factory) {
      super(name, factory);
    }

    @ProcessElement
    @RequiresStableInput
    public void process(@Element KV<String, Iterable<LogEvent>> batch) throws Exception {
      write(batch.getValue());
    }
  }
}
