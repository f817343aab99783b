package io.sluice.sdk.pipeline;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.batch.Batcher;
import io.sluice.sdk.ship.GrpcShipper;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.spool.SpoolEntry;
import io.sluice.sdk.spool.SpoolException;
import io.sluice.sdk.spool.WhenFull;
import io.sluice.sdk.thread.SluiceThreads;
import io.sluice.wire.BatchWriter;
import io.sluice.wire.RecordWriter;
import io.sluice.wire.ZstdCodec;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.jctools.queues.MpscArrayQueue;

/**
 * The client pipeline: capture → bounded lock-free hand-off → one batching thread (batch, zstd, spool) → one
 * shipping thread (window of unacknowledged batches over a gRPC stream). It owns two daemon threads,
 * {@code sluice-batcher} and {@code sluice-shipper}, started by {@link #start} and stopped by {@link #close}.
 *
 * <p>Bounded: the hand-off queue by {@code queueMaxRecords} and {@code queueMaxBytes}, the open batch by
 * {@code batchMaxBytes}, the spool by {@code spoolMaxBytes}, the window by {@code maxInFlightBatches}.
 *
 * <p>{@link #offer} is thread-safe and never throws; while the queue has room it is lock-free and does no I/O. When
 * the queue is full the caller encodes its record and appends it to the queue's overflow on disk
 * ({@code <spoolDir>/overflow}, bounded by {@code overflowMaxBytes}, see {@link Overflow}), which the batcher reads
 * back in order once the logging threads pause; only when that is full too (or disabled) does it wait for room, at
 * most {@code queueWaitMs} (default 1 s; {@code 0}: never). Records below WARN leave the last eighth of the queue and
 * of the overflow to WARN and above. Under {@code drop-oldest} and
 * {@code drop-newest} the batcher never waits on the network, so neither does the caller; under
 * {@link WhenFull#BLOCK} the wait is the longer of {@code queueWaitMs} and {@code blockTimeoutMs}, and may include
 * waiting for spool room (acknowledgements). A batch leaves the spool only when the collector acknowledges it (or rejects it for good,
 * or {@link WhenFull#DROP_OLDEST} evicts it, both counted).
 */
public final class Pipeline implements AutoCloseable {
  private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
  private static final long BUSY_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(50);

  private final PipelineConfig config;
  private final Diagnostics diagnostics;
  private final Spool spool;
  // LogRecords, DeferredRecords and records their callers encoded (byte[]), in offer order.
  private final MpscArrayQueue<Object> queue;
  private final AtomicLong queuedBytes = new AtomicLong();
  private final Hello hello;
  private final boolean blocking;
  /** How long a record waits for room in a full queue (queueWaitMs, or blockTimeoutMs under BLOCK if longer). */
  private final long queueWaitNanos;
  /** Below WARN a record may fill the queue only to these bounds: the last eighth is kept for WARN and above. */
  private final int belowWarnMaxRecords;
  private final long belowWarnMaxBytes;
  /** From this queue depth on, a waiting-capable caller builds its deferred record itself (caller-assisted). */
  private final int assistAboveRecords;
  /** Callers waiting for room in the queue; the batcher wakes them whenever it frees some. */
  private final java.util.concurrent.ConcurrentLinkedQueue<Thread> waiters =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private static final int WARN = io.sluice.proto.v1.SeverityNumber.SEVERITY_NUMBER_WARN_VALUE;
  /** A waiting caller looks again at least this often, so a missed wake-up costs at most this much. */
  private static final long WAIT_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final LongAdder appended = new LongAdder();
  private final EnumMap<DropReason, LongAdder> dropped = new EnumMap<>(DropReason.class);
  private volatile long batching;
  private final java.util.concurrent.atomic.AtomicBoolean buildFailureReported =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.AtomicBoolean captureFailureReported =
      new java.util.concurrent.atomic.AtomicBoolean();
  /**
   * Batcher thread only: a failed spool write was reported and no recovery since; when it was (0: never); records
   * dropped for failed spool writes since the last recovery report.
   */
  private boolean spoolFailureReported;
  private long spoolFailureReportedAt;
  private long droppedWhileSpoolFailing;
  /**
   * At most one report of failed spool writes per minute: a disk that fills, frees a little and fills again would
   * otherwise flood the application's own log. The metrics ({@code sluice.sdk.spool.writable}, drops by reason) show
   * every change.
   */
  private static final long SPOOL_FAILURE_REPORT_INTERVAL_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final Thread batcherThread;
  private final ShipWorker shipping;
  private final ShipWorker.Counters delivery = new ShipWorker.Counters();
  private volatile boolean closing;
  private volatile boolean abandon;
  private volatile boolean closed;
  private final AutoCloseable metricsRegistration;
  /** Set once by {@link #start(PipelineConfig)} before the pipeline is handed out. */
  private volatile java.nio.file.Path spoolDir;
  private volatile int spoolsHeldByOthers;
  private volatile OrphanShipping orphans;
  /** The overflow's directory inside the spool directory. */
  static final String OVERFLOW_DIR = "overflow";
  /** The hand-off queue's extension on disk (null: none); see {@link Overflow}. */
  private final Overflow overflow;
  private final java.util.concurrent.atomic.AtomicBoolean overflowFailureReported =
      new java.util.concurrent.atomic.AtomicBoolean();

