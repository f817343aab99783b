package io.sluice.collector.ingest;

import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.NackReason;
import io.sluice.collector.Policy;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.limit.TenantLimiter;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import io.sluice.collector.route.Router;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

/**
 * The ingest path of one-shot requests (OTLP/gRPC {@code Export}, OTLP/HTTP and Sluice's HTTP/JSON
 * {@code POST}): the same authentication, tenant rate limit, routing and dead-lettering as a Sluice stream, and a
 * future that completes only after Kafka acknowledged every record of the request.
 *
 * <p>Identity: a request has no spool behind it, so its records carry {@code sluice.source = <protocol>:<collector
 * instance>}, {@code sluice.epoch} = this collector's start time (ms), {@code sluice.seq} = a counter of this
 * collector (one per resource of a request), {@code sluice.idx} = the index in that resource's records. Unique per
 * record; a client's retry of a failed request is a new sequence, so such duplicates cannot be removed downstream.
 *
 * <p>Bounded: a request is refused (retryable) while the collector's in-flight budget is used up, and counts
 * against it until Kafka answers; its size was bounded by the transport before decoding. Thread-safe, never blocks.
 */
public final class RequestIngest {
  private final Publisher publisher;
  private final InFlightBudget budget;
  private final CollectorMetrics metrics;
  private final Supplier<Policy> policy;
  private final TenantLimiter limiter;
  private final int maxRecordsPerBatch;
  private final String instance;
  private final long epoch;
  private final AtomicLong sequence = new AtomicLong();
  private final IngestSpans spans;
  private volatile boolean draining;

  /**
   * @param instance this collector's id in {@code sluice.source} (unique per running collector)
   * @param epoch this collector's start time in ms, the {@code sluice.epoch} of request records
   */
  public RequestIngest(Publisher publisher, InFlightBudget budget, CollectorMetrics metrics, Supplier<Policy> policy,
      TenantLimiter limiter, int maxRecordsPerBatch, String instance, long epoch, IngestSpans spans) {
    this.spans = spans;
    this.publisher = publisher;
    this.budget = budget;
    this.metrics = metrics;
    this.policy = policy;
    this.limiter = limiter;
    this.maxRecordsPerBatch = maxRecordsPerBatch;
    this.instance = instance;
    this.epoch = epoch;
  }

  /** Records of one resource: its attributes (merged into each record as {@code resource.*}) and the records. */
  public record Part(Map<String, AnyValue> resource, List<LogRecord> records) {}

  /** Why a request was refused, and whether (and when) to try again. */
  public static final class Rejected extends Exception {
    private final NackReason reason;
    private final long retryAfterMs;

    public Rejected(NackReason reason, String message, long retryAfterMs) {
      super(reason.name() + ": " + message);
      this.reason = reason;
      this.retryAfterMs = retryAfterMs;
    }

    public NackReason reason() {
      return reason;
    }

    /** Milliseconds to wait before retrying (retryable reasons), else 0. */
    public long retryAfterMs() {
      return retryAfterMs;
    }
  }

  /** Stops accepting requests (graceful shutdown): later ones are refused with a retryable SHUTTING_DOWN. */
  public void drain() {
    draining = true;
  }

  /**
   * Authenticates a request's credentials as a stream's Hello would be: {@code credentials} is a {@code Bearer <JWT>},
   * an API key or empty (then the TLS client certificate, then anonymous access if enabled).
   */
  public Principal authenticate(String credentials, String tenant, SSLSession tls) throws AuthException {
    Hello hello = Hello.newBuilder().setClientId(instance).setCredentials(credentials == null ? "" : credentials)
        .setTenant(tenant == null ? "" : tenant).build();
    try {
      return policy.get().authenticator().authenticate(hello, tls);
    } catch (AuthException e) {
      metrics.authFailed(e.method());
      throw e;
    }
  }

