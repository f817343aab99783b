package io.sluice.collector;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Counters of one collector, cheap to update from any thread, exported to Prometheus from a registry of its own
 * ({@link #registry()}, served at {@code /metrics}); {@link #snapshot()} reads them into an immutable value for
 * tests and embedders. Every name is listed in docs/METRICS.md and the collector README. Per-tenant series are
 * bounded by the configured tenants plus "" (anonymous) and {@value #OTHER_TENANT}: a Hello naming an unknown
 * tenant never adds a series.
 */
public final class CollectorMetrics {
  /** The tenant label used for tenants the collector does not know (anonymous access with a free-form tenant). */
  public static final String OTHER_TENANT = "_other";
  private static final int MAX_TENANT_SERIES = 1000;

  private final AtomicLong batchesReceived = new AtomicLong();
  private final AtomicLong batchesAcked = new AtomicLong();
  private final AtomicLongArray batchesNacked = new AtomicLongArray(NackReason.values().length);
  private final AtomicLong recordsPublished = new AtomicLong();
  private final AtomicLong recordsDeadLettered = new AtomicLong();
  private final AtomicLong payloadBytesReceived = new AtomicLong();
  private final AtomicLong decodedBytes = new AtomicLong();
  private final AtomicLong streamsOpened = new AtomicLong();
  private final AtomicLong streamsRejected = new AtomicLong();
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final Map<String, AtomicLong> authFailures = new ConcurrentHashMap<>();
  private final Map<String, TenantUsage> tenants = new ConcurrentHashMap<>();
  private final AtomicLong configReloads = new AtomicLong();
  private final AtomicLong configReloadFailures = new AtomicLong();
  private final AtomicLong resendsSuppressed = new AtomicLong();
  private final AtomicLong undecodableFrames = new AtomicLong();
  private final AtomicLong unreadAckPauses = new AtomicLong();
  private final AtomicLong streamsNotReadingAcks = new AtomicLong();
  private final AtomicLong unreadFrames = new AtomicLong();
  private final AtomicLong producedBytes = new AtomicLong();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Histogram kafkaLatency;
  private volatile LongSupplier openStreams = () -> 0;
  private volatile BooleanSupplier kafkaReady = () -> true;

  public CollectorMetrics() {
    for (String method : new String[] {"api-key", "mtls", "oidc", "none"}) {
      authFailures.put(method, new AtomicLong()); // series exist from the start, so rate() and alerts see 0
    }
    counter("sluice_collector_batches_received", "Batch frames received", batchesReceived);
    counter("sluice_collector_batches_acked", "Batches acknowledged after Kafka acknowledged every record",
        batchesAcked);
    CounterWithCallback.builder().name("sluice_collector_batches_nacked")
        .help("Batches not acknowledged, by reason (see NackReason)").labelNames("reason")
        .callback(cb -> {
          for (NackReason r : NackReason.values()) {
            cb.call(batchesNacked.get(r.ordinal()), r.name());
          }
        }).register(registry);
    counter("sluice_collector_records_published", "Records acknowledged by Kafka", recordsPublished);
    counter("sluice_collector_records_dead_lettered", "Records written to the dead-letter topic",
        recordsDeadLettered);
    counter("sluice_collector_payload_bytes", "Compressed payload bytes received", payloadBytesReceived);
    counter("sluice_collector_decoded_bytes", "Decoded LogBatch bytes accepted", decodedBytes);
    counter("sluice_collector_streams_opened", "Ingest streams opened", streamsOpened);
    counter("sluice_collector_streams_rejected", "Ingest streams closed for a protocol or auth error",
        streamsRejected);
    counter("sluice_collector_config_reloads", "Dynamic configuration reloads applied", configReloads);
    counter("sluice_collector_config_reload_failures", "Dynamic configuration reloads rejected (old one kept)",
        configReloadFailures);
    CounterWithCallback.builder().name("sluice_collector_auth_failures")
        .help("Streams refused as UNAUTHENTICATED or PERMISSION_DENIED, by method").labelNames("method")
        .callback(cb -> authFailures.forEach((m, v) -> cb.call(v.get(), m))).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_inflight_bytes")
        .help("Decoded bytes read from clients and not yet acknowledged by Kafka")
        .callback(cb -> cb.call(inFlightBytes.get())).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_open_streams").help("Ingest streams open now")
        .callback(cb -> cb.call(openStreams.getAsLong())).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_kafka_ready")
        .help("1 while Kafka metadata is available (what /readyz reports), else 0")
        .callback(cb -> cb.call(kafkaReady.getAsBoolean() ? 1 : 0)).register(registry);
    CounterWithCallback.builder().name("sluice_collector_tenant_records")
        .help("Records accepted per tenant").labelNames("tenant")
        .callback(cb -> tenants.forEach((t, u) -> cb.call(u.records.get(), t))).register(registry);
    CounterWithCallback.builder().name("sluice_collector_tenant_bytes")
        .help("Decoded bytes accepted per tenant").labelNames("tenant")
        .callback(cb -> tenants.forEach((t, u) -> cb.call(u.bytes.get(), t))).register(registry);
    CounterWithCallback.builder().name("sluice_collector_tenant_throttled_batches")
        .help("Batches nacked RATE_LIMITED per tenant").labelNames("tenant")
        .callback(cb -> tenants.forEach((t, u) -> cb.call(u.throttled.get(), t))).register(registry);
    counter("sluice_collector_resends_suppressed", "Resent batches acknowledged without publishing again (already "
        + "published by this collector: same tenant, source, epoch, sequence)", resendsSuppressed);
    counter("sluice_collector_undecodable_frames", "Frames or requests that were not valid protobuf (answered "
        + "INVALID_ARGUMENT)", undecodableFrames);
    counter("sluice_collector_unread_ack_pauses", "Times a stream stopped reading frames because its client was "
        + "not reading the acks already sent", unreadAckPauses);
    counter("sluice_collector_produced_bytes", "Bytes produced for Kafka by accepted batches (each record with "
        + "its copy of the resource)", producedBytes);
    GaugeWithCallback.builder().name("sluice_collector_streams_not_reading_acks")
        .help("Streams paused now because their client does not read its acks").callback(
            cb -> cb.call(streamsNotReadingAcks.get()))
        .register(registry);
    GaugeWithCallback.builder().name("sluice_collector_unread_frames")
        .help("Acks and nacks written to streams whose client is not reading them (queued in the transport)")
        .callback(cb -> cb.call(unreadFrames.get())).register(registry);
    kafkaLatency = Histogram.builder().name("sluice_collector_kafka_publish_seconds")
        .help("Time from handing a batch to the producer until Kafka acknowledged all of its records")
        .classicOnly()
        .classicUpperBounds(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
        .register(registry);
  }

  private void counter(String name, String help, AtomicLong value) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get())).register(registry);
  }

  /** The registry /metrics serves; only this collector's series are in it. */
  public PrometheusRegistry registry() {
    return registry;
  }

  public void openStreamsGauge(LongSupplier supplier) {
    this.openStreams = supplier;
  }

  /**
   * Registers the Kafka publisher's per-topic series (once): records it dead-lettered by reason
   * ({@code TOPIC_MISSING}, {@code TOPIC_INVALID}, ...), topic lookups by result, and the topics waiting for a lookup
   * or found unusable now. Labels are fixed sets, never topic names (a client could invent unbounded ones).
   */
  public void publisherGauges(java.util.function.Supplier<Map<String, Long>> deadLetteredByReason,
      java.util.function.Supplier<Map<String, Long>> lookupsByResult, LongSupplier topicsAwaitingMetadata,
      LongSupplier topicsUnusable) {
    CounterWithCallback.builder().name("sluice_collector_topic_dead_lettered_records")
        .help("Records the publisher sent to the dead-letter topic because Kafka can never take them where they were "
            + "routed, by reason")
        .labelNames("reason")
        .callback(cb -> deadLetteredByReason.get().forEach((r, v) -> cb.call(v, r))).register(registry);
    CounterWithCallback.builder().name("sluice_collector_topic_lookups")
        .help("Topic metadata lookups done off the send path, by result").labelNames("result")
        .callback(cb -> lookupsByResult.get().forEach((r, v) -> cb.call(v, r))).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_topics_awaiting_metadata")
        .help("Topics whose batches wait for a metadata lookup now")
        .callback(cb -> cb.call(topicsAwaitingMetadata.getAsLong())).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_topics_unusable")
        .help("Topics found missing, invalid or unauthorized, whose records are dead-lettered now")
        .callback(cb -> cb.call(topicsUnusable.getAsLong())).register(registry);
  }

  public void kafkaReadyGauge(BooleanSupplier supplier) {
    this.kafkaReady = supplier;
  }

  public void batchReceived(long payloadBytes) {
    batchesReceived.incrementAndGet();
    payloadBytesReceived.addAndGet(payloadBytes);
  }

  public void batchDecoded(long bytes) {
    decodedBytes.addAndGet(bytes);
  }

  public void batchAcked(int records) {
    batchesAcked.incrementAndGet();
    recordsPublished.addAndGet(records);
  }

  public void recordsDeadLettered(int records) {
    recordsDeadLettered.addAndGet(records);
  }

  public void batchNacked(NackReason reason) {
    batchesNacked.incrementAndGet(reason.ordinal());
  }

  /** A batch of {@code tenant} was accepted for publishing. */
  public void tenantUsage(String tenant, int records, long bytes) {
    TenantUsage u = tenant(tenant);
    u.records.addAndGet(records);
    u.bytes.addAndGet(bytes);
  }

  public void tenantThrottled(String tenant) {
    tenant(tenant).throttled.incrementAndGet();
  }

  private TenantUsage tenant(String tenant) {
    TenantUsage u = tenants.get(tenant);
    if (u == null) {
      String key = tenants.size() >= MAX_TENANT_SERIES ? OTHER_TENANT : tenant;
      u = tenants.computeIfAbsent(key, k -> new TenantUsage());
    }
    return u;
  }

  public void kafkaLatency(long nanos) {
    kafkaLatency.observe(nanos / 1e9);
  }

  public void authFailed(String method) {
    authFailures.computeIfAbsent(method, m -> new AtomicLong()).incrementAndGet();
  }

  public void configReloaded(boolean ok) {
    (ok ? configReloads : configReloadFailures).incrementAndGet();
  }

  public void streamOpened() {
    streamsOpened.incrementAndGet();
  }

  /** A stream closed with an error for breaking the protocol (no Hello, a second Hello, ...). */
  public void streamRejected() {
    streamsRejected.incrementAndGet();
  }

  public void inFlightChanged(long delta) {
    inFlightBytes.addAndGet(delta);
  }

  public void resendSuppressed() {
    resendsSuppressed.incrementAndGet();
  }

  public void undecodableFrame() {
    undecodableFrames.incrementAndGet();
  }

  /** A stream stopped ({@code +1}) or resumed ({@code -1}) reading because its client does not read acks. */
  public void notReadingAcks(int delta) {
    if (delta > 0) {
      unreadAckPauses.incrementAndGet();
    }
    streamsNotReadingAcks.addAndGet(delta);
  }

  public void unreadFramesChanged(long delta) {
    unreadFrames.addAndGet(delta);
  }

  public void bytesProduced(long bytes) {
    producedBytes.addAndGet(bytes);
  }

  public long resendsSuppressed() {
    return resendsSuppressed.get();
  }

  public long undecodableFrames() {
    return undecodableFrames.get();
  }

  public long unreadAckPauses() {
    return unreadAckPauses.get();
  }

  public long streamsNotReadingAcks() {
    return streamsNotReadingAcks.get();
  }

  public long unreadFrames() {
    return unreadFrames.get();
  }

  public long producedBytes() {
    return producedBytes.get();
  }

  public Snapshot snapshot() {
    Map<NackReason, Long> nacked = new EnumMap<>(NackReason.class);
    for (NackReason r : NackReason.values()) {
      nacked.put(r, batchesNacked.get(r.ordinal()));
    }
    return new Snapshot(batchesReceived.get(), batchesAcked.get(), Collections.unmodifiableMap(nacked),
        recordsPublished.get(), payloadBytesReceived.get(), decodedBytes.get(), streamsOpened.get(),
        streamsRejected.get(), inFlightBytes.get(), configReloadFailures.get());
  }

  private static final class TenantUsage {
    final AtomicLong records = new AtomicLong();
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong throttled = new AtomicLong();
  }

  /** One consistent-enough reading of the counters (each read atomically, not all at one instant). */
  public record Snapshot(
      long batchesReceived,
      long batchesAcked,
      Map<NackReason, Long> batchesNacked,
      long recordsPublished,
      long payloadBytesReceived,
      long decodedBytes,
      long streamsOpened,
      long streamsRejected,
      long inFlightBytes,
      long configReloadFailures) {

    public long nacked(NackReason reason) {
      return batchesNacked.getOrDefault(reason, 0L);
    }

    public long batchesNackedTotal() {
      return batchesNacked.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
