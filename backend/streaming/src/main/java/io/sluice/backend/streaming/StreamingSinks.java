package io.sluice.backend.streaming;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertRuleSource;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.SinkFactory;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the streaming job's outputs go. Every output is optional: a job without an aggregate sink computes no
 * aggregates. Other modules contribute factories (OpenSearch and Parquet event sinks, the Kafka alert sink, the SQL
 * rule source); wiring one in is one builder call. Immutable and serializable (it travels to the workers).
 */
public final class StreamingSinks implements Serializable {
  private final SinkFactory<MinuteAggregate> aggregates;
  private final SinkFactory<ErrorFingerprint> fingerprints;
  private final SinkFactory<Alert> alerts;
  private final AlertRuleSource rules;
  private final List<SinkFactory<LogEvent>> events;
  private final List<BatchedEvents> batchedEvents;

  /** An event sink fed in large batches, one write per batch (see {@link EventBatching}). */
  public record BatchedEvents(SinkFactory<LogEvent> factory, EventBatching batching) implements Serializable {}

  private StreamingSinks(Builder b) {
    this.aggregates = b.aggregates;
    this.fingerprints = b.fingerprints;
    this.alerts = b.alerts;
    this.rules = b.rules;
    this.events = List.copyOf(b.events);
    this.batchedEvents = List.copyOf(b.batchedEvents);
  }

  public static Builder builder() {
    return new Builder();
  }

  public Optional<SinkFactory<MinuteAggregate>> aggregates() {
    return Optional.ofNullable(aggregates);
  }

  public Optional<SinkFactory<ErrorFingerprint>> fingerprints() {
    return Optional.ofNullable(fingerprints);
  }

  public Optional<SinkFactory<Alert>> alerts() {
    return Optional.ofNullable(alerts);
  }

  /** The alert rules; alerting runs only when both rules and an alert sink are set. */
  public Optional<AlertRuleSource> rules() {
    return Optional.ofNullable(rules);
  }

  public List<SinkFactory<LogEvent>> events() {
    return events;
  }

  public List<BatchedEvents> batchedEvents() {
    return batchedEvents;
  }

  public static final class Builder {
    private SinkFactory<MinuteAggregate> aggregates;
    private SinkFactory<ErrorFingerprint> fingerprints;
    private SinkFactory<Alert> alerts;
    private AlertRuleSource rules;
    private final List<SinkFactory<LogEvent>> events = new ArrayList<>();
    private final List<BatchedEvents> batchedEvents = new ArrayList<>();

    private Builder() {}

    /** Per-minute counts per tenant/service/severity, each written as the window's full value (an upsert). */
    public Builder aggregates(SinkFactory<MinuteAggregate> factory) {
      this.aggregates = factory;
      return this;
    }

    /** Per-minute error fingerprint summaries (first-seen time and count within the minute). */
    public Builder fingerprints(SinkFactory<ErrorFingerprint> factory) {
      this.fingerprints = factory;
      return this;
    }

    /** Fired alerts; only used together with {@link #rules}. */
    public Builder alerts(SinkFactory<Alert> factory) {
      this.alerts = factory;
      return this;
    }

    public Builder rules(AlertRuleSource source) {
      this.rules = source;
      return this;
    }

    /** Adds a sink for the de-duplicated events (search index, archive, ...); any number. */
    public Builder addEvents(SinkFactory<LogEvent> factory) {
      events.add(factory);
      return this;
    }

    /**
     * Adds a sink for the de-duplicated events that gets one write per batch of {@code batching}'s size or age
     * instead of one per bundle: for sinks that make a file per write (the Parquet archive); any number.
     */
    public Builder addBatchedEvents(SinkFactory<LogEvent> factory, EventBatching batching) {
      batchedEvents.add(new BatchedEvents(factory, batching));
      return this;
    }

    public StreamingSinks build() {
      return new StreamingSinks(this);
    }
  }
}
