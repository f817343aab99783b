package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;

/**
 * Keeps the first record of each {@link io.sluice.backend.common.RecordIdentity} and drops the resent copies, so
 * every figure downstream is exact. De-duplicates per shipper <em>batch</em>: input is keyed by
 * {@code RecordIdentity.batchKey()} ({@code source/epoch/seq}) in the global window, because a shipper resends
 * whole batches and a batch's records arrive together. The state per batch is the set of record indexes let
 * through ({@link SeenIndexes}), cleared by one processing-time timer {@code ttl} after the batch was first seen.
 * A record is emitted iff its (batch, idx) is not in that set; otherwise it counts in {@code duplicates_dropped}.
 *
 * <p>Memory: one state cell and one timer per batch seen in the last {@code ttl} (was: per record). The cell is the
 * key ({@code source/epoch/seq}, ~30–60 bytes) plus a bitset of {@code ceil((max idx + 1) / 64)} longs — 16 bytes
 * for a 100-record batch, at most 8 KiB (indexes up to {@link SeenIndexes#DENSE_LIMIT}); any other index (negative,
 * or beyond that) costs 4 bytes in a sorted array, so a malformed huge index never allocates a huge bitset. With
 * 100-record batches that is ~100× fewer state entries and timers than one per record.
 *
 * <p>Bounded by the TTL: state holds the batches first seen in the last {@code ttl} of wall-clock time. A copy
 * resent later than that counts twice, so the TTL must exceed the longest a shipper can hold a batch unacknowledged
 * (its spool's retention); processing time is used because a resend arrives late in wall-clock terms, whatever its
 * event time says. The TTL runs from the batch's first record: a record of the batch first seen later (its batch
 * split across arrivals) is remembered until the batch expires, not a full TTL after its own arrival.
 */
final class DedupFn extends DoFn<KV<String, LogEvent>, LogEvent> {
  static final String DUPLICATES = "duplicates_dropped";

  private final Duration ttl;
  private final Counter duplicates = Metrics.counter(DecodeFn.NAMESPACE, DUPLICATES);

  @StateId("seen")
  private final StateSpec<ValueState<SeenIndexes>> seenSpec = StateSpecs.value(SeenIndexes.Coder.of());

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  DedupFn(Duration ttl) {
    this.ttl = ttl;
  }

  @ProcessElement
  public void process(
      @Element KV<String, LogEvent> element,
      @StateId("seen") ValueState<SeenIndexes> seen,
      @TimerId("expire") Timer expire,
      OutputReceiver<LogEvent> out) {
    LogEvent event = element.getValue();
    int idx = event.identity().idx();
    SeenIndexes batch = seen.read();
    if (batch == null) {
      // first record of the batch: one timer per batch; no output timestamp, since the timer only clears state and
      // must not hold the watermark back for a whole TTL
      expire.withNoOutputTimestamp().offset(ttl).setRelative();
      batch = SeenIndexes.EMPTY;
    } else if (batch.contains(idx)) {
      duplicates.inc();
      return;
    }
    seen.write(batch.with(idx));
    out.output(event);
  }

  @OnTimer("expire")
  public void onExpire(@StateId("seen") ValueState<SeenIndexes> seen) {
    seen.clear();
  }
}
