package io.sluice.collector.ingest;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.NackReason;
import io.sluice.collector.Policy;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.auth.TlsSessions;
import io.sluice.collector.limit.TenantLimiter;
import io.sluice.collector.route.Router;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import io.sluice.proto.v1.Ack;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.GoAway;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.Nack;
import io.sluice.proto.v1.ServerFrame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code IngestService.Stream} endpoint: Hello, then batches; each batch is decoded with hard bounds, published,
 * and acknowledged only after the {@link Publisher} reports that Kafka acknowledged every record of it.
 *
 * <p>Flow control is manual: a stream asks gRPC for one frame at a time, and asks for the next only while its own
 * decoded bytes in flight are below {@code maxInFlightBytesPerStream} and the collector's are below the shared
 * {@link InFlightBudget}; otherwise it waits for a publish to complete. A slow Kafka therefore stops reads, HTTP/2
 * windows fill, and the client's {@code isReady()} turns false. Memory per stream: at most the per-stream bound plus
 * one frame.
 *
 * <p>Hello is authenticated ({@link io.sluice.collector.auth.Authenticator}); failures end the stream with
 * UNAUTHENTICATED or PERMISSION_DENIED. Each batch is checked against its tenant's rate limit before it is decoded
 * (a retryable RATE_LIMITED Nack with the wait as retry_after_ms), then its records are routed; permanently invalid
 * records go to the dead-letter topic with a reason header.
 *
 * <p>Errors: a permanently bad batch gets a non-retryable Nack and the stream goes on; a broken protocol (no Hello
 * first, a second Hello, an empty frame) ends the stream with INVALID_ARGUMENT. Never throws into gRPC, never blocks
 * a gRPC thread. Thread-safe.
 */