  private Pipeline(PipelineConfig config, Spool spool, Function<Hello, Shipper> shipperFactory,
      java.nio.file.Path overflowDir) {
    this.config = config;
    this.diagnostics = config.diagnostics();
    this.spool = spool;
    this.spoolDir = config.spoolDir();
    for (DropReason r : DropReason.values()) dropped.put(r, new LongAdder());
    this.queue = new MpscArrayQueue<>(config.queueMaxRecords());
    this.hello = config.hello(spool.clientId(), spool.epoch());
    this.blocking = config.whenFull() == WhenFull.BLOCK;
    long wait = config.queueWait().toNanos();
    this.queueWaitNanos = blocking ? Math.max(wait, config.blockTimeout().toNanos()) : wait;
    this.belowWarnMaxRecords = queue.capacity() - queue.capacity() / 8;
    this.belowWarnMaxBytes = Math.max(config.maxRecordBytes(), config.queueMaxBytes() - config.queueMaxBytes() / 8);
    this.assistAboveRecords = queue.capacity() / 2;
    this.overflow = openOverflow(config, spool, overflowDir);
    this.batcherThread = SluiceThreads.newThread(this::runBatcher, "sluice-batcher");
    this.shipping = new ShipWorker(config, spool, shipperFactory, hello, delivery);
    spool.quarantine().ifPresent(q -> diagnostics.warn("spool " + config.spoolDir() + " was corrupt (" + q.reason()
        + "); moved it aside to " + q.movedTo() + " (" + q.bytes() + " bytes, kept for inspection; delete it when"
        + " done) and started a fresh spool. The batches it held were not shipped.", null));
    SluiceJul.add(diagnostics);
    OpenTelemetry otel = config.openTelemetry() != null ? config.openTelemetry() : globalOrNoop();
    AutoCloseable stats = PipelineMetrics.register(otel, this::stats);
    AutoCloseable credentials = PipelineMetrics.registerCredentials(otel, delivery);
    this.metricsRegistration = () -> {
      stats.close();
      credentials.close();
    };
  }

  /**
   * The application's global OpenTelemetry, without installing a no-op one as {@code GlobalOpenTelemetry.get()}
   * would. {@code getOrNoop()} exists only in newer APIs; an application whose dependency management pins an older
   * opentelemetry-api (Spring Boot 3.5 manages 1.49) gets no Sluice meters instead of a failed start.
   */
  private static OpenTelemetry globalOrNoop() {
    try {
      return GlobalOpenTelemetry.getOrNoop();
    } catch (NoSuchMethodError e) {
      return OpenTelemetry.noop();
    }
  }

  /**
   * Opens the spool (shipping whatever a previous run left in it), starts the batcher and shipper threads. Never
   * waits on the network.
   *
   * @throws SpoolException when the spool directory cannot be opened
   */
  public static Pipeline start(PipelineConfig config) {
    SpoolSlots.Opened opened = SpoolSlots.open(config);
    Function<Hello, Shipper> shippers = hello -> new GrpcShipper(config.endpoints(), hello, config.tls(),
        config.keepAliveTime(), config.newCredentials());
    Pipeline p;
    try {
      p = start(config, opened.spool(), shippers, opened.dir().resolve(OVERFLOW_DIR));
    } catch (RuntimeException | Error e) {
      opened.spool().close();
      throw e;
    }
    p.spoolDir = opened.dir();
    p.spoolsHeldByOthers = opened.heldByOthers();
    if (opened.heldByOthers() > 0) {
      String message = "spool " + config.spoolDir() + (opened.heldByOthers() > 1 ? " and " + (opened.heldByOthers() - 1)
          + " numbered siblings are" : " is") + " held by another process (two instances on one host share a"
          + " spoolDir); this one spools in " + opened.dir() + " instead and ships from there (counted as"
          + " spoolsHeldByOthers). An instance that starts later takes the lowest free directory back, and a directory"
          + " left with batches by an instance that no longer runs is shipped by a running one. To keep one spool per"
          + " instance, give each its own spoolDir (e.g. with ${HOSTNAME} or the pod name in it)";
      p.diagnostics.error(message, null);
    }
    try {
      p.orphans = new OrphanShipping(config, SpoolSlots.orphans(config, opened.slot(), p.diagnostics), shippers);
    } catch (RuntimeException e) {
      p.diagnostics.warn("could not look for spools left by other instances", e);
    }
    return p;
  }

  /**
   * The spool directory in use: {@code spoolDir}, or a numbered sibling {@code <spoolDir>-instance-N} when another
   * process held it at start (see {@link PipelineStats#spoolsHeldByOthers()}).
   */
  public java.nio.file.Path spoolDir() {
    return spoolDir;
  }

  /**
   * Starts over a given spool and shipper (tests, the agent), without an overflow on disk. The pipeline closes both
   * on {@link #close}.
   */
  public static Pipeline start(PipelineConfig config, Spool spool, Function<Hello, Shipper> shipperFactory) {
    return start(config, spool, shipperFactory, null);
  }

  /**
   * Starts over a given spool and shipper, with the queue's overflow in {@code overflowDir} (null: none; also none
   * when {@code overflowMaxBytes} is 0). The pipeline closes both on {@link #close}.
   */
  public static Pipeline start(PipelineConfig config, Spool spool, Function<Hello, Shipper> shipperFactory,
      java.nio.file.Path overflowDir) {
    Pipeline p = new Pipeline(config, spool, shipperFactory, overflowDir);
    p.batcherThread.start();
    p.shipping.start();
    return p;
  }

