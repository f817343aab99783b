package io.sluice.collector.ingest;

import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.NackReason;
import io.sluice.collector.Policy;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
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
 * <p>Every check, limit, routing, dead-lettering and publishing is {@link Admission}'s, the same as a stream's: a
 * request's records are encoded once into a LogBatch per resource and go through the same scan and enrichment, so
 * a request costs what it will produce. Bounded: a request is refused (retryable) while the collector's in-flight
 * budget is used up, and counts against it until Kafka answers; its size was bounded by the transport before
 * decoding. Thread-safe, never blocks.
 */
public final class RequestIngest {
  private final Admission admission;
  private final InFlightBudget budget;
  private final CollectorMetrics metrics;
  private final Supplier<Policy> policy;
  private final String instance;
  private final long epoch;
  private final AtomicLong sequence = new AtomicLong();
  private final IngestSpans spans;
  private volatile boolean draining;
  private final RateLimitedLog undecodableLog = new RateLimitedLog(org.slf4j.LoggerFactory.getLogger(
      RequestIngest.class), 10_000_000_000L, System::nanoTime);

  /**
   * @param instance this collector's id in {@code sluice.source} (unique per running collector)
   * @param epoch this collector's start time in ms, the {@code sluice.epoch} of request records
   */
  public RequestIngest(Admission admission, InFlightBudget budget, CollectorMetrics metrics, Supplier<Policy> policy,
      String instance, long epoch, IngestSpans spans) {
    this.admission = admission;
    this.spans = spans;
    this.budget = budget;
    this.metrics = metrics;
    this.policy = policy;
    this.instance = instance;
    this.epoch = epoch;
  }

  /** Records of one resource: its attributes (merged into each record as {@code resource.*}) and the records. */
  public record Part(Map<String, AnyValue> resource, List<LogRecord> records) {}

  /** Counts a request that was not valid protobuf and logs it, at most one line per 10 s. */
  public void undecodable(String what) {
    metrics.undecodableFrame();
    undecodableLog.warn(what);
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
   * @throws Rejected before anything was published: too many records, a too large resource or enriched request,
   *     over the tenant's rate limit, a forbidden topic, a full in-flight budget or shutting down
   */
  public CompletableFuture<Void> publish(Principal principal, String protocol, List<Part> parts) throws Rejected {
    io.opentelemetry.api.trace.Span span = spans.batch(protocol, principal.tenant(), protocol + ":" + instance,
        sequence.get() + 1, parts.stream().mapToLong(p -> p.records().size()).sum());
    try {
      return publishTraced(principal, protocol, parts, span).whenComplete((ok, error) -> IngestSpans.end(span, error));
    } catch (Rejected e) {
      metrics.batchNacked(e.reason());
      IngestSpans.nacked(span, e.reason().name(), e.getMessage());
      throw e;
    } catch (RuntimeException e) {
      IngestSpans.end(span, e);
      throw e;
    }
  }

  private CompletableFuture<Void> publishTraced(Principal principal, String protocol, List<Part> parts,
      io.opentelemetry.api.trace.Span span) throws Rejected {
    long count = 0;
    long wire = 0;
    for (Part p : parts) {
      count += p.records().size();
      for (LogRecord r : p.records()) {
        wire += r.getSerializedSize();
      }
    }
    metrics.batchReceived(Math.max(1, wire));
    if (draining) {
      throw new Rejected(NackReason.SHUTTING_DOWN, "the collector is shutting down; retry", 1000);
    }
    admission.checkRecordCount(count, "requests");
    if (!budget.hasRoom()) {
      throw new Rejected(NackReason.KAFKA_FAILED, "the collector has limits.maxInFlightBytes waiting for Kafka; "
          + "retry", 1000);
    }
    long throttled = admission.throttledFor(principal.tenant());
    if (throttled > 0) {
      metrics.tenantThrottled(principal.tenant());
      throw new Rejected(NackReason.RATE_LIMITED, "RESOURCE_EXHAUSTED: tenant \"" + principal.tenant()
          + "\" is over its rate limit; retry after " + throttled + " ms", throttled);
    }
    String source = protocol + ":" + instance;
    List<Admission.Candidate> candidates = new ArrayList<>(parts.size());
    for (Part part : parts) {
      // one encoding of the request's records, then the stream's scan and enrichment (the same bytes as a client's
      // LogBatch of these records would be)
      byte[] bytes = LogBatch.newBuilder().addAllRecords(part.records()).build().toByteArray();
      DecodedBatch decoded;
      try {
        decoded = DecodedBatch.scan(bytes, part.records().size());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("records encoded here did not scan", e);
      }
      candidates.add(new Admission.Candidate(source, epoch, 0, part.resource(), decoded));
    }
    Admission.Admitted admitted = admission.admit(principal.tenant(), withSequences(candidates), false);
    int records = admitted.records();
    return admission.publish(admitted, span, spans).whenComplete((ok, error) -> {
      if (error == null) {
        metrics.batchAcked(records);
      } else {
        metrics.batchNacked(io.sluice.collector.publish.PublishException.retryable(error)
            ? NackReason.KAFKA_FAILED : NackReason.KAFKA_REJECTED);
      }
    });
  }

  /** Numbers the non-empty parts from this collector's counter (an empty resource publishes nothing). */
  private List<Admission.Candidate> withSequences(List<Admission.Candidate> candidates) {
    List<Admission.Candidate> out = new ArrayList<>(candidates.size());
    for (Admission.Candidate c : candidates) {
      long seq = c.decoded().size() == 0 ? 0 : sequence.incrementAndGet();
      out.add(new Admission.Candidate(c.source(), c.epoch(), seq, c.resource(), c.decoded()));
    }
    return out;
  }
}
