package io.sluice.sdk.pipeline;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Publishes a pipeline's {@link PipelineStats} as OpenTelemetry asynchronous instruments, read at collection time
 * (nothing is recorded on the hot path). Metric names are listed in docs/METRICS.md.
 */
final class PipelineMetrics {
  static final AttributeKey<String> REASON = AttributeKey.stringKey("reason");

  private PipelineMetrics() {}

  static AutoCloseable register(OpenTelemetry otel, Supplier<PipelineStats> stats) {
    Meter meter = otel.getMeter("io.sluice.sdk");
    List<AutoCloseable> handles = new ArrayList<>();
    handles.add(meter.counterBuilder("sluice.sdk.records.appended").setUnit("{record}")
        .setDescription("Records offered to the pipeline")
        .buildWithCallback(m -> m.record(stats.get().appended())));
    handles.add(meter.counterBuilder("sluice.sdk.records.acknowledged").setUnit("{record}")
        .setDescription("Records in batches the collector acknowledged")
        .buildWithCallback(m -> m.record(stats.get().acknowledged())));
    handles.add(meter.counterBuilder("sluice.sdk.records.dropped").setUnit("{record}")
        .setDescription("Records dropped, by reason")
        .buildWithCallback(m -> {
          PipelineStats s = stats.get();
          for (DropReason r : DropReason.values()) m.record(s.dropped(r), Attributes.of(REASON, r.name()));
        }));
    handles.add(meter.upDownCounterBuilder("sluice.sdk.records.pending").setUnit("{record}")
        .setDescription("Records accepted and not yet acknowledged or dropped")
        .buildWithCallback(m -> m.record(stats.get().pending())));
    handles.add(meter.upDownCounterBuilder("sluice.sdk.spool.bytes").setUnit("By")
        .setDescription("Compressed bytes in the spool")
        .buildWithCallback(m -> m.record(stats.get().spoolBytes())));
    handles.add(meter.upDownCounterBuilder("sluice.sdk.overflow.bytes").setUnit("By")
        .setDescription("Bytes in the queue's overflow on disk, written while the queue was full and not yet batched")
        .buildWithCallback(m -> m.record(stats.get().overflowBytes())));
    handles.add(meter.gaugeBuilder("sluice.sdk.spool.writable").ofLongs().setUnit("1")
        .setDescription("1 while the spool accepts writes, 0 while it refuses them (disk full, I/O error)")
        .buildWithCallback(m -> m.record(stats.get().spoolWritable() ? 1 : 0)));
    handles.add(meter.counterBuilder("sluice.sdk.spool.quarantined").setUnit("{directory}")
        .setDescription("Corrupt spool directories moved aside at start; their batches were not shipped")
        .buildWithCallback(m -> m.record(stats.get().spoolQuarantined())));
    handles.add(meter.counterBuilder("sluice.sdk.batches.sent").setUnit("{batch}")
        .setDescription("Batch sends, resends included")
        .buildWithCallback(m -> m.record(stats.get().batchesSent())));
    handles.add(meter.counterBuilder("sluice.sdk.reconnects").setUnit("{stream}")
        .setDescription("Streams opened after the first")
        .buildWithCallback(m -> m.record(stats.get().reconnects())));
    handles.add(meter.gaugeBuilder("sluice.sdk.spool.held_by_others").ofLongs().setUnit("{directory}")
        .setDescription("Spool directories another process held at start, so this one spools in a numbered sibling")
        .buildWithCallback(m -> m.record(stats.get().spoolsHeldByOthers())));
    handles.add(meter.gaugeBuilder("sluice.sdk.spool.adopted").ofLongs().setUnit("{directory}")
        .setDescription("Sibling spool directories left with batches by an instance that no longer runs, shipped by"
            + " this one")
        .buildWithCallback(m -> m.record(stats.get().spoolsAdopted())));
    handles.add(meter.counterBuilder("sluice.sdk.streams.refused").setUnit("{stream}")
        .setDescription("Streams the collector refused before acknowledging anything (invalid hello, credentials)")
        .buildWithCallback(m -> m.record(stats.get().refusedStreams())));
    return () -> {
      for (AutoCloseable h : handles) h.close();
    };
  }

  /** Credential meters (names in docs/METRICS.md), read from the shipping loop's counters. */
  static AutoCloseable registerCredentials(OpenTelemetry otel, ShipWorker.Counters counters) {
    Meter meter = otel.getMeter("io.sluice.sdk");
    AutoCloseable errors = meter.counterBuilder("sluice.sdk.credentials.errors").setUnit("{stream}")
        .setDescription("Streams not opened because the credentials were unavailable (credentialsFile missing or"
            + " unreadable, no OAuth2 token)")
        .buildWithCallback(m -> m.record(counters.credentialErrors.sum()));
    AutoCloseable ok = meter.gaugeBuilder("sluice.sdk.credentials.usable").ofLongs().setUnit("1")
        .setDescription("0 while the credentials are unavailable, else 1")
        .buildWithCallback(m -> m.record(counters.credentialsProblem == null ? 1 : 0));
    AutoCloseable rotations = meter.counterBuilder("sluice.sdk.credentials.rotations").setUnit("{stream}")
        .setDescription("Streams replaced because the credentials changed (file rotated, OAuth2 token refreshed)")
        .buildWithCallback(m -> m.record(counters.credentialRotations.sum()));
    return () -> {
      errors.close();
      ok.close();
      rotations.close();
    };
  }
}