  /** Whether the current thread is one of Sluice's own (batcher, shipper, gRPC, Netty): appenders ignore its events. */
  public static boolean isInternalThread() {
    return SluiceThreads.isInternal(Thread.currentThread());
  }

  /**
   * Loggers whose events an appender must ignore: Sluice's own packages and the libraries it ships with (gRPC,
   * Netty, RocksDB, zstd), so shipping a record can never log a record. An application's own {@code io.sluice.*}
   * packages outside these are shipped as usual.
   */
  public static final java.util.List<String> INTERNAL_LOGGER_PREFIXES = java.util.List.of(
      "io.sluice.sdk.", "io.sluice.logback.", "io.sluice.log4j2.", "io.sluice.shaded.", "io.grpc.", "io.netty.",
      "org.rocksdb.", "com.github.luben.");

  /** Whether events of this logger must be ignored by appenders ({@link #INTERNAL_LOGGER_PREFIXES}). */
  public static boolean isInternalLogger(String loggerName) {
    if (loggerName == null || loggerName.isEmpty()) return false;
    // Asked on every call: only the prefixes sharing the name's first character are compared.
    char first = loggerName.charAt(0);
    if (first >= INTERNAL_PREFIXES_BY_FIRST_CHAR.length) return false;
    String[] candidates = INTERNAL_PREFIXES_BY_FIRST_CHAR[first];
    if (candidates == null) return false;
    for (String prefix : candidates) {
      if (loggerName.startsWith(prefix)) return true;
    }
    return false;
  }

  /** {@link #INTERNAL_LOGGER_PREFIXES} indexed by their first (ASCII) character. */
  private static final String[][] INTERNAL_PREFIXES_BY_FIRST_CHAR = byFirstChar(INTERNAL_LOGGER_PREFIXES);

  private static String[][] byFirstChar(java.util.List<String> prefixes) {
    String[][] table = new String[128][];
    for (String prefix : prefixes) {
      char c = prefix.charAt(0);
      String[] old = table[c] == null ? new String[0] : table[c];
      String[] grown = java.util.Arrays.copyOf(old, old.length + 1);
      grown[old.length] = prefix;
      table[c] = grown;
    }
    return table;
  }

  public PipelineConfig config() {
    return config;
  }

  /**
   * Streams not opened because the credentials were unavailable ({@code credentialsFile} missing or unreadable,
   * no OAuth2 token); metric {@code sluice.sdk.credentials.errors}.
   */
  public long credentialErrors() {
    return delivery.credentialErrors.sum();
  }

  /** Streams replaced because the credentials changed (file rotated, token refreshed). */
  public long credentialRotations() {
    return delivery.credentialRotations.sum();
  }

  /** Why the credentials are unavailable now, or null when the last stream could use them (a health check). */
  public String credentialsProblem() {
    return delivery.credentialsProblem;
  }

  /** The id and epoch this pipeline's batches carry, as sent in the stream's hello. */
  public Hello hello() {
    return hello;
  }

  // ---------------------------------------------------------------------------------------------- capture (caller)

  /**
   * Hands a record over from the caller's thread. Lock-free, no I/O; when the queue is full waits for room at most
   * {@code queueWaitMs} (under {@link WhenFull#BLOCK}: the longer of that and {@code blockTimeoutMs}). Returns false when the record was refused; the refusal is counted with a reason.
   * Never throws.
   */
  public boolean offer(LogRecord record) {
    return offerItem(record, closing ? 0 : BatchWriter.sizeInBatch(record), record.getSeverityNumberValue());
  }

  /**
   * Hands over a record that the batcher thread builds ({@link DeferredRecord#build()}), so the caller pays only for
   * capturing its event. The queue's byte bound counts {@link DeferredRecord#estimatedBytes()}; the size limit is
   * checked against the estimate here and against the real size once built ({@link DropReason#TOO_LARGE} either
   * way). Same guarantees as {@link #offer(LogRecord)}: lock-free, no I/O, never throws, waits for room only
   * as long as {@code queueWaitMs} says; every refusal and every failed build is counted.
   */
  public boolean offer(DeferredRecord record) {
    return offerItem(record, closing ? 0 : record.estimatedBytes(), record.severityNumber());
  }

  /**
   * Refuses a record before it is captured when the hand-off queue is full and the policy would not wait for room:
   * an appender asks first, so that under a backlog a call that would be refused costs its caller no capture (Logback's
   * {@code AsyncAppender} likewise checks its discarding threshold before it prepares an event). A true answer counts
   * the record as appended and dropped ({@link DropReason#QUEUE_FULL}), as a refused {@link #offer} would; false means
   * "capture and offer" (that offer may still be refused). Lock-free, no I/O, never throws; always false under
   * {@link WhenFull#BLOCK} and while closing (the offer then waits, or counts the record as {@code SHUTDOWN}).
   */
  public boolean refuseWhenFull() {
    return refuseWhenFull(0);
  }

  /**
   * {@link #refuseWhenFull()} for a record of this severity ({@code SeverityNumber}; 0 when unknown): WARN and
   * above may use the queue's reserved last eighth. Always false while records wait for room ({@code queueWaitMs} >
   * 0, the default, or {@link WhenFull#BLOCK}): the caller then captures and waits in {@link #offer}.
   */
  public boolean refuseWhenFull(int severityNumber) {
    if (queueWaitNanos > 0 || closing) return false;
    boolean important = severityNumber >= WARN;
    if (overflow != null && overflow.hasRoom(0, important)) return false;
    long maxBytes = important ? config.queueMaxBytes() : belowWarnMaxBytes;
    int maxRecords = important ? queue.capacity() : belowWarnMaxRecords;
    if (queuedBytes.get() < maxBytes && queue.size() < maxRecords) return false;
    appended.increment();
    dropped.get(DropReason.QUEUE_FULL).increment();
    return true;
  }

