package io.sluice.backend.streaming;

import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;

/**
 * Writes a stream to one {@link Sink} in batches: items are buffered per bundle and written when {@code maxBatch}
 * are waiting and at the end of every bundle. A runner finishes the bundle before it checkpoints, and
 * {@link Sink#write} returns only when the items are durable, so a checkpoint never covers unwritten items; a
 * replay after a failure writes some items again, which the sink contract makes harmless.
 *
 * <p>Bounded by {@code maxBatch} items per instance. Not thread-safe (a runner uses one instance per thread). Blocks
 * on the sink's I/O.
 */
final class WriteToSinkFn<T> extends DoFn<T, Void> {
  private final SinkFactory<T> factory;
  private final int maxBatch;
  private final String name;
  private transient Sink<T> sink;
  private transient List<T> buffer;
  private transient Counter written;

  /**
   * @param name the metric suffix: {@code sluice.streaming/written_<name>} counts items written
   * @param maxBatch items per write, at least 1; a full buffer is written before the next item is taken
   */
  WriteToSinkFn(String name, SinkFactory<T> factory, int maxBatch) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch " + maxBatch + " must be at least 1");
    }
    this.name = name;
    this.factory = factory;
    this.maxBatch = maxBatch;
  }

  @Setup
  public void setup() throws Exception {
    sink = factory.open();
    buffer = new ArrayList<>(Math.min(maxBatch, 1024));
    written = Metrics.counter(DecodeFn.NAMESPACE, "written_" + name);
  }

  @StartBundle
  public void startBundle() {
    buffer.clear();
  }

  @ProcessElement
  public void process(@Element T item) throws Exception {
    buffer.add(item);
    if (buffer.size() >= maxBatch) {
      flush();
    }
  }

  @FinishBundle
  public void finishBundle() throws Exception {
    flush();
  }

  @Teardown
  public void teardown() throws Exception {
    if (sink != null) {
      sink.close();
      sink = null;
    }
  }

  private void flush() throws Exception {
    if (buffer.isEmpty()) {
      return;
    }
    sink.write(List.copyOf(buffer));
    written.inc(buffer.size());
    buffer.clear();
  }
}
