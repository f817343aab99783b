package io.sluice.collector.ingest;

import io.opentelemetry.api.trace.Span;
import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.NackReason;
import io.sluice.collector.Policy;
import io.sluice.collector.limit.TenantLimiter;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import io.sluice.collector.route.Router;
import io.sluice.proto.v1.AnyValue;
import io.sluice.wire.DecodedBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The one admission stage every ingest path passes (the Sluice stream, OTLP/gRPC, OTLP/HTTP, HTTP/JSON), in this
 * order, each step on verified numbers only:
 *
 * <ol>
 *   <li>the resource (Hello's overlaid by the batch's), which every record gets a copy of, is at most
 *       {@code limits.maxResourceBytes} encoded, else RESOURCE_TOO_LARGE;
 *   <li>the bytes the batch will really produce for Kafka (each record plus the {@code resource.*} entries it lacks)
 *       are computed by arithmetic, before any copy, and must be at most {@code limits.maxEnrichedBatchBytes}, else
 *       ENRICHED_TOO_LARGE;
 *   <li>every record is routed (permanently invalid ones to the dead-letter topic) and every topic must be allowed
 *       for the tenant, else FORBIDDEN_TOPIC;
 *   <li>the tenant's rate limit is charged with the real record count and the batch's <em>cost</em>, the larger of
 *       its decoded size and the bytes it produces, else RATE_LIMITED (nothing taken);
 *   <li>only then is the batch handed on (its values are built by the publisher, per format), and {@link #publish} charges the same cost to the collector's in-flight
 *       budget until Kafka answered.
 * </ol>
 *
 * <p>Declared sizes and counts from a client are never charged here: callers pass decoded batches. A stream may
 * refuse a batch earlier on a declared number (too many records, too large), but never charge it. The stream also
 * asks {@link #alreadyPublished} before decoding, so a resend of a batch this collector published is acknowledged
 * without publishing again ({@link ResendWindow}). Thread-safe; never blocks.
 */
public final class Admission {
  private final Publisher publisher;
  private final InFlightBudget budget;
  private final CollectorMetrics metrics;
  private final Supplier<Policy> policy;
  private final TenantLimiter limiter;
  private final int maxRecordsPerBatch;
  private final int maxResourceBytes;
  private final long maxEnrichedBatchBytes;
  private final ResendWindow resends;

  /**
   * @param maxRecordsPerBatch more records in one batch or request are refused TOO_MANY_RECORDS
   * @param maxResourceBytes larger encoded resources are refused RESOURCE_TOO_LARGE
   * @param maxEnrichedBatchBytes batches producing more bytes are refused ENRICHED_TOO_LARGE
   * @param resendWindow published sequences remembered per source (0: no suppression of resends)
   * @param resendSources sources remembered
   */
  public Admission(Publisher publisher, InFlightBudget budget, CollectorMetrics metrics, Supplier<Policy> policy,
      TenantLimiter limiter, int maxRecordsPerBatch, int maxResourceBytes, long maxEnrichedBatchBytes,
      int resendWindow, int resendSources) {
    this.publisher = publisher;
    this.budget = budget;
    this.metrics = metrics;
    this.policy = policy;
    this.limiter = limiter;
    this.maxRecordsPerBatch = maxRecordsPerBatch;
    this.maxResourceBytes = maxResourceBytes;
    this.maxEnrichedBatchBytes = maxEnrichedBatchBytes;
    this.resends = new ResendWindow(resendWindow, resendSources);
  }

  /** One batch: its identity, the resource every record gets, and its decoded records. */
  public record Candidate(String source, long epoch, long sequence, Map<String, AnyValue> resource,
      DecodedBatch decoded) {}

  /** Batches that passed every check and were charged to their tenant; {@link #publish} hands them to Kafka. */
  public static final class Admitted {
    private final String tenant;
    private final List<PublishBatch> batches;
    private final long cost;
    private final long decoded;
    private final long produced;
    private final int records;
    private final int deadLettered;
    private final boolean remember;

    private Admitted(String tenant, List<PublishBatch> batches, long cost, long decoded, long produced, int records,
        int deadLettered, boolean remember) {
      this.tenant = tenant;
      this.batches = batches;
      this.cost = cost;
      this.decoded = decoded;
      this.produced = produced;
      this.records = records;
      this.deadLettered = deadLettered;
      this.remember = remember;
    }

    /** What the tenant's limit and the in-flight budgets are charged: max(decoded, produced) bytes, at least 1. */
    public long cost() {
      return cost;
    }

    public int records() {
      return records;
    }

    public List<PublishBatch> batches() {
      return batches;
    }
  }

  /** Refuses a record count over {@code limits.maxRecordsPerBatch} (an unsigned uint32 from the wire is fine). */
  public void checkRecordCount(long records, String what) throws Rejected {
    if (records < 0 || records > maxRecordsPerBatch) {
      throw new Rejected(NackReason.TOO_MANY_RECORDS, Long.toUnsignedString(records)
          + " records > limits.maxRecordsPerBatch " + maxRecordsPerBatch + "; send smaller " + what, 0);
    }
  }

  /** Refuses a resource whose encoded copy would be larger than {@code limits.maxResourceBytes}. */
  public void checkResource(Map<String, AnyValue> resource) throws Rejected {
    checkResource(new RecordEnricher.Suffix(resource), -1);
  }

  private void checkResource(RecordEnricher.Suffix suffix, int records) throws Rejected {
    if (suffix.size() > maxResourceBytes) {
      throw new Rejected(NackReason.RESOURCE_TOO_LARGE, "the resource is " + suffix.size() + " bytes encoded"
          + (records >= 0 ? " and would be copied into each of " + records + " records" : "")
          + "; the limit is " + maxResourceBytes + " (limits.maxResourceBytes); send fewer or smaller resource "
          + "attributes", 0);
    }
  }

  /**
   * Milliseconds until {@code tenant} may send anything at all, 0 if it may now. Takes nothing: a cheap refusal of a
   * throttled flood before decoding, which no declared number can influence.
   */
  public long throttledFor(String tenant) {
    return limiter.peekWait(tenant);
  }

  /** True if this collector published that batch (Kafka acknowledged it) and still remembers it. */
  public boolean alreadyPublished(String tenant, String source, long epoch, long sequence) {
    return resends.published(tenant, source, epoch, sequence);
  }

  /**
   * Checks, routes, charges and builds {@code candidates} as one unit: all are admitted or none is, and nothing is
   * charged when one is refused (except by the rate limit itself, which takes nothing when it refuses).
   *
   * @param remember whether the candidates' identities are real (a stream's source, epoch, sequence): then their
   *     publication is remembered for {@link #alreadyPublished}
   */
  public Admitted admit(String tenant, List<Candidate> candidates, boolean remember) throws Rejected {
    Router router = policy.get().router();
    int n = candidates.size();
    RecordEnricher.Suffix[] suffixes = new RecordEnricher.Suffix[n];
    int[][] lengths = new int[n][];
    String[][] topics = new String[n][];
    String[][] reasons = new String[n][];
    long[] costs = new long[n];
    long records = 0;
    long produced = 0;
    long decodedBytes = 0;
    long cost = 0;
    int deadLettered = 0;
    for (int c = 0; c < n; c++) {
      Candidate cand = candidates.get(c);
      DecodedBatch d = cand.decoded();
      records += d.size();
      checkRecordCount(records, "batches or requests");
      RecordEnricher.Suffix suffix = new RecordEnricher.Suffix(cand.resource());
      checkResource(suffix, d.size());
      suffixes[c] = suffix;
      int[] len = new int[d.size()];
      long batchProduced = 0;
      for (int i = 0; i < len.length; i++) {
        // each term is below 2^31 + maxResourceBytes and we stop once past a bound below 2^62: no overflow
        long l = (long) d.length(i) + suffix.lengthFor(d.resourceAttributeKeys(i));
        len[i] = (int) Math.min(Integer.MAX_VALUE, l);
        batchProduced += l;
        if (produced + batchProduced > maxEnrichedBatchBytes) {
          throw new Rejected(NackReason.ENRICHED_TOO_LARGE, "the batch would produce more than "
              + maxEnrichedBatchBytes + " bytes for Kafka (" + d.size() + " records of " + d.bytes().length
              + " decoded bytes, each with its copy of a " + suffix.size() + "-byte resource); the limit is "
              + "limits.maxEnrichedBatchBytes; send smaller batches or a smaller resource", 0);
        }
      }
      lengths[c] = len;
      produced += batchProduced;
      decodedBytes += d.bytes().length;
      costs[c] = Math.max(1, Math.max(d.bytes().length, batchProduced));
      cost += costs[c];
      deadLettered += route(router, tenant, cand, len, topics, reasons, c);
    }
    long waitMs = limiter.tryAcquire(tenant, (int) records, cost);
    if (waitMs > 0) {
      metrics.tenantThrottled(tenant);
      throw new Rejected(NackReason.RATE_LIMITED, "RESOURCE_EXHAUSTED: tenant \"" + tenant
          + "\" is over its rate limit; retry after " + waitMs + " ms", waitMs);
    }
    List<PublishBatch> batches = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      Candidate cand = candidates.get(c);
      DecodedBatch d = cand.decoded();
      if (d.size() == 0 && !remember) {
        continue; // an empty resource of a request: nothing to publish, no sequence to acknowledge
      }
      // Nothing is copied here: the batch format publishes the records as sent (the client's zstd frame when it can)
      // with the resource in a header; the record format splices each value when it is sent, the record's own bytes
      // plus the resource attributes it lacks (no parsing, no re-encoding). Only dead-lettered lines get a value now.
      byte[][] deadLetterValues = null;
      if (reasons[c] != null) {
        deadLetterValues = new byte[d.size()][];
        for (int i = 0; i < deadLetterValues.length; i++) {
          if (!reasons[c][i].isEmpty()) {
            deadLetterValues[i] =
                router.deadLetterValue(RecordEnricher.enrich(d.record(i), cand.resource())).toByteArray();
          }
        }
      }
      RecordEnricher.Suffix suffix = suffixes[c];
      batches.add(PublishBatch.ofDecoded(cand.source(), cand.epoch(), tenant, cand.sequence(),
          RecordEnricher.partitionKey(cand.resource(), cand.source()), d,
          RecordEnricher.encodeResource(cand.resource()), lengths[c], i -> RecordEnricher.splice(d, suffix, i),
          deadLetterValues, costs[c], topics[c], reasons[c]));
    }
    return new Admitted(tenant, List.copyOf(batches), Math.max(1, cost), decodedBytes, produced, (int) records,
        deadLettered, remember);
  }

  /** Fills topics[c] (and reasons[c] when a record is dead-lettered); returns the dead-lettered count. */
  private static int route(Router router, String tenant, Candidate cand, int[] len, String[][] topics,
      String[][] reasons, int c) throws Rejected {
    DecodedBatch d = cand.decoded();
    AnyValue svcValue = cand.resource().get("service.name");
    String service = svcValue != null && svcValue.hasStringValue() ? svcValue.getStringValue() : "";
    String[] t = new String[d.size()];
    String[] r = null;
    int dead = 0;
    String allowedTopic = null; // the last topic found allowed: a batch mostly goes to one topic
    for (int i = 0; i < t.length; i++) {
      // enrichment only adds resource.* attributes: routing and validity read nothing else of it, but the size
      String invalid = router.invalidReason(d.traceIdSize(i), d.spanIdSize(i), d.severityNumber(i), len[i]);
      if (invalid != null) {
        if (r == null) {
          r = new String[t.length];
          Arrays.fill(r, "");
        }
        t[i] = router.deadLetterTopic();
        r[i] = invalid;
        dead++;
        continue;
      }
      String svc = service.isEmpty() && router.readsService() ? d.stringAttribute(i, "service.name") : service;
      String topic = router.route(tenant, svc, d.severityNumber(i));
      if (!topic.equals(allowedTopic)) {
        if (!router.allowed(tenant, topic)) {
          throw new Rejected(NackReason.FORBIDDEN_TOPIC, "tenant \"" + tenant + "\" may not write to topic " + topic
              + " (tenants." + tenant + ".topics)", 0);
        }
        allowedTopic = topic;
      }
      t[i] = topic;
    }
    topics[c] = t;
    reasons[c] = r;
    return dead;
  }

  /**
   * Charges the admitted batches' cost to the in-flight budget and hands them to the publisher.
   *
   * @param span the ingest span; a {@code sluice.publish} child covers the wait for Kafka
   * @return completes after Kafka acknowledged every record of every batch (and the budget was released); fails
   *     with Kafka's error otherwise
   */
  public CompletableFuture<Void> publish(Admitted a, Span span, IngestSpans spans) {
    metrics.batchDecoded(a.decoded);
    metrics.bytesProduced(a.produced);
    metrics.tenantUsage(a.tenant, a.records, a.cost);
    if (a.deadLettered > 0) {
      metrics.recordsDeadLettered(a.deadLettered);
    }
    budget.acquire(a.cost);
    metrics.inFlightChanged(a.cost);
    long started = System.nanoTime();
    Span publishing = spans.child(span, "sluice.publish");
    List<CompletableFuture<Void>> acks = new ArrayList<>(a.batches.size());
    for (PublishBatch b : a.batches) {
      CompletableFuture<Void> f;
      try {
        f = publisher.publish(b);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      if (a.remember) {
        f = f.whenComplete((ok, error) -> {
          if (error == null) {
            resends.markPublished(a.tenant, b.source(), b.epoch(), b.sequence());
          }
        });
      }
      acks.add(f);
    }
    CompletableFuture<Void> all = acks.size() == 1 ? acks.get(0)
        : CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0]));
    return all.whenComplete((ok, error) -> {
      IngestSpans.end(publishing, error);
      if (error == null) {
        metrics.kafkaLatency(System.nanoTime() - started);
      }
      metrics.inFlightChanged(-a.cost);
      budget.release(a.cost);
    });
  }
}
