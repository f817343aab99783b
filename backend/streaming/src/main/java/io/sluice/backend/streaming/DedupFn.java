package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import org.apache.beam.sdk.coders.BooleanCoder;
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
 * every figure downstream is exact. Input is keyed by {@code RecordIdentity.key()} in the global window; the state per
 * identity is one boolean, cleared by a processing-time timer {@code ttl} after the first copy arrived.
 *
 * <p>Bounded by the TTL: state holds the identities seen in the last {@code ttl} of wall-clock time. A copy resent
 * later than that counts twice, so the TTL must exceed the longest a shipper can hold a batch unacknowledged
 * (its spool's retention); processing time is used because a resend arrives late in wall-clock terms, whatever its
 * event time says.
 */
final class DedupFn extends DoFn<KV<String, LogEvent>, LogEvent> {
  static final String DUPLICATES = "duplicates_dropped";

  private final Duration ttl;
  private final Counter duplicates = Metrics.counter(DecodeFn.NAMESPACE, DUPLICATES);

  @StateId("seen")
  private final StateSpec<ValueState<Boolean>> seenSpec = StateSpecs.value(BooleanCoder.of());

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  DedupFn(Duration ttl) {
    this.ttl = ttl;
  }

  @ProcessElement
  public void process(
      @Element KV<String, LogEvent> element,
      @StateId("seen") ValueState<Boolean> seen,
      @TimerId("expire") Timer expire,
      OutputReceiver<LogEvent> out) {
    if (seen.read() != null) {
      duplicates.inc();
      return;
    }
    seen.write(true);
    // no output timestamp: the timer only clears state, so it must not hold the watermark back for a whole TTL
    expire.withNoOutputTimestamp().offset(ttl).setRelative();
    out.output(element.getValue());
  }

  @OnTimer("expire")
  public void onExpire(@StateId("seen") ValueState<Boolean> seen) {
    seen.clear();
  }
}