public final class IngestServiceImpl extends IngestServiceGrpc.IngestServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(IngestServiceImpl.class);

  private final Publisher publisher;
  private final BatchDecoder decoder;
  private final InFlightBudget budget;
  private final long maxInFlightBytesPerStream;
  private final int retryAfterMs;
  private final CollectorMetrics metrics;
  private final Supplier<Policy> policy;
  private final TenantLimiter limiter;
  private final int maxRecordsPerBatch;
  private final IngestSpans spans;
  private final Set<StreamHandler> streams = ConcurrentHashMap.newKeySet();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition idle = idleLock.newCondition();
  private int inFlightBatches; // guarded by idleLock
  private volatile boolean draining;

  /**
   * @param publisher where accepted batches go
   * @param decoder bounds on frame and decoded sizes
   * @param budget collector-wide bound on decoded bytes awaiting Kafka
   * @param maxInFlightBytesPerStream decoded bytes awaiting Kafka above which one stream stops reading
   * @param retryAfterMs hint in retryable Nacks
   * @param metrics counters to update
   * @param policy the current authentication and routing (read per Hello and per batch; reloads swap it)
   * @param limiter per-tenant rate limits
   * @param maxRecordsPerBatch larger declared record counts are nacked TOO_MANY_RECORDS
   * @param spans where the span of each batch goes
   */
  public IngestServiceImpl(Publisher publisher, BatchDecoder decoder, InFlightBudget budget,
      long maxInFlightBytesPerStream, int retryAfterMs, CollectorMetrics metrics, Supplier<Policy> policy,
      TenantLimiter limiter, int maxRecordsPerBatch, IngestSpans spans) {
    this.spans = spans;
    this.policy = policy;
    this.limiter = limiter;
    this.maxRecordsPerBatch = maxRecordsPerBatch;
    this.publisher = publisher;
    this.decoder = decoder;
    this.budget = budget;
    this.maxInFlightBytesPerStream = maxInFlightBytesPerStream;
    this.retryAfterMs = retryAfterMs;
    this.metrics = metrics;
  }

  @Override
  public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> responseObserver) {
    ServerCallStreamObserver<ServerFrame> call = (ServerCallStreamObserver<ServerFrame>) responseObserver;
    call.disableAutoRequest();
    StreamHandler handler = new StreamHandler(call, TlsSessions.current());
    call.setOnCancelHandler(handler::cancelled);
    streams.add(handler);
    metrics.streamOpened();
    handler.pump();
    return handler;
  }

  /** Stops reading frames on every stream (now and for streams opened later); in-flight batches go on. */
  public void drain() {
    draining = true;
  }

  /** Waits until no batch is waiting for the publisher, up to {@code timeout}; true if that happened. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long left = timeout.toNanos();
    idleLock.lock();
    try {
      while (inFlightBatches > 0) {
        if (left <= 0) {
          return false;
        }
        left = idle.awaitNanos(left);
      }
      return true;
    } finally {
      idleLock.unlock();
    }
  }

  /**
   * Ends every open stream: batches still unpublished get a retryable Nack (SHUTTING_DOWN), then GoAway, then the
   * stream completes. Call after {@link #drain()} and {@link #awaitIdle}.
   */
  public void goAwayAll(String reason) {
    for (StreamHandler h : streams) {
      h.goAway(reason);
    }
  }

  /** Batches read and not yet acknowledged or nacked, across streams. */
  public int inFlightBatches() {
    idleLock.lock();
    try {
      return inFlightBatches;
    } finally {
      idleLock.unlock();
    }
  }

  public int openStreams() {
    return streams.size();
  }

  private void batchStarted() {
    idleLock.lock();
    try {
      inFlightBatches++;
    } finally {
      idleLock.unlock();
    }
  }

  private void batchFinished() {
    idleLock.lock();
    try {
      if (--inFlightBatches == 0) {
        idle.signalAll();
      }
    } finally {
      idleLock.unlock();
    }
  }

  /**
   * One client stream. Inbound callbacks are serialized by gRPC; outbound frames come from gRPC threads and from
   * publisher callbacks, so every write to {@code call} holds {@code out} (StreamObserver is not thread-safe).
   */
  private final class StreamHandler implements StreamObserver<ClientFrame> {
    private final ServerCallStreamObserver<ServerFrame> call;
    private final Object out = new Object();
    private final Runnable wake = this::pump;
    private final SSLSession tls;
    // guarded by this
    private Hello hello;
    private Principal principal;
    private long streamBytes;
    private boolean requestOutstanding;
    private boolean closed; // no more frames will be read or written: error, cancel, completion or GoAway
    private boolean clientHalfClosed;
    private final Set<Long> unsettled = new TreeSet<>();
    // Once a batch is throttled, the client will tear the stream down on that Nack and resend from there: later
    // batches are nacked too, without taking tokens, and the Nacks wait until every earlier batch is acked, so no
    // accepted batch's Ack is lost to the teardown (which would waste the tenant's tokens on resends).
    private long throttledRetryAfterMs;
    private final List<ServerFrame> heldNacks = new ArrayList<>();

    StreamHandler(ServerCallStreamObserver<ServerFrame> call, SSLSession tls) {
      this.call = call;
      this.tls = tls;
    }

    /** Asks gRPC for the next frame if this stream and the collector are below their in-flight bounds. */
    void pump() {
      synchronized (this) {
        if (requestOutstanding || closed || clientHalfClosed || draining) {
          return;
        }
        if (streamBytes >= maxInFlightBytesPerStream) {
          return; // woken by this stream's own next completion
        }
        if (!budget.hasRoom()) {
          budget.park(wake);
          if (!budget.hasRoom()) {
            return; // woken by any stream's release
          }
        }
        requestOutstanding = true;
      }
      call.request(1);
    }

    @Override
    public void onNext(ClientFrame frame) {
      Hello h;
      Principal p;
      synchronized (this) {
        requestOutstanding = false;
        if (closed) {
          return;
        }
        h = hello;
        p = principal;
      }
      switch (frame.getFrameCase()) {
        case HELLO -> onHello(h, frame.getHello());
        case BATCH -> {
          if (h == null) {
            fail("the first frame must be Hello (client_id, protocol_version 1), got a Batch");
          } else {
            onBatch(h, p, frame.getBatch());
          }
        }
        default -> fail("empty ClientFrame: set hello or batch");
      }
    }

    private void onHello(Hello previous, Hello h) {
      if (previous != null) {
        fail("Hello was already received on this stream; send it once, first");
        return;
      }
      if (h.getClientId().isEmpty()) {
        fail("Hello.client_id is empty; set a stable id per spool");
        return;
      }
      if (h.getProtocolVersion() > 1) {
        fail("Hello.protocol_version " + h.getProtocolVersion() + " is not supported; this collector speaks 1");
        return;
      }
      Principal p;
      try {
        p = policy.get().authenticator().authenticate(h, tls);
      } catch (AuthException e) {
        metrics.authFailed(e.method());
        fail(e.status());
        return;
      } catch (RuntimeException e) {
        log.warn("authentication failed unexpectedly", e);
        metrics.authFailed("error");
        fail(Status.UNAVAILABLE.withDescription("authentication is unavailable: " + e));
        return;
      }
      synchronized (this) {
        hello = h;
        principal = p;
      }
      pump();
    }

    private void onBatch(Hello h, Principal principal, Batch batch) {
      long seq = batch.getSequence();
      String tenant = principal.tenant();
      metrics.batchReceived(batch.getPayload().size());
      io.opentelemetry.api.trace.Span span = spans.batch("sluice", tenant, h.getClientId(), seq,
          batch.getRecordCount());
      if (batch.getRecordCount() > maxRecordsPerBatch) {
        IngestSpans.nacked(span, NackReason.TOO_MANY_RECORDS.name(), "too many records");
        reject(h, seq, NackReason.TOO_MANY_RECORDS, batch.getRecordCount() + " records > limits.maxRecordsPerBatch "
            + maxRecordsPerBatch + "; send smaller batches", 0);
        return;
      }
      // before decoding, on the declared sizes: a throttled flood costs no decompression (lies are caught below)
      long waitMs;
      synchronized (this) {
        waitMs = throttledRetryAfterMs;
      }
      if (waitMs == 0) {
        waitMs = limiter.tryAcquire(tenant, batch.getRecordCount(),
            Math.max(batch.getUncompressedSize(), batch.getPayload().size()));
      }
      if (waitMs > 0) {
        IngestSpans.nacked(span, NackReason.RATE_LIMITED.name(), "tenant over its rate limit");
        metrics.tenantThrottled(tenant);
        metrics.batchNacked(NackReason.RATE_LIMITED);
        ServerFrame nack = nack(seq, NackReason.RATE_LIMITED, "RESOURCE_EXHAUSTED: tenant \"" + tenant
            + "\" is over its rate limit; retry after " + waitMs + " ms", waitMs);
        boolean now;
        synchronized (this) {
          throttledRetryAfterMs = waitMs;
          now = unsettled.isEmpty();
          if (!now) {
            heldNacks.add(nack);
          }
        }
        if (now) {
          send(nack);
        }
        pump();
        return;
      }
      DecodedBatch decoded;
      io.opentelemetry.api.trace.Span decode = spans.child(span, "sluice.decode");
      try {
        decoded = decoder.decodeWithRanges(batch);
        decode.end();
      } catch (BatchRejectedException e) {
        IngestSpans.end(decode, e);
        IngestSpans.nacked(span, e.reason().name(), e.getMessage());
        metrics.batchNacked(e.reason());
        log.debug("nack {} seq {} from {}: {}", e.reason(), seq, h.getClientId(), e.getMessage());
        send(nack(seq, e.reason(), e.getMessage()));
        pump();
        return;
      }
      long bytes = Math.max(1, decoded.bytes().length);
      metrics.batchDecoded(bytes);
      Map<String, AnyValue> resource = RecordEnricher.mergeResource(h.getResourceList(), decoded.resource());
      // the published values are the records' own bytes plus the resource attributes (no parsing, no re-encoding)
      byte[][] values = RecordEnricher.spliceValues(decoded, resource);
      int n = decoded.size();
      Router router = policy.get().router();
      String service = resource.containsKey("service.name") && resource.get("service.name").hasStringValue()
          ? resource.get("service.name").getStringValue() : "";
      String[] topics = new String[n];
      String[] reasons = null;
      String allowedTopic = null; // the last topic found allowed: a batch mostly goes to one topic
      for (int i = 0; i < n; i++) {
        // enrichment only adds resource.* attributes: routing and validity read nothing else of it, but the size
        String invalid = router.invalidReason(decoded.traceIdSize(i), decoded.spanIdSize(i),
            decoded.severityNumber(i), values[i].length);
        if (invalid != null) {
          if (reasons == null) {
            reasons = new String[n];
            Arrays.fill(reasons, "");
          }
          topics[i] = router.deadLetterTopic();
          reasons[i] = invalid;
          values[i] = router.deadLetterValue(RecordEnricher.enrich(decoded.record(i), resource)).toByteArray();
          continue;
        }
        String svc = service.isEmpty() && router.readsService() ? decoded.stringAttribute(i, "service.name") : service;
        String topic = router.route(tenant, svc, decoded.severityNumber(i));
        if (!topic.equals(allowedTopic)) {
          if (!router.allowed(tenant, topic)) {
            IngestSpans.nacked(span, NackReason.FORBIDDEN_TOPIC.name(), "forbidden topic " + topic);
            reject(h, seq, NackReason.FORBIDDEN_TOPIC, "tenant \"" + tenant + "\" may not write to topic " + topic
                + " (tenants." + tenant + ".topics)", 0);
            return;
          }
          allowedTopic = topic;
        }
        topics[i] = topic;
      }
      int deadLettered = 0;
      if (reasons != null) {
        for (String r : reasons) {
          deadLettered += r.isEmpty() ? 0 : 1;
        }
      }
      PublishBatch publish = PublishBatch.ofArrays(h.getClientId(), h.getEpoch(), tenant, seq,
          RecordEnricher.partitionKey(resource, h.getClientId()), values, bytes, topics, reasons);
      metrics.tenantUsage(tenant, n, bytes);
      if (deadLettered > 0) {
        metrics.recordsDeadLettered(deadLettered);
      }
      synchronized (this) {
        streamBytes += bytes;
        unsettled.add(seq);
      }
      budget.acquire(bytes);
      metrics.inFlightChanged(bytes);
      batchStarted();
      long started = System.nanoTime();
      io.opentelemetry.api.trace.Span publishing = spans.child(span, "sluice.publish");
      try {
        publisher.publish(publish).whenComplete((ok, error) -> {
          if (error == null) {
            metrics.kafkaLatency(System.nanoTime() - started);
          }
          IngestSpans.end(publishing, error);
          IngestSpans.end(span, error);
          settled(publish, error);
        });
      } catch (RuntimeException e) {
        IngestSpans.end(publishing, e);
        IngestSpans.end(span, e);
        settled(publish, e);
      }
      pump();
    }

    private void settled(PublishBatch batch, Throwable error) {
      boolean mine;
      synchronized (this) {
        streamBytes -= batch.decodedBytes();
        mine = unsettled.remove(batch.sequence());
      }
      if (mine) { // else goAway() already nacked it
        if (error == null) {
          metrics.batchAcked(batch.size());
          send(ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(batch.sequence())).build());
        } else {
          // permanent refusals (nothing dead-lettered them) must not be resent forever: see PublishException
          NackReason reason = io.sluice.collector.publish.PublishException.retryable(error)
              ? NackReason.KAFKA_FAILED : NackReason.KAFKA_REJECTED;
          metrics.batchNacked(reason);
          log.warn("Kafka did not acknowledge batch {} of {}: {}", batch.sequence(), batch.source(), error.toString());
          send(nack(batch.sequence(), reason, "Kafka did not acknowledge: " + error));
        }
      }
      List<ServerFrame> release = List.of();
      synchronized (this) {
        if (unsettled.isEmpty() && !heldNacks.isEmpty()) {
          release = new ArrayList<>(heldNacks);
          heldNacks.clear();
        }
      }
      release.forEach(this::send);
      metrics.inFlightChanged(-batch.decodedBytes());
      batchFinished();
      budget.release(batch.decodedBytes());
      completeIfDone();
      pump();
    }

    private void reject(Hello h, long seq, NackReason reason, String text, long retryAfter) {
      metrics.batchNacked(reason);
      log.debug("nack {} seq {} from {}: {}", reason, seq, h.getClientId(), text);
      send(nack(seq, reason, text, retryAfter));
      pump();
    }

    private ServerFrame nack(long seq, NackReason reason, String text) {
      return nack(seq, reason, text, retryAfterMs);
    }

    private ServerFrame nack(long seq, NackReason reason, String text, long retryAfter) {
      Nack.Builder n = Nack.newBuilder().setSequence(seq).setRetryable(reason.retryable())
          .setReason(reason.name() + ": " + text);
      if (reason.retryable()) {
        n.setRetryAfterMs((int) Math.min(Integer.MAX_VALUE, retryAfter));
      }
      return ServerFrame.newBuilder().setNack(n).build();
    }

    private void send(ServerFrame frame) {
      synchronized (out) {
        synchronized (this) {
          if (closed) {
            return;
          }
        }
        try {
          call.onNext(frame);
        } catch (RuntimeException e) {
          log.debug("could not send to a closing stream: {}", e.toString());
        }
      }
    }

    /** Ends the stream for a protocol error; batches in flight still release their bytes when they settle. */
    private void fail(String description) {
      fail(Status.INVALID_ARGUMENT.withDescription(description));
    }

    private void fail(Status status) {
      metrics.streamRejected();
      log.info("closing a stream: {} {}", status.getCode(), status.getDescription());
      synchronized (out) {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
        }
        try {
          call.onError(status.asRuntimeException());
        } catch (RuntimeException ignored) {
          // the call is already gone
        }
      }
      streams.remove(this);
    }

    @Override
    public void onError(Throwable t) {
      cancelled();
    }

    void cancelled() {
      synchronized (this) {
        closed = true;
      }
      streams.remove(this);
    }

    @Override
    public void onCompleted() {
      synchronized (this) {
        clientHalfClosed = true;
      }
      completeIfDone();
    }

    /** After the client half-closed, completes our side once every batch it sent is settled. */
    private void completeIfDone() {
      synchronized (out) {
        synchronized (this) {
          if (closed || !clientHalfClosed || !unsettled.isEmpty()) {
            return;
          }
          closed = true;
        }
        try {
          call.onCompleted();
        } catch (RuntimeException ignored) {
          // the call is already gone
        }
      }
      streams.remove(this);
    }

    void goAway(String reason) {
      Long[] left;
      synchronized (this) {
        left = unsettled.toArray(new Long[0]);
        unsettled.clear();
      }
      for (long seq : left) {
        metrics.batchNacked(NackReason.SHUTTING_DOWN);
        send(nack(seq, NackReason.SHUTTING_DOWN, "the collector is shutting down before Kafka acknowledged"));
      }
      send(ServerFrame.newBuilder().setGoAway(GoAway.newBuilder().setReason(reason)).build());
      synchronized (out) {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
        }
        try {
          call.onCompleted();
        } catch (RuntimeException ignored) {
          // the call is already gone
        }
      }
      streams.remove(this);
    }
  }

}