  /**
   * Limits, routes and publishes the records of one request for {@code principal}.
   *
   * @param protocol names the source ({@code otlp}, {@code http})
   * @return completes after Kafka acknowledged every record; fails with Kafka's error otherwise
   * @throws Rejected before anything was published: too many records, over the tenant's rate limit, a forbidden
   *     topic, a full in-flight budget or shutting down
   */
  public CompletableFuture<Void> publish(Principal principal, String protocol, List<Part> parts) throws Rejected {
    io.opentelemetry.api.trace.Span span = spans.batch(protocol, principal.tenant(), protocol + ":" + instance,
        sequence.get() + 1, parts.stream().mapToLong(p -> p.records().size()).sum());
    try {
      CompletableFuture<Void> done = publishTraced(principal, protocol, parts, span);
      return done.whenComplete((ok, error) -> IngestSpans.end(span, error));
    } catch (Rejected e) {
      IngestSpans.nacked(span, e.reason().name(), e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      IngestSpans.end(span, e);
      throw e;
    }
  }

  private CompletableFuture<Void> publishTraced(Principal principal, String protocol, List<Part> parts,
      io.opentelemetry.api.trace.Span span) throws Rejected {
    String tenant = principal.tenant();
    int count = 0;
    long bytes = 0;
    for (Part p : parts) {
      count += p.records().size();
      for (LogRecord r : p.records()) {
        bytes += r.getSerializedSize();
      }
    }
    bytes = Math.max(1, bytes);
    metrics.batchReceived(bytes);
    if (draining) {
      throw reject(new Rejected(NackReason.SHUTTING_DOWN, "the collector is shutting down; retry", 1000));
    }
    if (count > maxRecordsPerBatch) {
      throw reject(new Rejected(NackReason.TOO_MANY_RECORDS, count + " records > limits.maxRecordsPerBatch "
          + maxRecordsPerBatch + "; send smaller requests", 0));
    }
    if (!budget.hasRoom()) {
      throw reject(new Rejected(NackReason.KAFKA_FAILED, "the collector has limits.maxInFlightBytes waiting for "
          + "Kafka; retry", 1000));
    }
    long waitMs = limiter.tryAcquire(tenant, count, bytes);
    if (waitMs > 0) {
      metrics.tenantThrottled(tenant);
      throw reject(new Rejected(NackReason.RATE_LIMITED, "RESOURCE_EXHAUSTED: tenant \"" + tenant
          + "\" is over its rate limit; retry after " + waitMs + " ms", waitMs));
    }
    metrics.batchDecoded(bytes);
    Router router = policy.get().router();
    String source = protocol + ":" + instance;
    List<PublishBatch> batches = new ArrayList<>(parts.size());
    int deadLettered = 0;
    for (Part part : parts) {
      if (part.records().isEmpty()) {
        continue;
      }
      List<LogRecord> records = RecordEnricher.enrich(
          LogBatch.newBuilder().addAllRecords(part.records()).build(), part.resource());
      AnyValue svc = part.resource().get("service.name");
      String service = svc != null && svc.hasStringValue() ? svc.getStringValue() : "";
      List<String> topics = new ArrayList<>(records.size());
      List<String> reasons = new ArrayList<>(records.size());
      List<LogRecord> values = new ArrayList<>(records.size());
      int dead = 0;
      long partBytes = 0;
      for (LogRecord r : records) {
        partBytes += r.getSerializedSize();
        String invalid = router.invalidReason(r);
        if (invalid != null) {
          dead++;
          topics.add(router.deadLetterTopic());
          reasons.add(invalid);
          values.add(router.deadLetterValue(r));
          continue;
        }
        String topic = router.route(tenant, service, r);
        if (!router.allowed(tenant, topic)) {
          throw reject(new Rejected(NackReason.FORBIDDEN_TOPIC, "tenant \"" + tenant + "\" may not write to topic "
              + topic + " (tenants." + tenant + ".topics)", 0));
        }
        topics.add(topic);
        reasons.add("");
        values.add(r);
      }
      deadLettered += dead;
      batches.add(new PublishBatch(source, epoch, tenant, sequence.incrementAndGet(),
          RecordEnricher.partitionKey(part.resource(), source), values, Math.max(1, partBytes), topics,
          dead == 0 ? List.of() : reasons));
    }
    metrics.tenantUsage(tenant, count, bytes);
    if (deadLettered > 0) {
      metrics.recordsDeadLettered(deadLettered);
    }
    long inFlight = bytes;
    budget.acquire(inFlight);
    metrics.inFlightChanged(inFlight);
    long started = System.nanoTime();
    io.opentelemetry.api.trace.Span publishing = spans.child(span, "sluice.publish");
    List<CompletableFuture<Void>> acks = new ArrayList<>(batches.size());
    for (PublishBatch b : batches) {
      try {
        acks.add(publisher.publish(b));
      } catch (RuntimeException e) {
        acks.add(CompletableFuture.failedFuture(e));
      }
    }
    int records = count;
    return CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).whenComplete((ok, error) -> {
      IngestSpans.end(publishing, error);
      metrics.inFlightChanged(-inFlight);
      budget.release(inFlight);
      if (error == null) {
        metrics.kafkaLatency(System.nanoTime() - started);
        metrics.batchAcked(records);
      } else {
        metrics.batchNacked(io.sluice.collector.publish.PublishException.retryable(error)
            ? NackReason.KAFKA_FAILED : NackReason.KAFKA_REJECTED);
      }
    });
  }

  private Rejected reject(Rejected r) {
    metrics.batchNacked(r.reason());
    return r;
  }
}
