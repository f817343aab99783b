package io.sluice.sdk.pipeline;

import io.sluice.proto.v1.Hello;
import io.sluice.sdk.ship.Backoff;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.spool.SpoolEntry;
import io.sluice.sdk.thread.SluiceThreads;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The shipping side of a spool, on one thread ({@code sluice-shipper}): sends spooled batches in sequence order
 * while the stream is ready and fewer than {@code maxInFlightBatches} are unacknowledged; deletes a batch from the
 * spool only when the collector acknowledges it; on any stream failure reconnects with exponential backoff and jitter
 * and resends every unacknowledged batch from the oldest. Transport callbacks only enqueue events (bounded by the
 * window), so nothing here runs on gRPC's threads. Used by {@link Pipeline} and by the agent, which fills the spool
 * itself.
 */
public final class ShipWorker {
  private static final long SHIP_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final long ACK_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
  private static final long GO_AWAY_DRAIN_NANOS = TimeUnit.SECONDS.toNanos(5);

  /** What the worker counts; read by whoever reports stats. */
  public static final class Counters {
    public final LongAdder acknowledged = new LongAdder();
    public final LongAdder rejected = new LongAdder();
    public final LongAdder batchesSent = new LongAdder();
    public final LongAdder batchesAcknowledged = new LongAdder();
    public final LongAdder reconnects = new LongAdder();
    /** Streams the collector refused before acknowledging anything on them (invalid hello, credentials). */
    public final LongAdder refused = new LongAdder();
    /**
     * Streams not opened because the credentials were unavailable (a missing or unreadable credentials file, no
     * OAuth2 token); the shipper retries with its usual backoff.
     */
    public final LongAdder credentialErrors = new LongAdder();
    /** Streams ended on purpose because the credentials changed (file rotated, token refreshed). */
    public final LongAdder credentialRotations = new LongAdder();
    /** Why the credentials are unavailable now, or null when the last stream could use them. */
    public volatile String credentialsProblem;
    public volatile boolean connected;
  }

  private enum Kind { READY, ACK, NACK, GO_AWAY, CLOSED }

  private record Event(long streamId, Kind kind, long sequence, boolean retryable, String reason, long retryAfterMs,
      Throwable error) {}

  private final PipelineConfig config;
  private final Spool spool;
  private final Function<Hello, Shipper> shipperFactory;
  private final Hello hello;
  private final Counters counters;
  private final Diagnostics diagnostics;
  private final Thread thread;
  private final ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
  private final TreeMap<Long, Long> inFlight = new TreeMap<>(); // sequence → sent at (nanos)
  private final Backoff backoff;
  /**
   * After a refusal: from {@link #REFUSED_BACKOFF_MIN} doubling to {@link #REFUSED_BACKOFF_MAX}, so a collector that
   * refuses this client is not asked again every few hundred milliseconds for the life of the process.
   */
  private final Backoff refusedBackoff;
  static final java.time.Duration REFUSED_BACKOFF_MIN = java.time.Duration.ofSeconds(30);
  static final java.time.Duration REFUSED_BACKOFF_MAX = java.time.Duration.ofMinutes(30);
  private boolean ackedOnStream;
  private boolean refusedReported;
  private volatile boolean stop;
  private Shipper shipper;
  private Shipper.Stream stream;
  private long streamId;
  private long lastSent = -1;
  private long nextAttemptAt = System.nanoTime();
  private int endpointIndex;
  private boolean opened;
  private boolean draining;
  private long drainingSince;
  private boolean failingReported;
  private boolean corruptReported;
  private boolean credentialsReported;
  /** {@link Shipper#credentialsVersion()} when the current stream was opened. */
  private long streamCredentials;
  /** After a refusal: the credentials version it happened with; a new version retries at once. -1 = none. */
  private long refusedCredentials = -1;

  public ShipWorker(PipelineConfig config, Spool spool, Function<Hello, Shipper> shipperFactory, Hello hello,
      Counters counters) {
    this.config = config;
    this.spool = spool;
    this.shipperFactory = shipperFactory;
    this.hello = hello;
    this.counters = counters;
    this.diagnostics = config.diagnostics();
    this.backoff = new Backoff(config.reconnectMin(), config.reconnectMax());
    this.refusedBackoff = new Backoff(REFUSED_BACKOFF_MIN, REFUSED_BACKOFF_MAX);
    this.thread = SluiceThreads.newThread(this::run, "sluice-shipper");
  }

