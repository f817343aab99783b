package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import java.io.Serializable;
import java.time.Duration;
import org.apache.beam.sdk.transforms.SerializableFunction;

/**
 * How an event sink that makes one file (or one object) per write is fed large batches instead of one write per
 * bundle: events are keyed by the sink's own partition of an event (plus a shard), buffered in Beam state per key,
 * and written in one {@code write} when {@code batchBytes} of them are waiting or {@code maxDelay} after the first
 * one arrived (processing time), and at the end of a bounded input. Immutable and serializable.
 *
 * @param partition the sink's partition of an event (e.g. the archive's {@code date=/hour=/service=} path): a batch
 *     holds one partition, so it becomes one file; must be deterministic
 * @param batchBytes a batch is written once adding the next event would take it past this many bytes, weighed by
 *     {@link LogEvent#sizeBytes()} (the encoded Kafka record); so a batch closed by size holds more than
 *     {@code batchBytes} less one event, and at most {@code batchBytes} (a single larger event makes a batch alone).
 *     Beam state holds up to this much per key (on the heap with Flink's default state backend)
 * @param maxDelay the longest an event waits for its batch to fill (processing time, from the batch's first event);
 *     a batch closed by this is smaller than {@code batchBytes}
 * @param shards keys per partition, at least 1: events are spread over {@code shards} keys by a hash of their
 *     identity so one busy partition is written by several workers; each shard fills its own batches, so more
 *     shards mean more files closed by time
 * @param stableInput write through a {@code @RequiresStableInput} step: the runner checkpoints each batch before it
 *     is written, so a replay after a failure writes the same batches again (same file names) and never a
 *     differently cut one; needs checkpointing on Flink (exactly-once mode). Off for runs without checkpoints
 */
public record EventBatching(
    SerializableFunction<LogEvent, String> partition,
    long batchBytes,
    Duration maxDelay,
    int shards,
    boolean stableInput)
  implements Serializable {

  public EventBatching {
    if (partition == null) {
      throw new IllegalArgumentException("batching needs a partition function");
    }
    if (batchBytes < 1) {
      throw new IllegalArgumentException("batch bytes " + batchBytes + " must be at least 1");
    }
    if (maxDelay == null || maxDelay.isNegative() || maxDelay.isZero()) {
      throw new IllegalArgumentException("batch max delay " + maxDelay + " must be a positive duration, e.g. PT5M");
    }
    if (shards < 1) {
      throw new IllegalArgumentException("batch shards " + shards + " must be at least 1");
    }
  }

  /** The state key of {@code event}: its partition, and its shard when there is more than one. */
  String keyOf(LogEvent event) {
    String p = partition.apply(event);
    return shards == 1 ? p : p + "#" + Math.floorMod(event.identity().key().hashCode(), shards);
  }
}