  private boolean offerItem(Object record, int size, int severityNumber) {
    appended.increment();
    if (closing) {
      dropped.get(DropReason.SHUTDOWN).increment();
      return false;
    }
    if (size > config.maxRecordBytes()) {
      dropped.get(DropReason.TOO_LARGE).increment();
      return false;
    }
    boolean important = severityNumber >= WARN;
    Object item = record;
    int itemSize = size;
    if (queueWaitNanos > 0 && record instanceof DeferredRecord deferred && queue.size() >= assistAboveRecords) {
      // Caller-assisted encoding: with a backlog (queue over half full) the batcher is the bottleneck and the caller
      // would soon wait for room anyway, so it encodes its own record, here, into its thread's reused writer, and
      // hands over the bytes: the batcher only copies them into the batch, compresses and spools. Without a backlog
      // the caller only captures, as usual.
      byte[] encoded = encode(deferred);
      if (encoded == null) return false; // counted as BUILD_FAILED
      itemSize = BatchWriter.sizeInBatch(encoded.length);
      if (itemSize > config.maxRecordBytes()) {
        dropped.get(DropReason.TOO_LARGE).increment();
        return false;
      }
      item = encoded;
    }
    if (overflow == null) {
      if (tryEnqueue(item, itemSize, important)) return true;
    } else if (!overflow.active() && tryEnqueue(item, itemSize, important)) {
      return true;
    } else {
      return spill(item, important);
    }
    if (queueWaitNanos > 0 && awaitRoom(item, itemSize, important)) return true;
    dropped.get(DropReason.QUEUE_FULL).increment();
    return false;
  }

  /**
   * The queue is full, or records wait in the overflow (which later ones must follow): the record is encoded on the
   * caller's thread and appended to the overflow. False when refused (counted).
   */
  private boolean spill(Object item, boolean important) {
    if (item instanceof byte[] encoded) return spillEncoded(encoded, encoded.length, important);
    RecordWriter out = CALLER_SCRATCH.get();
    out.reset(SCRATCH_KEPT_BYTES, 1024);
    if (!encodeInto(item, out)) return false; // counted as BUILD_FAILED
    if (BatchWriter.sizeInBatch(out.size()) > config.maxRecordBytes()) {
      dropped.get(DropReason.TOO_LARGE).increment();
      return false;
    }
    return spillEncoded(out.array(), out.size(), important);
  }

  /**
   * Appends {@code bytes[0, len)} (an encoded record) to the overflow, waiting for room there as for room in the
   * queue; after a failed overflow write, the queue alone, as without an overflow. False when refused (counted).
   */
  private boolean spillEncoded(byte[] bytes, int len, boolean important) {
    if (overflow.append(bytes, 0, len, important)) return true;
    int size = BatchWriter.sizeInBatch(len);
    if (overflow.broken()) {
      reportOverflowFailure();
      byte[] record = bytes.length == len ? bytes : java.util.Arrays.copyOf(bytes, len);
      if (tryEnqueue(record, size, important)) return true;
      if (queueWaitNanos > 0 && awaitRoom(record, size, important)) return true;
      dropped.get(DropReason.QUEUE_FULL).increment();
      return false;
    }
    if (queueWaitNanos > 0) {
      Thread me = Thread.currentThread();
      long deadline = System.nanoTime() + queueWaitNanos;
      waiters.add(me);
      try {
        while (!closing && !overflow.broken()) {
          if (overflow.append(bytes, 0, len, important)) {
            LockSupport.unpark(batcherThread);
            return true;
          }
          long left = deadline - System.nanoTime();
          if (left <= 0) break;
          LockSupport.parkNanos(this, Math.min(left, WAIT_RECHECK_NANOS));
        }
      } finally {
        waiters.remove(me);
      }
    }
    dropped.get(DropReason.QUEUE_FULL).increment();
    return false;
  }

  /**
   * Whether a record offered now would be encoded on the caller's thread anyway (records wait in the overflow, or the
   * queue is over half full): an appender whose events are costly to copy then offers the live event through
   * {@link #offerNow} instead of a captured copy. A hint: lock-free, no I/O.
   */
  public boolean encodesOnCaller() {
    return (overflow != null && overflow.active()) || (queueWaitNanos > 0 && queue.size() >= assistAboveRecords);
  }

  /**
   * Offers a record that is valid only during this call (a view of an event its framework reuses): it is encoded
   * now, on the caller's thread, and the bytes go to the queue or the overflow. Same guarantees and counting as
   * {@link #offer(DeferredRecord)}; costs the caller the encoding, saves it a copy of the event.
   */
  public boolean offerNow(DeferredRecord record) {
    appended.increment();
    if (closing) {
      dropped.get(DropReason.SHUTDOWN).increment();
      return false;
    }
    boolean important = record.severityNumber() >= WARN;
    RecordWriter out = CALLER_SCRATCH.get();
    out.reset(SCRATCH_KEPT_BYTES, 1024);
    if (!encodeInto(record, out)) return false; // counted as BUILD_FAILED
    int size = BatchWriter.sizeInBatch(out.size());
    if (size > config.maxRecordBytes()) {
      dropped.get(DropReason.TOO_LARGE).increment();
      return false;
    }
    if (overflow != null && overflow.active()) return spillEncoded(out.array(), out.size(), important);
    byte[] encoded = out.toByteArray();
    if (tryEnqueue(encoded, size, important)) return true;
    if (overflow != null) return spillEncoded(encoded, encoded.length, important);
    if (queueWaitNanos > 0 && awaitRoom(encoded, size, important)) return true;
    dropped.get(DropReason.QUEUE_FULL).increment();
    return false;
  }