  public void start() {
    thread.start();
  }

  /** Tells the worker that the spool has something new. Cheap; callable from any thread. */
  public void wake() {
    LockSupport.unpark(thread);
  }

  /** Waits until the spool is empty, the worker died, or the deadline ({@link System#nanoTime()}) passed. */
  public void awaitEmptySpool(long deadlineNanos) {
    while (spool.batches() > 0 && System.nanoTime() - deadlineNanos < 0 && thread.isAlive()) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** Ends the stream and the thread, waiting at most {@code waitNanos}. Unacknowledged batches stay spooled. */
  public void stop(long waitNanos) {
    stop = true;
    LockSupport.unpark(thread);
    try {
      thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      shipper = shipperFactory.apply(hello);
      while (!stop) {
        processEvents();
        long now = System.nanoTime();
        if (stream == null && refusedCredentials >= 0 && shipper.credentialsVersion() != refusedCredentials) {
          refusedCredentials = -1; // a new key or token: worth asking again now rather than after the backoff
          nextAttemptAt = now;
        }
        if (stream == null && spool.batches() > 0 && now - nextAttemptAt >= 0) connect();
        if (stream != null && !draining && shipper.credentialsVersion() != streamCredentials) {
          // rotated: finish what is in flight on this stream (as after a go-away), then open one with the new value
          counters.credentialRotations.increment();
          draining = true;
          drainingSince = now;
        }
        if (stream != null) {
          Map.Entry<Long, Long> oldest = inFlight.firstEntry();
          if (oldest != null && now - oldest.getValue() > ACK_TIMEOUT_NANOS) {
            fail("no acknowledgement for batch " + oldest.getKey() + " in "
                + TimeUnit.NANOSECONDS.toSeconds(ACK_TIMEOUT_NANOS) + " s", null, 0);
          } else if (draining && (inFlight.isEmpty() || now - drainingSince > GO_AWAY_DRAIN_NANOS)) {
            teardown("go-away drained");
            endpointIndex++;
            nextAttemptAt = now;
          } else {
            pump(now);
          }
        }
        // Without a stream, wake for the next connection attempt if it is sooner; once it is due (and nothing was
        // spooled, so none was made) the usual interval: a new batch wakes this thread anyway.
        long untilAttempt = nextAttemptAt - System.nanoTime();
        long park = stream == null && untilAttempt > 0 ? Math.min(SHIP_PARK_NANOS, untilAttempt) : SHIP_PARK_NANOS;
        if (events.isEmpty()) LockSupport.parkNanos(park);
      }
    } catch (RuntimeException e) {
      diagnostics.warn("shipping stopped by an unexpected error; spooled batches stay for the next start", e);
    } finally {
      teardown("pipeline closed");
      if (shipper != null) shipper.close();
    }
  }

  private void connect() {
    long id = ++streamId;
    if (opened) counters.reconnects.increment();
    opened = true;
    lastSent = -1;
    inFlight.clear();
    draining = false;
    ackedOnStream = false;
    refusedCredentials = -1;
    streamCredentials = shipper.credentialsVersion();
    stream = shipper.open(endpointIndex, new Shipper.Listener() {
      @Override
      public void onReady() { post(new Event(id, Kind.READY, 0, false, null, 0, null)); }
      @Override
      public void onAck(long sequence) { post(new Event(id, Kind.ACK, sequence, false, null, 0, null)); }
      @Override
      public void onNack(long sequence, boolean retryable, String reason, long retryAfterMs) {
        post(new Event(id, Kind.NACK, sequence, retryable, reason, retryAfterMs, null));
      }
      @Override
      public void onGoAway(String reason) { post(new Event(id, Kind.GO_AWAY, 0, false, reason, 0, null)); }
      @Override
      public void onClosed(Throwable error) { post(new Event(id, Kind.CLOSED, 0, false, null, 0, error)); }
    });
    counters.connected = true;
  }

  private void post(Event e) {
    events.add(e);
    LockSupport.unpark(thread);
  }

  private void pump(long now) {
    while (!draining && inFlight.size() < config.maxInFlightBatches() && stream.isReady()) {
      long next = spool.nextAfter(lastSent);
      if (next < 0) return;
      lastSent = next;
      SpoolEntry entry = spool.read(next);
      if (entry == null) { // evicted or acknowledged meanwhile, or unreadable (dropped, counted by the spool)
        if (!corruptReported && spool.corruptRecords() > 0) {
          corruptReported = true;
          diagnostics.warn("a spooled batch could not be read back (corrupt on disk) and was dropped, counted as"
              + " SPOOL_CORRUPT; the batches after it keep shipping (reported once)", null);
        }
        continue;
      }
      stream.send(entry);
      inFlight.put(next, now);
      counters.batchesSent.increment();
    }
  }

  private void processEvents() {
    Event e;
    while ((e = events.poll()) != null) {
      boolean current = e.streamId() == streamId && stream != null;
      switch (e.kind()) {
        case READY -> {
        }
        case ACK -> {
          // An ack from an older stream still means Kafka has the batch.
          SpoolEntry gone = spool.remove(e.sequence());
          if (gone != null) {
            counters.acknowledged.add(gone.recordCount());
            counters.batchesAcknowledged.increment();
          }
          if (current) {
            inFlight.remove(e.sequence());
            ackedOnStream = true;
          }
          backoff.reset();
          refusedBackoff.reset();
          failingReported = false;
          refusedReported = false;
          if (credentialsReported) {
            credentialsReported = false;
            diagnostics.warn("credentials usable again; shipping resumed", null);
          }
          counters.credentialsProblem = null;
        }
        case NACK -> {
          if (!e.retryable()) {
            SpoolEntry gone = spool.remove(e.sequence());
            if (gone != null) {
              counters.rejected.add(gone.recordCount());
              diagnostics.warn("collector rejected batch " + e.sequence() + " of " + gone.recordCount()
                  + " records for good: " + e.reason(), null);
            }
            if (current) inFlight.remove(e.sequence());
          } else if (current) {
            fail("collector asked to retry batch " + e.sequence() + ": " + e.reason(), null, e.retryAfterMs());
          }
        }
        case GO_AWAY -> {
          if (current && !draining) {
            draining = true;
            drainingSince = System.nanoTime();
          }
        }
        case CLOSED -> {
          if (current && e.error() instanceof io.sluice.sdk.ship.Credentials.Unavailable unavailable) {
            counters.credentialErrors.increment();
            counters.credentialsProblem = unavailable.getMessage();
            if (!credentialsReported) {
              credentialsReported = true;
              diagnostics.error("cannot open a stream to the collector: " + unavailable.getMessage() + " (counted as"
                  + " credentialErrors; batches stay spooled; reported once until shipping resumes)", null);
            }
            failingReported = true; // said above; the retries are the usual ones
            fail("credentials unavailable", null, 0);
          } else if (current && e.error() instanceof Shipper.Refused refused && !ackedOnStream) {
            refused(refused);
          } else if (current) {
            fail("stream to collector closed", e.error(), 0);
          }
        }
      }
    }
  }

  private void fail(String why, Throwable error, long retryAfterMs) {
    teardown(why);
    long delay = Math.max(retryAfterMs, backoff.nextDelayMs());
    nextAttemptAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
    if (shipper != null && shipper.endpoints() > 1) endpointIndex++;
    if (!failingReported) {
      failingReported = true;
      diagnostics.warn(why + "; spooling and retrying in " + delay + " ms", error);
    }
  }

  /** The collector refused this client: back off hard, count it, say so as an ERROR once (until an ack). */
  private void refused(Shipper.Refused refused) {
    counters.refused.increment();
    teardown("refused");
    refusedCredentials = shipper == null ? -1 : shipper.credentialsVersion();
    long delay = refusedBackoff.nextDelayMs();
    nextAttemptAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
    if (shipper != null && shipper.endpoints() > 1) endpointIndex++;
    if (!refusedReported) {
      refusedReported = true;
      diagnostics.error("the collector refused this client (" + refused.getMessage() + "): nothing ships until the"
          + " configuration is fixed (an oversized resource or attribute, the credentials, the tenant). Spooled"
          + " batches are kept; retrying in " + delay + " ms, then at most every "
          + REFUSED_BACKOFF_MAX.toMinutes() + " minutes (counted as refusedStreams; reported once)", null);
    }
  }

  private void teardown(String why) {
    if (stream != null) {
      try {
        stream.cancel(why);
      } catch (RuntimeException ignored) {
        // the stream is going away either way
      }
    }
    stream = null;
    counters.connected = false;
    streamId++;
    inFlight.clear();
    lastSent = -1;
    draining = false;
  }
}
