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
import io.sluice.wire.DecodedBatch;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code IngestService.Stream} endpoint: Hello, then batches; each batch is decoded with hard bounds, passed
 * through {@link Admission} (the same checks, limits, routing and publishing as every other ingest path), and
 * acknowledged only after the {@link Publisher} reports that Kafka acknowledged every record of it.
 *
 * <p>Flow control is manual: a stream asks gRPC for one frame at a time, and asks for the next only while its own
 * bytes in flight (each batch at its admission cost) are below {@code maxInFlightBytesPerStream}, the collector's
 * are below the shared {@link InFlightBudget}, and its transport is ready ({@code isReady()}: the client reads the
 * acks already sent); otherwise it waits for a publish to complete or for gRPC's onReady. A slow Kafka, or a client
 * that does not read its acks, therefore stops reads, HTTP/2 windows fill, and the client's {@code isReady()} turns
 * false. Memory per stream: at most the per-stream bound plus one frame, plus the acks queued before the transport
 * stopped being ready.
 *
 * <p>Hello is authenticated ({@link io.sluice.collector.auth.Authenticator}); failures end the stream with
 * UNAUTHENTICATED or PERMISSION_DENIED, and a Hello resource over {@code limits.maxResourceBytes} with
 * INVALID_ARGUMENT. A throttled tenant's batch is refused before it is decoded (a retryable RATE_LIMITED Nack with the
 * wait as retry_after_ms, from a peek that takes nothing); a resend of a batch this collector already published is
 * acknowledged without publishing ({@link ResendWindow}); declared counts and sizes may refuse a batch but are never
 * charged.
 *
 * <p>Errors: a permanently bad batch gets a non-retryable Nack and the stream goes on; a broken protocol (no Hello
 * first, a second Hello, an empty frame, a frame that is not protobuf) ends the stream with INVALID_ARGUMENT. Never
 * throws into gRPC, never blocks a gRPC thread. Thread-safe.
 */