  /** The overflow, or null (tests). */
  Overflow overflowForTests() {
    return overflow;
  }

  private void reportOverflowFailure() {
    java.io.IOException e = overflow.failure();
    if (e == null) return;
    if (overflowFailureReported.get() || !overflowFailureReported.compareAndSet(false, true)) return;
    diagnostics.warn("could not write to the queue's overflow in " + overflowDirOf(spoolDir) + " (" + e
        + "); the records of the failed write are dropped and counted as DISK_FULL, and until what it holds is"
        + " read the queue works without it (full: callers wait up to queueWaitMs, then drop as QUEUE_FULL); this"
        + " is reported once", e);
  }

  private static java.nio.file.Path overflowDirOf(java.nio.file.Path spoolDir) {
    return spoolDir == null ? null : spoolDir.resolve(OVERFLOW_DIR);
  }

  /** The overflow in {@code dir}, reading on from the spool's checkpoint; null when disabled or not openable. */
  private Overflow openOverflow(PipelineConfig config, Spool spool, java.nio.file.Path dir) {
    if (dir == null || config.overflowMaxBytes() <= 0) return null;
    try {
      return Overflow.recover(dir, config.overflowMaxBytes(), spool.checkpoints().get(Overflow.CHECKPOINT),
          lost -> dropped.get(DropReason.DISK_FULL).add(lost));
    } catch (java.io.IOException | RuntimeException e) {
      diagnostics.warn("could not open the queue's overflow in " + dir + "; the queue works without it (full:"
          + " callers wait up to queueWaitMs, then drop as QUEUE_FULL)", e);
      return null;
    }
  }

  /**
   * The bounded wait of a full queue: parks until the batcher frees room (it wakes every waiter when it does) or
   * {@code queueWaitNanos} have passed. The batcher writes to the local spool only, so this never waits on the
   * network unless the user chose {@link WhenFull#BLOCK} (the batcher then waits for spool room, and so for acks).
   */
  private boolean awaitRoom(Object record, int size, boolean important) {
    Thread me = Thread.currentThread();
    long deadline = System.nanoTime() + queueWaitNanos;
    waiters.add(me); // before the next look: a wake-up in between leaves a permit, so none is lost
    try {
      while (!closing) {
        if (tryEnqueue(record, size, important)) {
          // The batcher may have emptied the queue and parked while this caller waited to be scheduled.
          LockSupport.unpark(batcherThread);
          return true;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) return false;
        LockSupport.parkNanos(this, Math.min(left, WAIT_RECHECK_NANOS));
      }
      return false;
    } finally {
      waiters.remove(me);
    }
  }

  private boolean tryEnqueue(Object record, int size, boolean important) {
    if (!important && queue.size() >= belowWarnMaxRecords) return false;
    long maxBytes = important ? config.queueMaxBytes() : belowWarnMaxBytes;
    if (queuedBytes.addAndGet(size) > maxBytes) {
      queuedBytes.addAndGet(-size);
      return false;
    }
    if (!queue.offer(record)) {
      queuedBytes.addAndGet(-size);
      return false;
    }
    return true;
  }

  /** Batcher: room was freed; every waiting caller looks again. */
  private void wakeWaiters() {
    if (waiters.isEmpty()) return;
    for (Thread t : waiters) LockSupport.unpark(t);
  }

  // ------------------------------------------------------------------------------------- batch (sluice-batcher)

  /**
   * The batcher thread's: records that write themselves ({@link DeferredRecord#writeTo}) are written here, checked
   * against {@code maxRecordBytes}, then copied into the batch. Kept at most {@link #SCRATCH_KEPT_BYTES} between records.
   */
  private final RecordWriter scratch = new RecordWriter(4096);
  private static final int SCRATCH_KEPT_BYTES = 64 * 1024;

  private void runBatcher() {
    Batcher batcher = new Batcher(new BatchPolicy(config.batchMaxRecords(), config.batchMaxBytes(),
        config.linger().toNanos()), config.resource());
    // The batcher thread's zstd contexts, kept across batches (a fresh context per batch allocates and clears ~1 MiB).
    try (ZstdCodec zstd = new ZstdCodec(config.zstdLevel())) {
      batch(batcher, zstd);
    }
  }

