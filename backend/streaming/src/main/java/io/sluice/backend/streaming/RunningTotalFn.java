package io.sluice.backend.streaming;

import org.apache.beam.sdk.coders.BooleanCoder;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.TimeDomain;
import org.apache.beam.sdk.state.Timer;
import org.apache.beam.sdk.state.TimerSpec;
import org.apache.beam.sdk.state.TimerSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;

/**
 * The running total of each key (a tenant/service/severity/<b>minute</b>, or a fingerprint's minute), emitted as its
 * full value whenever it changed, so a sink that upserts stays exact however late a record arrives: a record hours
 * behind newer data lands in its own minute, and that minute's row is rewritten with the corrected total.
 *
 * <p>Why not event-time windows: a window is dropped once the watermark (which follows Kafka time) passes its end
 * plus the allowed lateness, so a spool replayed after a long outage vanished from the figures. Here the input stays
 * in the global window and the minute is part of the key: nothing depends on the watermark, and processing time only
 * decides when a total is written and when it is forgotten.
 *
 * <p>Timing: a changed total is emitted {@code flushDelay} (processing time) after its first change since the last
 * emission, so a burst costs one write per key per delay, not one per record; and once more when the input ends (a
 * bounded run, where {@code flushDelay} is null and the end is the only emission). A total is forgotten {@code ttl}
 * after it was last emitted ({@code <name>_expired} counts them); a record for that key arriving later starts a new
 * total from zero, whose write replaces the stored row. That is the lateness bound of "exact": a record must arrive
 * within {@code ttl} of the last change of its minute.
 *
 * <p>Metrics ({@code sluice.streaming}): {@code <name>_input} records taken, {@code <name>_emitted} totals emitted,
 * {@code <name>_corrected} emissions of a total emitted before (a late record corrected a written row),
 * {@code <name>_expired} totals forgotten.
 *
 * <p>Memory: per live key, the value, two flags and up to three timers; a key lives for {@code ttl} after its last
 * change. Not thread-safe (a runner calls it per key, one thread at a time); never blocks.
 *
 * @param <V> the value summed per key, merged by {@code merge}
 */
final class RunningTotalFn<V> extends DoFn<KV<String, V>, KV<String, V>> {
  static final String INPUT = "input";

  private final String name;
  private final Combine.BinaryCombineFn<V> merge;
  private final Duration flushDelay;
  private final Duration ttl;
  private final Counter corrected;
  private final Counter expired;
  private final Counter emitted;
  private final Counter input;

  @StateId("total")
  private final StateSpec<ValueState<V>> totalSpec;

  @StateId("pending")
  private final StateSpec<ValueState<Boolean>> pendingSpec = StateSpecs.value(BooleanCoder.of());

  @StateId("emitted")
  private final StateSpec<ValueState<Boolean>> emittedSpec = StateSpecs.value(BooleanCoder.of());

  @TimerId("flush")
  private final TimerSpec flushSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  @TimerId("expire")
  private final TimerSpec expireSpec = TimerSpecs.timer(TimeDomain.PROCESSING_TIME);

  @TimerId("end")
  private final TimerSpec endSpec = TimerSpecs.timer(TimeDomain.EVENT_TIME);

  /**
   * @param name metric prefix: {@code sluice.streaming/<name>_emitted} counts emitted totals
   * @param flushDelay how long a changed total waits before it is emitted (processing time), positive; or null for
   *     a bounded input: every total is emitted once, when the input ends, and nothing is forgotten
   * @param ttl how long a total is remembered after its last emission (processing time), longer than flushDelay;
   *     ignored when flushDelay is null
   */
  RunningTotalFn(
      String name, Combine.BinaryCombineFn<V> merge, Coder<V> coder, Duration flushDelay, Duration ttl) {
    if (flushDelay != null && (!flushDelay.isLongerThan(Duration.ZERO) || !ttl.isLongerThan(flushDelay))) {
      throw new IllegalArgumentException(
          "flush delay " + flushDelay + " must be positive and shorter than the TTL " + ttl);
    }
    this.name = name;
    this.merge = merge;
    this.flushDelay = flushDelay;
    this.ttl = ttl;
    this.totalSpec = StateSpecs.value(coder);
    this.corrected = Metrics.counter(DecodeFn.NAMESPACE, name + "_corrected");
    this.expired = Metrics.counter(DecodeFn.NAMESPACE, name + "_expired");
    this.emitted = Metrics.counter(DecodeFn.NAMESPACE, name + "_emitted");
    this.input = Metrics.counter(DecodeFn.NAMESPACE, name + "_" + INPUT);
  }

  @ProcessElement
  public void process(
      @Element KV<String, V> element,
      @Timestamp Instant timestamp,
      @StateId("total") ValueState<V> total,
      @StateId("pending") ValueState<Boolean> pending,
      @TimerId("flush") Timer flush,
      @TimerId("end") Timer end) {
    input.inc();
    V current = total.read();
    if (current == null) {
      total.write(element.getValue());
      // the end of a bounded input: emit what is pending before the job finishes
      end.set(GlobalWindow.INSTANCE.maxTimestamp());
    } else {
      total.write(merge.apply(current, element.getValue()));
    }
    if (pending.read() == null) {
      pending.write(true);
      if (flushDelay == null) {
        return; // bounded input: emitted by the end timer only
      }
      // the hold at this record's time keeps a bounded run from finishing before the total is emitted
      flush.withOutputTimestamp(timestamp).offset(flushDelay).setRelative();
    }
  }

  @OnTimer("flush")
  public void onFlush(
      @Key String key,
      @StateId("total") ValueState<V> total,
      @StateId("pending") ValueState<Boolean> pending,
      @StateId("emitted") ValueState<Boolean> emitted,
      @TimerId("expire") Timer expire,
      OutputReceiver<KV<String, V>> out) {
    emitIfPending(key, total, pending, emitted, out);
    expire.withNoOutputTimestamp().offset(ttl).setRelative();
  }

  @OnTimer("end")
  public void onEnd(
      @Key String key,
      @StateId("total") ValueState<V> total,
      @StateId("pending") ValueState<Boolean> pending,
      @StateId("emitted") ValueState<Boolean> emitted,
      OutputReceiver<KV<String, V>> out) {
    emitIfPending(key, total, pending, emitted, out);
  }

  @OnTimer("expire")
  public void onExpire(
      @StateId("total") ValueState<V> total,
      @StateId("pending") ValueState<Boolean> pending,
      @StateId("emitted") ValueState<Boolean> emitted,
      @TimerId("end") Timer end) {
    if (pending.read() != null) {
      return; // changed since the last emission: its flush timer emits it and sets a new expiry
    }
    expired.inc();
    total.clear();
    emitted.clear();
    end.clear();
  }

  private void emitIfPending(
      String key, ValueState<V> total, ValueState<Boolean> pending, ValueState<Boolean> emittedBefore,
      OutputReceiver<KV<String, V>> out) {
    if (pending.read() == null) {
      return;
    }
    pending.clear();
    V value = total.read();
    if (value != null) {
      emitted.inc();
      if (emittedBefore.read() != null) {
        corrected.inc();
      } else {
        emittedBefore.write(true);
      }
      out.output(KV.of(key, value));
    }
  }

  @Override
  public String toString() {
    return "RunningTotalFn[" + name + "]";
  }
}