public final class IngestServiceImpl extends IngestServiceGrpc.IngestServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(IngestServiceImpl.class);

  private final Admission admission;
  private final BatchDecoder decoder;
  private final InFlightBudget budget;
  private final long maxInFlightBytesPerStream;
  private final int retryAfterMs;
  private final CollectorMetrics metrics;
  private final Supplier<Policy> policy;
  private final IngestSpans spans;
  private final RateLimitedLog undecodableLog = new RateLimitedLog(log, 10_000_000_000L, System::nanoTime);
  private final Set<StreamHandler> streams = ConcurrentHashMap.newKeySet();
  private final ReentrantLock idleLock = new ReentrantLock();
  private final Condition idle = idleLock.newCondition();
  private int inFlightBatches; // guarded by idleLock
  private volatile boolean draining;

  /**
   * @param admission the checks, limits, routing and publishing every accepted batch passes
   * @param decoder bounds on frame and decoded sizes
   * @param budget collector-wide bound on bytes awaiting Kafka (the streams park on it)
   * @param maxInFlightBytesPerStream bytes awaiting Kafka above which one stream stops reading
   * @param retryAfterMs hint in retryable Nacks
   * @param metrics counters to update
   * @param policy the current authentication and routing (read per Hello and per batch; reloads swap it)
   * @param spans where the span of each batch goes
   */
  public IngestServiceImpl(Admission admission, BatchDecoder decoder, InFlightBudget budget,
      long maxInFlightBytesPerStream, int retryAfterMs, CollectorMetrics metrics, Supplier<Policy> policy,
      IngestSpans spans) {
    this.admission = admission;
    this.spans = spans;
    this.policy = policy;
    this.decoder = decoder;
    this.budget = budget;
    this.maxInFlightBytesPerStream = maxInFlightBytesPerStream;
    this.retryAfterMs = retryAfterMs;
    this.metrics = metrics;
  }

  /**
   * The service with a request marshaller that never throws: a frame that is not a ClientFrame (garbage, nesting
   * past protobuf's recursion limit) reaches the stream as a marked frame and ends it with INVALID_ARGUMENT and one
   * rate-limited log line, instead of gRPC's UNKNOWN and a SEVERE stack trace per frame.
   */
  public io.grpc.ServerServiceDefinition safeDefinition() {
    return SafeMarshaller.rebind(bindService(), ClientFrame.getDefaultInstance());
  }

  @Override
  public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> responseObserver) {
    ServerCallStreamObserver<ServerFrame> call = (ServerCallStreamObserver<ServerFrame>) responseObserver;
    call.disableAutoRequest();
    StreamHandler handler = new StreamHandler(call, TlsSessions.current());
    call.setOnCancelHandler(handler::cancelled);
    call.setOnReadyHandler(handler::onReady);
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
    // the client does not read what we send: no more frames are read until it does (gRPC's onReady)
    private boolean notReadingAcks;
    private long unreadFrames;
    private boolean sentAny; // before the first frame we send, not being ready is the transport starting up
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
        if (!call.isReady()) {
          // acks and nacks are queued beyond the transport's window: the client does not read them. Taking more
          // frames would only queue more; woken by onReady once it reads.
          if (!notReadingAcks && sentAny) {
            notReadingAcks = true;
            metrics.notReadingAcks(1);
          }
          return;
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

    /** The client read enough of what we sent: resume reading frames. */
    void onReady() {
      long unread;
      synchronized (this) {
        if (notReadingAcks) {
          notReadingAcks = false;
          metrics.notReadingAcks(-1);
        }
        unread = unreadFrames;
        unreadFrames = 0;
      }
      metrics.unreadFramesChanged(-unread);
      pump();
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
      String undecodable = SafeMarshaller.undecodable(frame);
      if (undecodable != null) {
        metrics.undecodableFrame();
        undecodableLog.warn("closing a stream that sent a frame that is not a sluice.v1.ClientFrame: " + undecodable);
        fail(Status.INVALID_ARGUMENT.withDescription("the frame is not a sluice.v1.ClientFrame: " + undecodable),
            false);
        return;
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
      try {
        admission.checkResource(RecordEnricher.mergeResource(h.getResourceList(), List.of()));
      } catch (Rejected e) {
        fail("Hello.resource: " + e.detail());
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
      long declaredRecords = Integer.toUnsignedLong(batch.getRecordCount()); // uint32 on the wire
      io.opentelemetry.api.trace.Span span = spans.batch("sluice", tenant, h.getClientId(), seq, declaredRecords);
      try {
        // a declared number may refuse a batch (it is the client's own claim), never charge one
        admission.checkRecordCount(declaredRecords, "batches");
      } catch (Rejected e) {
        IngestSpans.nacked(span, e.reason().name(), e.detail());
        reject(h, seq, e);
        return;
      }
      if (admission.alreadyPublished(tenant, h.getClientId(), h.getEpoch(), seq)) {
        // a resend of a batch this collector published: acknowledge it, publish nothing
        metrics.resendSuppressed();
        span.setAttribute("sluice.resend_suppressed", true);
        span.end();
        send(ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(seq)).build());
        pump();
        return;
      }
      long waitMs;
      synchronized (this) {
        waitMs = throttledRetryAfterMs;
      }
      if (waitMs == 0) {
        // before decoding: a throttled flood costs no decompression; nothing is taken, nothing declared is read
        waitMs = admission.throttledFor(tenant);
        if (waitMs > 0) {
          metrics.tenantThrottled(tenant);
        }
      }
      if (waitMs > 0) {
        throttled(span, tenant, seq, waitMs);
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
        reject(h, seq, new Rejected(e.reason(), e.getMessage(), retryAfterMs));
        return;
      }
      Map<String, AnyValue> resource = RecordEnricher.mergeResource(h.getResourceList(), decoded.resource());
      Admission.Admitted admitted;
      try {
        admitted = admission.admit(tenant,
            List.of(new Admission.Candidate(h.getClientId(), h.getEpoch(), seq, resource, decoded)), true);
      } catch (Rejected e) {
        IngestSpans.nacked(span, e.reason().name(), e.detail());
        if (e.reason() == NackReason.RATE_LIMITED) {
          throttled(span, tenant, seq, e.retryAfterMs());
        } else {
          reject(h, seq, e);
        }
        return;
      }
      long cost = admitted.cost();
      int records = admitted.records();
      synchronized (this) {
        streamBytes += cost;
        unsettled.add(seq);
      }
      batchStarted();
      admission.publish(admitted, span, spans).whenComplete((ok, error) -> {
        IngestSpans.end(span, error);
        settled(seq, h.getClientId(), cost, records, error);
      });
      pump();
    }

    /** Nacks RATE_LIMITED; once throttled, the Nack waits until every earlier batch of the stream is settled. */
    private void throttled(io.opentelemetry.api.trace.Span span, String tenant, long seq, long waitMs) {
      IngestSpans.nacked(span, NackReason.RATE_LIMITED.name(), "tenant over its rate limit");
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
    }

    private void settled(long seq, String source, long cost, int records, Throwable error) {
      boolean mine;
      synchronized (this) {
        streamBytes -= cost;
        mine = unsettled.remove(seq);
      }
      if (mine) { // else goAway() already nacked it
        if (error == null) {
          metrics.batchAcked(records);
          send(ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(seq)).build());
        } else {
          // permanent refusals (nothing dead-lettered them) must not be resent forever: see PublishException
          NackReason reason = io.sluice.collector.publish.PublishException.retryable(error)
              ? NackReason.KAFKA_FAILED : NackReason.KAFKA_REJECTED;
          metrics.batchNacked(reason);
          log.warn("Kafka did not acknowledge batch {} of {}: {}", seq, source, error.toString());
          send(nack(seq, reason, "Kafka did not acknowledge: " + error));
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
      batchFinished();
      completeIfDone();
      pump();
    }

    private void reject(Hello h, long seq, Rejected e) {
      metrics.batchNacked(e.reason());
      log.debug("nack {} seq {} from {}: {}", e.reason(), seq, h.getClientId(), e.detail());
      send(nack(seq, e.reason(), e.detail(), e.retryAfterMs()));
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
          synchronized (this) {
            sentAny = true;
          }
          if (!call.isReady()) {
            synchronized (this) {
              unreadFrames++;
            }
            metrics.unreadFramesChanged(1);
          }
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
      fail(status, true);
    }

    private void fail(Status status, boolean logIt) {
      metrics.streamRejected();
      if (logIt) {
        log.info("closing a stream: {} {}", status.getCode(), status.getDescription());
      }
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
      forgetUnread();
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
      forgetUnread();
    }

    /** A closed stream's queued frames are gone with it: take them out of the gauges. */
    private void forgetUnread() {
      long unread;
      boolean paused;
      synchronized (this) {
        unread = unreadFrames;
        unreadFrames = 0;
        paused = notReadingAcks;
        notReadingAcks = false;
      }
      metrics.unreadFramesChanged(-unread);
      if (paused) {
        metrics.notReadingAcks(-1);
      }
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
      forgetUnread();
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
      forgetUnread();
    }
  }

}