  private void batch(Batcher batcher, ZstdCodec zstd) {
    while (true) {
      long now = System.nanoTime();
      long taken = 0;
      Object item;
      while ((item = queue.relaxedPoll()) != null) {
        if (item instanceof byte[] encoded) { // a record its caller encoded (caller-assisted)
          int size = BatchWriter.sizeInBatch(encoded.length);
          taken += size;
          if (!batcher.fits(size)) flush(batcher, zstd);
          batcher.addEncoded(encoded, 0, encoded.length, now);
        } else if (item instanceof LogRecord record) {
          int size = BatchWriter.sizeInBatch(record);
          taken += size;
          if (!batcher.fits(size)) flush(batcher, zstd);
          batcher.add(record, now);
        } else {
          DeferredRecord deferred = (DeferredRecord) item;
          taken += deferred.estimatedBytes(); // what the caller counted
          if (!addDeferred(batcher, zstd, deferred, now)) continue;
        }
        if (batcher.ready(now)) {
          queuedBytes.addAndGet(-taken);
          taken = 0;
          wakeWaiters();
          flush(batcher, zstd);
          now = System.nanoTime();
        }
      }
      if (taken > 0) {
        queuedBytes.addAndGet(-taken);
        wakeWaiters();
      }
      boolean readOverflow = overflow != null && overflow.active() && overflowDue() && readOverflow(batcher, zstd);
      // Once per pass, not per record: the field shares a cache line with what every offer reads (closing, config).
      batching = batcher.recordCount();
      if (batcher.ready(now) || (closing && !batcher.isEmpty())) flush(batcher, zstd);
      if (closing && queue.isEmpty() && (overflow == null || !overflow.active()) && batcher.isEmpty()) return;
      if (abandon) {
        // close() ran out of time: what is still here is counted as lost to the shutdown.
        dropped.get(DropReason.SHUTDOWN).add(batcher.recordCount());
        batcher.clear();
        batching = 0;
        return;
      }
      if (readOverflow) continue; // more may be there: the queue first, then on
      if (drainingOverflow && !overflow.active()) drainingOverflow = false;
      // Callers waiting for room refill the queue as soon as they run again: look again soon rather than idle.
      long idle = !waiters.isEmpty() ? BUSY_PARK_NANOS
          : overflow != null && overflow.active() ? OVERFLOW_QUIET_NANOS : IDLE_PARK_NANOS;
      LockSupport.parkNanos(Math.min(idle, batcher.nanosUntilDue(now)));
    }
  }

  private final Overflow.Slice slice = new Overflow.Slice();
  /** Batcher: reading the overflow until it is empty, whatever the logging threads do (see {@link #overflowDue}). */
  private boolean drainingOverflow;
  /** Between two looks this far apart without an append, the logging threads have paused. */
  private static final long OVERFLOW_QUIET_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
  /** Appends to the overflow seen at the batcher's last look (no clock read per append on the logging threads). */
  private long overflowAppendsSeen;

  /**
   * Batcher: whether to read the overflow now. While logging threads are writing to it (an append since the last
   * look, about a millisecond ago) and it holds less than half its bound, the batcher leaves the CPU to them: a burst goes to disk at
   * the logging threads' pace and is batched, compressed and shipped once they pause (or once it holds half its
   * bound, from then on until it is empty). Sustained overload therefore still moves at the batcher's full pace.
   */
  private boolean overflowDue() {
    if (drainingOverflow || closing) return true;
    if (overflow.bytes() >= overflow.maxBytes() / 2) {
      drainingOverflow = true;
      return true;
    }
    long appends = overflow.appendedTotal();
    boolean quiet = appends == overflowAppendsSeen;
    overflowAppendsSeen = appends;
    return quiet;
  }

  /** The overflow position after its last record in the open batch (-1: none there), stored with the batch. */
  private long batchOverflowSegment = -1;
  private long batchOverflowOffset;
  /** Records read from the overflow per pass, so the queue (WARN and above while the overflow is full) is looked at. */
  private static final int OVERFLOW_RECORDS_PER_PASS = 4096;

  /**
   * Batcher: moves records from the overflow into the batch (the queue is empty, or only holds records that came
   * while the overflow could not take them), flushing as batches fill. True when it read any.
   */
  private boolean readOverflow(Batcher batcher, ZstdCodec zstd) {
    int read = 0;
    long now = System.nanoTime();
    try {
      while (read < OVERFLOW_RECORDS_PER_PASS && overflow.next(slice)) {
        read++;
        int size = BatchWriter.sizeInBatch(slice.length);
        if (!batcher.fits(size)) flush(batcher, zstd);
        batcher.addEncoded(slice.array, slice.offset, slice.length, now);
        batchOverflowSegment = overflow.lastSegment();
        batchOverflowOffset = overflow.lastOffset();
        if (batcher.ready(now)) {
          flush(batcher, zstd);
          now = System.nanoTime();
        }
      }
    } catch (java.io.IOException | RuntimeException e) {
      diagnostics.warn("could not read the queue's overflow in " + overflowDirOf(spoolDir)
          + "; what is left in it is read at the next start", e);
      return false;
    }
    if (read > 0) wakeWaiters();
    return read > 0;
  }

  /**
   * Adds a deferred record to the batch: written straight into the scratch when it can write itself, else built; a
   * record over {@code maxRecordBytes} is dropped ({@link DropReason#TOO_LARGE}), a failed one counted
   * ({@link DropReason#BUILD_FAILED}). Batcher thread. Returns false when the record was dropped.
   */
  private boolean addDeferred(Batcher batcher, ZstdCodec zstd, DeferredRecord deferred, long now) {
    scratch.reset(SCRATCH_KEPT_BYTES, 4096);
    boolean written;
    try {
      written = deferred.writeTo(scratch);
    } catch (RuntimeException | LinkageError e) {
      buildFailed(e);
      return false;
    }
    if (written) {
      int size = BatchWriter.sizeInBatch(scratch.size());
      if (size > config.maxRecordBytes()) {
        dropped.get(DropReason.TOO_LARGE).increment();
        return false;
      }
      if (!batcher.fits(size)) flush(batcher, zstd);
      batcher.addEncoded(scratch.array(), 0, scratch.size(), now);
      return true;
    }
    LogRecord r = build(deferred);
    if (r == null) return false;
    int size = BatchWriter.sizeInBatch(r);
    if (size > config.maxRecordBytes()) {
      dropped.get(DropReason.TOO_LARGE).increment();
      return false;
    }
    if (!batcher.fits(size)) flush(batcher, zstd);
    batcher.add(r, now);
    return true;
  }

