package io.sluice.collector.ingest.fluent;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of the Fluent forward listener, registered in the collector's registry (served at {@code /metrics}, listed
 * in docs/METRICS.md). The records themselves are counted by the shared ingest path (tenant records, published).
 * Thread-safe.
 */
public final class FluentMetrics {
  private final AtomicLong connections = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong messages = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong acks = new AtomicLong();
  private final AtomicLong throttled = new AtomicLong();
  private final AtomicLong wireBytes = new AtomicLong();
  private final Map<ForwardException.Reason, AtomicLong> errors = new EnumMap<>(ForwardException.Reason.class);

  public FluentMetrics(PrometheusRegistry registry) {
    for (ForwardException.Reason r : ForwardException.Reason.values()) {
      errors.put(r, new AtomicLong());
    }
    counter(registry, "sluice_collector_fluent_connections", "Fluent forward connections accepted", connections);
    counter(registry, "sluice_collector_fluent_connections_refused",
        "Fluent forward connections closed at once: fluent.maxConnections were open", refused);
    counter(registry, "sluice_collector_fluent_messages", "Forward messages read (any mode)", messages);
    counter(registry, "sluice_collector_fluent_events", "Events read from forward messages", events);
    counter(registry, "sluice_collector_fluent_bytes", "Bytes of forward messages read off the wire", wireBytes);
    counter(registry, "sluice_collector_fluent_acks", "Acks ({\"ack\": chunk}) sent after Kafka acknowledged",
        acks);
    counter(registry, "sluice_collector_fluent_throttled_waits",
        "Times a connection paused reading because its tenant was over its rate limit or the in-flight budget "
            + "was full",
        throttled);
    CounterWithCallback.builder().name("sluice_collector_fluent_errors")
        .help("Fluent forward connections closed for an error, by reason").labelNames("reason")
        .callback(cb -> errors.forEach((r, v) -> cb.call(v.get(), r.name().toLowerCase())))
        .register(registry);
    GaugeWithCallback.builder().name("sluice_collector_fluent_open_connections")
        .help("Fluent forward connections open now").callback(cb -> cb.call(open.get())).register(registry);
  }

  private static void counter(PrometheusRegistry registry, String name, String help, AtomicLong value) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.get())).register(registry);
  }

  void opened() {
    connections.incrementAndGet();
    open.incrementAndGet();
  }

  void closed() {
    open.decrementAndGet();
  }

  void refused() {
    refused.incrementAndGet();
  }

  void message(int eventCount, long bytes) {
    messages.incrementAndGet();
    events.addAndGet(eventCount);
    wireBytes.addAndGet(bytes);
  }

  void acked() {
    acks.incrementAndGet();
  }

  void throttled() {
    throttled.incrementAndGet();
  }

  void error(ForwardException.Reason reason) {
    errors.get(reason).incrementAndGet();
  }

  public long errors(ForwardException.Reason reason) {
    return errors.get(reason).get();
  }

  /** Errors by lowercase reason name, for tests and embedders. */
  public long errors(String reason) {
    return errors.get(ForwardException.Reason.valueOf(reason.toUpperCase())).get();
  }

  public long acks() {
    return acks.get();
  }

  public long messages() {
    return messages.get();
  }

  public long openConnections() {
    return open.get();
  }

  public long connections() {
    return connections.get();
  }

  public long refusedConnections() {
    return refused.get();
  }
}
