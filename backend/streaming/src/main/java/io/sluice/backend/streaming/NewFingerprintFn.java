package io.sluice.backend.streaming;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertEvaluator;
import io.sluice.backend.common.AlertRuleSource;
import io.sluice.backend.common.ErrorFingerprint;
import java.time.Clock;
import java.time.Duration;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.state.StateSpec;
import org.apache.beam.sdk.state.StateSpecs;
import org.apache.beam.sdk.state.ValueState;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;

/**
 * Fires {@link AlertEvaluator#newFingerprint} the first time the job sees a tenant/service/fingerprint. Keyed by
 * that triple in the global window; the state (the first-seen time, one long per fingerprint ever seen) lives as
 * long as the job and is part of its checkpoints, so a restart from a checkpoint does not re-alert.
 */
final class NewFingerprintFn extends DoFn<KV<String, ErrorFingerprint>, Alert> {
  private final AlertRuleSource source;
  private final Duration reload;
  private transient RuleCache rules;

  @StateId("firstSeen")
  private final StateSpec<ValueState<Long>> firstSeenSpec = StateSpecs.value(VarLongCoder.of());

  NewFingerprintFn(AlertRuleSource source, Duration reload) {
    this.source = source;
    this.reload = reload;
  }

  @Setup
  public void setup() {
    rules = new RuleCache(source, reload, Clock.systemUTC());
  }

  @ProcessElement
  public void process(
      @Element KV<String, ErrorFingerprint> element,
      @StateId("firstSeen") ValueState<Long> firstSeen,
      OutputReceiver<Alert> out) {
    if (firstSeen.read() != null) {
      return;
    }
    ErrorFingerprint first = element.getValue();
    firstSeen.write(first.firstSeenMillis());
    for (Alert alert : AlertEvaluator.newFingerprint(rules.current(), first)) {
      out.output(alert);
    }
  }
}