  /**
   * Per calling thread: the writer a caller encodes its record into when it helps the batcher (caller-assisted), kept
   * at most {@link #SCRATCH_KEPT_BYTES} between records.
   */
  private static final ThreadLocal<RecordWriter> CALLER_SCRATCH = ThreadLocal.withInitial(() -> new RecordWriter(1024));

  /**
   * The deferred record's encoded bytes (exactly its {@code LogRecord}'s), written on the caller's thread into its
   * reused writer ({@link DeferredRecord#writeTo}, or built and encoded when it cannot write itself); null when that
   * threw (counted as {@link DropReason#BUILD_FAILED}, reported once). Thread-safe.
   */
  private byte[] encode(DeferredRecord deferred) {
    RecordWriter out = CALLER_SCRATCH.get();
    out.reset(SCRATCH_KEPT_BYTES, 1024);
    return encodeInto(deferred, out) ? out.toByteArray() : null;
  }

  /**
   * Encodes a {@link LogRecord} or {@link DeferredRecord} into {@code out} (empty); false when that threw (counted as
   * {@link DropReason#BUILD_FAILED}, reported once). Thread-safe.
   */
  private boolean encodeInto(Object item, RecordWriter out) {
    try {
      if (item instanceof LogRecord record) {
        out.fieldsOf(record);
      } else {
        DeferredRecord deferred = (DeferredRecord) item;
        if (!deferred.writeTo(out)) {
          out.reset();
          LogRecord built = deferred.build();
          if (built == null) {
            throw new IllegalStateException(deferred.getClass().getName() + ".build() returned null");
          }
          out.fieldsOf(built);
        }
      }
      return true;
    } catch (RuntimeException | LinkageError e) {
      buildFailed(e);
      return false;
    }
  }

  /**
   * The deferred record built, or null when it threw (counted, reported once). On the batcher thread (a caller that
   * helps it uses {@link #encode}).
   */
  private LogRecord build(DeferredRecord deferred) {
    try {
      LogRecord record = deferred.build();
      if (record == null) throw new IllegalStateException(deferred.getClass().getName() + ".build() returned null");
      return record;
    } catch (RuntimeException | LinkageError e) {
      // A LinkageError too: it would otherwise end the batcher thread, and with it every later record, silently.
      buildFailed(e);
      return null;
    }
  }

  private void buildFailed(Throwable e) {
    dropped.get(DropReason.BUILD_FAILED).increment();
    reportOnce(buildFailureReported, "could not build a deferred record; such records are dropped and counted as"
        + " BUILD_FAILED (sluice.sdk.records.dropped{reason=BUILD_FAILED}); this is reported once", e);
  }

  /**
   * Counts an event whose capture threw on the caller's thread (before anything reached {@link #offer}) as appended
   * and dropped ({@link DropReason#CAPTURE_FAILED}), and reports the first such failure as an error, through the
   * diagnostics (the framework's status) and on {@code System.err}. Appenders call it from their catch block, so a
   * capture that always fails (a class missing from the classpath) loses nothing silently. Lock-free, never throws.
   */
  public void captureFailed(Throwable error) {
    appended.increment();
    dropped.get(DropReason.CAPTURE_FAILED).increment();
    reportOnce(captureFailureReported, "could not capture a log event on the application's thread; every such event"
        + " is dropped and counted as CAPTURE_FAILED (sluice.sdk.records.dropped{reason=CAPTURE_FAILED}, the"
        + " appender's stats()); this is reported once. A LinkageError here usually means a dependency is missing"
        + " or has the wrong version (e.g. opentelemetry-api without the opentelemetry-context/opentelemetry-common"
        + " of the same version)", error);
  }

  /** Reports {@code message} as an error once per flag: through the diagnostics, and on stderr unless that is it. */
  private void reportOnce(java.util.concurrent.atomic.AtomicBoolean flag, String message, Throwable error) {
    if (flag.get() || !flag.compareAndSet(false, true)) return;
    // The first failure in the text itself: a status list or a console shows the message, not always the throwable.
    String full = message + "; the first failure: " + error;
    try {
      diagnostics.error(full, error);
    } catch (RuntimeException | LinkageError ignored) {
      // Diagnostics must not throw; if one does, stderr below still carries the report.
    }
    if (!diagnostics.errorsOnStderr()) Diagnostics.STDERR.error(full, null);
  }

