package io.sluice.sdk.pipeline;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A consistent-enough snapshot of a pipeline's accounting. When the pipeline is quiet (nothing moving between
 * stages) {@code appended == acknowledged + dropped() + pending()} holds exactly; tests assert it.
 *
 * @param appended records offered to the pipeline, accepted or not
 * @param acknowledged records in batches the collector acknowledged
 * @param dropped records dropped, by reason
 * @param queued records in the hand-off queue
 * @param overflowed records in the queue's overflow on disk (written while the queue was full, not yet batched;
 *     records a previous run left there are read first and not counted here)
 * @param overflowBytes bytes in the queue's overflow not yet batched (records and their 8-byte headers, a previous
 *     run's included)
 * @param batching records taken from the queue and not yet written to the spool
 * @param spooled records in spooled batches not yet acknowledged (sent or not)
 * @param spoolBytes bytes of the spooled batches (compressed)
 * @param spoolBatches batches in the spool
 * @param batchesSent batch sends, resends included
 * @param batchesAcknowledged batches acknowledged
 * @param reconnects stream (re)connections attempted after the first
 * @param connected whether a stream to a collector is open now
 * @param spoolWritable false while the spool refuses writes (disk full, an I/O error): new batches are dropped
 *     ({@link DropReason#DISK_FULL}, {@link DropReason#SPOOL_ERROR}) while spooled ones keep shipping
 * @param spoolQuarantined corrupt spool directories moved aside when this pipeline started (0 or 1); their batches
 *     were not shipped
 * @param spoolsHeldByOthers spool directories (the configured {@code spoolDir}, then its numbered siblings) that
 *     another process held when this pipeline started, so it spools in the next free sibling (0 normally); see
 *     {@link Pipeline#spoolDir()}
 * @param spoolsAdopted sibling spool directories left with batches by an instance that no longer runs, which this
 *     pipeline ships under their own identity (their records are not counted in the other fields)
 * @param refusedStreams streams the collector refused before acknowledging anything (an invalid hello, such as an
 *     oversized resource, or credentials/tenant it does not accept); the shipper then waits 30 s, doubling up to
 *     30 min, before it asks again
 */
public record PipelineStats(
    long appended,
    long acknowledged,
    Map<DropReason, Long> droppedByReason,
    long queued,
    long overflowed,
    long overflowBytes,
    long batching,
    long spooled,
    long spoolBytes,
    long spoolBatches,
    long batchesSent,
    long batchesAcknowledged,
    long reconnects,
    boolean connected,
    boolean spoolWritable,
    long spoolQuarantined,
    long spoolsHeldByOthers,
    long spoolsAdopted,
    long refusedStreams) {

  public PipelineStats {
    EnumMap<DropReason, Long> copy = new EnumMap<>(DropReason.class);
    for (DropReason r : DropReason.values()) copy.put(r, droppedByReason.getOrDefault(r, 0L));
    droppedByReason = Collections.unmodifiableMap(copy);
  }

  /** All dropped records, every reason. */
  public long dropped() {
    long sum = 0;
    for (long v : droppedByReason.values()) sum += v;
    return sum;
  }

  public long dropped(DropReason reason) {
    return droppedByReason.get(reason);
  }

  /** Records accepted and not yet acknowledged or dropped: queued + overflowed + batching + spooled. */
  public long pending() {
    return queued + overflowed + batching + spooled;
  }

  /** Whether {@code appended == acknowledged + dropped + pending}. */
  public boolean balanced() {
    return appended == acknowledged + dropped() + pending();
  }
}