  private void flush(Batcher batcher, ZstdCodec zstd) {
    int count = batcher.recordCount();
    if (count == 0) return;
    int encodedLength = batcher.batch().length();
    try {
      byte[] compressed;
      try {
        compressed = batcher.batch().compress(zstd);
      } finally {
        batcher.clear();
      }
      if (config.whenFull() == WhenFull.BLOCK && !spool.hasRoomFor(compressed.length)) {
        long deadline = System.nanoTime() + config.blockTimeout().toNanos();
        while (!spool.hasRoomFor(compressed.length) && System.nanoTime() < deadline && !abandon) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
      }
      byte[] checkpoint = batchOverflowSegment < 0 ? null
          : Overflow.checkpoint(batchOverflowSegment, batchOverflowOffset);
      batchOverflowSegment = -1;
      Spool.Append result = appendWaitingForDisk(count, encodedLength, compressed, checkpoint);
      if (!result.accepted()) {
        dropped.get(DropReason.SPOOL_FULL).add(count);
        if (checkpoint != null) spool.putCheckpoints(Map.of(Overflow.CHECKPOINT, checkpoint));
      }
      if (checkpoint != null) overflow.committed(checkpoint);
      for (SpoolEntry evicted : result.evicted()) dropped.get(DropReason.SPOOL_FULL).add(evicted.recordCount());
      if (spoolFailureReported) {
        spoolFailureReported = false;
        diagnostics.warn("spool " + config.spoolDir() + " accepts batches again; " + droppedWhileSpoolFailing
            + " records were dropped (DISK_FULL, SPOOL_ERROR) while it could not write", null);
        droppedWhileSpoolFailing = 0;
      }
    } catch (SpoolException e) {
      DropReason reason = e.noSpace() ? DropReason.DISK_FULL : DropReason.SPOOL_ERROR;
      dropped.get(reason).add(count);
      droppedWhileSpoolFailing += count;
      long now = System.nanoTime();
      if (!spoolFailureReported
          && (spoolFailureReportedAt == 0 || now - spoolFailureReportedAt >= SPOOL_FAILURE_REPORT_INTERVAL_NANOS)) {
        spoolFailureReported = true;
        spoolFailureReportedAt = now == 0 ? 1 : now;
        diagnostics.warn(e.getMessage() + "; new batches are dropped and counted as " + reason + " until it can"
            + " write again (reported at most once a minute)", null);
      }
    } catch (RuntimeException e) { // an encoding failure
      dropped.get(DropReason.SPOOL_ERROR).add(count);
      diagnostics.warn("could not spool a batch of " + count + " records", e);
    } finally {
      batching = 0;
    }
    shipping.wake();
  }

  /**
   * Appends; when the device is full, {@link WhenFull#BLOCK} retries until {@code blockTimeoutMs} has passed (the
   * spool reopens at most every {@code RocksDbSpool.RECOVERY_INTERVAL_NANOS}), the other policies give up at once:
   * evicting old batches would free no disk until RocksDB compacts them.
   */
  private Spool.Append appendWaitingForDisk(int count, long uncompressedSize, byte[] compressed, byte[] checkpoint) {
    long deadline = System.nanoTime() + config.blockTimeout().toNanos();
    while (true) {
      try {
        return checkpoint == null ? spool.append(count, uncompressedSize, compressed, config.whenFull())
            : spool.append(count, uncompressedSize, compressed, config.whenFull(),
                Map.of(Overflow.CHECKPOINT, checkpoint));
      } catch (SpoolException e) {
        if (!e.noSpace() || config.whenFull() != WhenFull.BLOCK || System.nanoTime() - deadline >= 0 || abandon) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
      }
    }
  }

  // ------------------------------------------------------------------------------------- ship (sluice-shipper)

  // ------------------------------------------------------------------------------------------------ accounting

  public PipelineStats stats() {
    Map<DropReason, Long> drops = new EnumMap<>(DropReason.class);
    for (Map.Entry<DropReason, LongAdder> e : dropped.entrySet()) drops.put(e.getKey(), e.getValue().sum());
    drops.merge(DropReason.REJECTED, delivery.rejected.sum(), Long::sum);
    drops.merge(DropReason.SPOOL_CORRUPT, spool.corruptRecords(), Long::sum);
    return new PipelineStats(appended.sum(), delivery.acknowledged.sum(), drops, queue.size(),
        overflow == null ? 0 : overflow.records(), overflow == null ? 0 : overflow.bytes(), batching,
        spool.records(), spool.bytes(), spool.batches(), delivery.batchesSent.sum(),
        delivery.batchesAcknowledged.sum(), delivery.reconnects.sum(), delivery.connected, spool.writable(),
        spool.quarantine().isPresent() ? 1 : 0, spoolsHeldByOthers, orphans == null ? 0 : orphans.adopted(),
        delivery.refused.sum());
  }

  // ------------------------------------------------------------------------------------------------ lifecycle

  /**
   * Stops taking records, writes everything queued to the spool, and keeps shipping until the spool is empty or
   * {@code closeTimeoutMs} has passed; whatever is not acknowledged by then stays in the spool and is shipped on the
   * next start with the same {@code spoolDir}. Returns within about {@code closeTimeoutMs} (plus up to 2 s to close
   * connections). Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    long deadline = System.nanoTime() + config.closeTimeout().toNanos();
    closing = true;
    LockSupport.unpark(batcherThread);
    joinUntil(batcherThread, deadline);
    shipping.awaitEmptySpool(deadline);
    abandon = true;
    LockSupport.unpark(batcherThread);
    joinUntil(batcherThread, System.nanoTime() + TimeUnit.SECONDS.toNanos(2));
    shipping.stop(TimeUnit.SECONDS.toNanos(3));
    int stranded = 0;
    while (queue.relaxedPoll() != null) stranded++;
    dropped.get(DropReason.SHUTDOWN).add(stranded);
    OrphanShipping adopted = orphans;
    if (adopted != null) adopted.close();
    SluiceJul.remove(diagnostics);
    try {
      metricsRegistration.close();
    } catch (Exception ignored) {
      // metrics are best effort
    }
    if (overflow != null) overflow.close();
    spool.close();
    closed = true;
  }

  private static void joinUntil(Thread t, long deadlineNanos) {
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) return;
    try {
      t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
