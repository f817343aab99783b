package io.sluice.agent;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import io.sluice.agent.checkpoint.Checkpoint;
import io.sluice.agent.tail.AbandonReason;
import io.sluice.agent.tail.Discovery;
import io.sluice.agent.tail.LineHandler;
import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.ShipWorker;
import io.sluice.sdk.pipeline.SluiceThreads;
import io.sluice.sdk.ship.GrpcShipper;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.spool.WhenFull;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The tailing agent: discovers files, reads them ({@link Tailer}), turns lines into records ({@link
 * InputProcessor}), batches them, and writes each batch with the file offsets it covers into the RocksDB spool in
 * one write; sdk-core's {@link ShipWorker} ships the spool.
 *
 * <p>Delivery: a file's checkpoint only ever names the end of a record that is in the spool (or earlier), so a
 * crash at any instant loses nothing; after a restart each file resumes at its checkpoint, and only batches that
 * were in flight to the collector can arrive twice. While the spool is full the agent stops reading (the files are
 * the buffer) and drops nothing.
 *
 * <p>Threads: one {@code sluice-agent-tail} thread owns the tailer, the batcher and the checkpoints; the shipper
 * has its own; the HTTP endpoint reads counters only. Memory: one batch (plus one read chunk of records), one
 * encoded batch waiting for room, and the tailer's per-file bounds.
 */
public final class Agent implements AutoCloseable {
  private final AgentConfig config;
  private final PipelineConfig pipeline;
  private final Spool spool;
  private final ShipWorker shipWorker;
  private final ShipWorker.Counters delivery = new ShipWorker.Counters();
  private final AgentStats stats = new AgentStats();
  /**
   * The tailing thread's zstd context, kept across batches: a fresh context per batch (ZstdCodec.compress) allocates
   * and clears its tables (about 1 MiB at level 3) for every batch.
   */
  private final ZstdCompressCtx zstd;
  /** The tailing thread's zstd output buffer, grown to the bound of the largest batch; the payload is copied out. */
  private byte[] zstdOut = new byte[0];
  private final Hello hello;
  /** The batch being read, already encoded (the tailing thread's one reused array). */
  private final BatchBuffer batch;
  private final Tailer tailer;
  private final List<Map.Entry<InputConfig, Discovery>> discoveries = new ArrayList<>();
  private final Thread thread;
  private final long startNanos = System.nanoTime();
  private final ConcurrentSkipListMap<Long, Long> appendedAt = new ConcurrentSkipListMap<>();
  /** Files with records in the current batch: their checkpoints go into the batch's write. */
  private final Set<TailedFile> inBatch = new LinkedHashSet<>();
  /**
   * Checkpoint changes for files with no record in the batch: copies remembered by identity (put), files gone
   * (deleted). Written with the next batch, or alone when the batch is empty.
   */
  private final Map<String, byte[]> extra = new LinkedHashMap<>();
  private AgentHttp http;
  private WatchService watcher;
  private static final int MAX_WATCHED_DIRS = 4096;
  private final Set<Path> watched = new java.util.HashSet<>();
  private PendingBatch pending;
  private volatile boolean stop;
  private volatile boolean ready;
  /** When the spool's disk was found full (System.nanoTime), 0 while it is not; and the last warning about it. */
  private long diskFullSince;
  private long diskFullWarned;
  private volatile long heartbeatNanos = System.nanoTime();
  private volatile long lastReadProgressNanos = System.nanoTime();
  private volatile Throwable failure;
  /** The open files, republished by the tailing thread whenever the set changes. */
  private volatile List<TailedFile> fileSnapshot = List.of();
  private boolean filesChanged;
  private long nextScanNanos;
  private int restoredCount;

  /**
   * Spool key of the wall-clock time (ms) the agent first started over this spool, written before its first look at
   * any file ({@link Tailer#restore(java.util.Collection, long)}).
   */
  static final String WATCHING_SINCE_KEY = "agent/watching-since";

  static byte[] encodeMillis(long millis) {
    return ByteBuffer.allocate(8).putLong(millis).array();
  }

  /** 0 when absent or not 8 bytes. */
  static long decodeMillis(byte[] value) {
    return value == null || value.length != 8 ? 0 : ByteBuffer.wrap(value).getLong();
  }

  private record PendingBatch(int count, long encodedSize, byte[] payload, Map<String, byte[]> checkpoints) {}

  private Agent(AgentConfig config, Spool spool, Function<Hello, Shipper> shipperFactory) {
    this.config = config;
    this.pipeline = config.pipeline();
    this.spool = spool;
    this.zstd = new ZstdCompressCtx().setLevel(pipeline.zstdLevel());
    this.hello = pipeline.hello(spool.clientId(), spool.epoch());
    this.batch = new BatchBuffer(pipeline.resource(), new BatchPolicy(pipeline.batchMaxRecords(),
        pipeline.batchMaxBytes(), pipeline.linger().toNanos()));
    for (InputConfig in : config.inputs()) {
      discoveries.add(Map.entry(in, new Discovery(in.include(), in.exclude())));
    }
    this.tailer = new Tailer(config.tailer(), new Listener());
    this.shipWorker = new ShipWorker(pipeline, spool, shipperFactory, hello, delivery);
    this.thread = SluiceThreads.newThread(this::run, "sluice-agent-tail");
  }

  /**
   * Opens the spool (shipping what a previous run left), restores the checkpoints, and starts the tailing and
   * shipping threads and the HTTP endpoint.
   *
   * @throws io.sluice.sdk.spool.SpoolException when the spool cannot be opened (e.g. another agent holds it)
   * @throws IOException when the HTTP port cannot be bound
   */
  public static Agent start(AgentConfig config) throws IOException {
    PipelineConfig p = config.pipeline();
    Spool spool = new RocksDbSpool(p.spoolDir(), p.spoolMaxBytes(), p.fsync(), p.clientId());
    return start(config, spool, hello -> new GrpcShipper(p.endpoints(), hello, p.tls()));
  }

  /** Starts over a given spool and shipper factory; the agent closes the spool on {@link #close}. */
  public static Agent start(AgentConfig config, Spool spool, Function<Hello, Shipper> shipperFactory)
      throws IOException {
    Agent a = new Agent(config, spool, shipperFactory);
    List<Checkpoint> restored = new ArrayList<>();
    Map<String, byte[]> stored = spool.checkpoints();
    for (Map.Entry<String, byte[]> e : stored.entrySet()) {
      if (!e.getKey().startsWith(Checkpoint.KEY_PREFIX)) continue;
      Checkpoint c = Checkpoint.decode(e.getValue());
      if (c != null) restored.add(c);
    }
    long watchingSince = decodeMillis(stored.get(WATCHING_SINCE_KEY));
    if (watchingSince == 0) {
      // The first start over this spool: stored now, before the first look at any file, so that a later start knows
      // since when rotated files may hold unread lines even if this run is killed before its first checkpoint.
      Map<String, byte[]> since = Map.of(WATCHING_SINCE_KEY, encodeMillis(System.currentTimeMillis()));
      if (!a.spoolWritable(() -> spool.putCheckpoints(since))) a.extra.putAll(since); // disk full: with the first cut
    }
    a.tailer.restore(restored, watchingSince);
    a.restoredCount = restored.size();
    if (config.httpPort() >= 0) a.http = AgentHttp.start(a, config.httpHost(), config.httpPort());
    a.shipWorker.start();
    a.thread.start();
    return a;
  }

  // ---------------------------------------------------------------------------------------------- tailing thread

  private void run() {
    try {
      openWatcher();
      long now = System.nanoTime();
      scan(now);
      List<Checkpoint> gone = tailer.recover(now);
      for (Checkpoint c : gone) extra.put(c.key(), null);
      System.err.println("sluice-agent: recovered " + restoredCount + " checkpoints (" + gone.size() + " of files gone),"
          + " reading " + tailer.files().size() + " files, " + tailer.siblingsAdopted() + " of them rotated siblings");
      ready = true;
      while (!stop) {
        now = System.nanoTime();
        heartbeatNanos = now;
        if (pending != null) retryPending();
        boolean events = drainWatchEvents();
        if (events || now - nextScanNanos >= 0) scan(now);
        boolean more = tailer.poll(now);
        tailer.tick(now);
        if (filesChanged) {
          filesChanged = false;
          fileSnapshot = List.copyOf(tailer.files());
        }
        if (pending == null && batch.ready(now)) cut();
        // Checkpoints without records (a file just opened, truncated or released, a copy remembered, a file gone).
        if (batch.isEmpty() && pending == null && (!extra.isEmpty() || !inBatch.isEmpty())) cut();
        if (more && pending == null) continue;
        long wait = config.pollInterval().toNanos();
        wait = Math.min(wait, batch.nanosUntilDue(now));
        long deadline = tailer.nextDeadline();
        if (deadline != Long.MAX_VALUE) wait = Math.min(wait, Math.max(0, deadline - now));
        if (pending != null) wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(20));
        if (wait > 0) LockSupport.parkNanos(this, wait);
      }
      // Drain: what was read goes into the spool with its checkpoints; held lines are read again after a restart.
      if (pending != null) {
        long until = System.nanoTime() + config.drainTimeout().toNanos();
        while (pending != null && System.nanoTime() - until < 0) {
          retryPending();
          if (pending != null) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      }
      if (pending == null) cut();
    } catch (RuntimeException | Error e) {
      failure = e;
      pipeline.diagnostics().warn("tailing stopped by an unexpected error; restart the agent", e);
    } finally {
      closeWatcher();
      zstd.close();
    }
  }

  private void scan(long now) {
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      for (Path p : d.getValue().scan()) {
        tailer.track(p, now);
        watch(p.getParent());
      }
    }
    tailer.sweep(now);
    nextScanNanos = now + config.rescanInterval().toNanos();
  }

  private void openWatcher() {
    try {
      watcher = FileSystems.getDefault().newWatchService();
      for (Map.Entry<InputConfig, Discovery> d : discoveries) {
        for (Path base : d.getValue().bases()) {
          if (Files.isDirectory(base)) watch(base);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      watcher = null; // polling and rescans still find everything, only later
    }
  }

  /** Directories holding matched files are watched too (pod directories below a {@code **}), up to a bound. */
  private void watch(Path dir) {
    if (watcher == null || dir == null || watched.size() >= MAX_WATCHED_DIRS || !watched.add(dir)) return;
    try {
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      // gone or not watchable: the rescan still finds its files
    }
  }

  /** File-system events on watched directories make the next scan happen now instead of at the rescan interval. */
  private boolean drainWatchEvents() {
    if (watcher == null) return false;
    boolean any = false;
    try {
      var key = watcher.poll();
      while (key != null) {
        any |= !key.pollEvents().isEmpty();
        if (!key.reset()) watched.remove((Path) key.watchable()); // the directory is gone
        key = watcher.poll();
      }
    } catch (ClosedWatchServiceException e) {
      watcher = null;
    }
    return any;
  }

  private void closeWatcher() {
    if (watcher == null) return;
    try {
      watcher.close();
    } catch (IOException ignored) {
      // nothing to release beyond the inotify fd
    }
  }

  private InputConfig inputFor(Path path) {
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      if (d.getValue().matches(path)) return d.getKey();
    }
    // A file found by identity after a rotation (app.log.1): the input whose directory holds it.
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      for (Path base : d.getValue().bases()) {
        if (path.startsWith(base)) return d.getKey();
      }
    }
    return config.inputs().get(0);
  }

  private final class Listener implements Tailer.Listener {
    @Override
    public LineHandler open(TailedFile file) {
      stats.filesOpened.increment();
      filesChanged = true;
      extra.remove(Checkpoint.KEY_PREFIX + file.id().key()); // an inode reused after a release: keep the new one
      // Its checkpoint is written at once (with the next batch, or alone): after a restart the agent knows the file
      // by identity and when it last looked at its path, even if no line was read from it yet.
      inBatch.add(file);
      return new InputProcessor(inputFor(file.path()), file, config.tailer().maxLineBytes(), new BatchSink(),
          () -> System.currentTimeMillis() * 1_000_000L, stats);
    }

    @Override
    public void afterLine(TailedFile file, long nowNanos) {
      stats.linesRead.increment();
      lastReadProgressNanos = nowNanos;
      if (pending == null && batch.ready(nowNanos)) cut();
    }

    @Override
    public boolean mayRead() {
      return pending == null;
    }

    @Override
    public void truncated(TailedFile file, long lostBytes, long recoveredBytes) {
      stats.truncations.increment();
      stats.recoveredFromCopyBytes.add(recoveredBytes);
      if (lostBytes > 0) stats.abandonedBytes.get(AbandonReason.TRUNCATED).add(lostBytes);
      // The offset moved back to 0: let the next batch say so even if no record follows soon.
      inBatch.add(file);
    }

    @Override
    public void released(TailedFile file, AbandonReason reason, long abandonedBytes) {
      stats.filesReleased.increment();
      filesChanged = true;
      if (reason != null) stats.abandonedBytes.get(reason).add(abandonedBytes);
      // The checkpoint stays, at the file's end, with the batch holding its last records: while the file exists it
      // is known by identity and never read again (the tailer calls forget when it is gone — also for a file seen
      // as deleted, which may only have been renamed away).
      inBatch.add(file);
    }

    @Override
    public void remember(Checkpoint checkpoint) {
      extra.put(checkpoint.key(), checkpoint.encode());
    }

    @Override
    public void forget(Checkpoint checkpoint) {
      extra.put(checkpoint.key(), null);
    }
  }

  /** Records from a file: into the batch. The batch may pass its byte bound by one record (bounded by it). */
  private final class BatchSink implements InputProcessor.Sink {
    @Override
    public void record(TailedFile file, LogRecord record) {
      batch.add(record, firstAt());
      added(file);
    }

    @Override
    public void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
        byte[] attributeFields, byte[] sourceFile, long offset, long length, boolean truncated) {
      batch.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, attributeFields, sourceFile, offset, length,
          truncated, firstAt());
      added(file);
    }

    /** The clock is read for a batch's first record only (its linger starts there). */
    private long firstAt() {
      return batch.isEmpty() ? System.nanoTime() : 0;
    }

    private void added(TailedFile file) {
      inBatch.add(file);
      stats.records.increment();
    }
  }

  /**
   * Encodes, compresses and spools the current batch with the checkpoints of its files, in one write. Only when no
   * batch is waiting for room: at most one encoded batch is held, and batches reach the spool in read order.
   */
  private void cut() {
    if (pending != null) return;
    Map<String, byte[]> checkpoints = new LinkedHashMap<>();
    long seenAt = System.currentTimeMillis();
    for (TailedFile f : inBatch) {
      Checkpoint c = new Checkpoint(f.id(), f.lineage().toString(), f.safeOffset(), f.fingerprint(), seenAt);
      checkpoints.put(c.key(), c.encode());
    }
    checkpoints.putAll(extra); // after the puts: a file found gone in this batch ends with its checkpoint deleted
    int count = batch.recordCount();
    if (count == 0) {
      if (!checkpoints.isEmpty() && !spoolWritable(() -> spool.putCheckpoints(checkpoints))) {
        return; // the disk is full: inBatch and extra stay, written by a later cut
      }
      inBatch.clear();
      extra.clear();
      return;
    }
    inBatch.clear();
    extra.clear();
    int encoded = batch.length();
    byte[] compressed = compress(batch.array(), encoded);
    batch.clear();
    pending = new PendingBatch(count, encoded, compressed, checkpoints);
    retryPending();
  }

  /** zstd of {@code encoded[0, length)} into the reused output buffer (not a fresh array per batch), then copied. */
  private byte[] compress(byte[] encoded, int length) {
    int bound = (int) Math.min(Integer.MAX_VALUE - 8, Zstd.compressBound(length));
    if (zstdOut.length < bound) zstdOut = new byte[bound];
    int n = zstd.compressByteArray(zstdOut, 0, zstdOut.length, encoded, 0, length);
    return Arrays.copyOf(zstdOut, n);
  }

  /**
   * Runs a spool write; false if the spool's disk was full (ENOSPC): counted, warned about at most once a minute,
   * and the caller keeps what it wanted to write (the file is the buffer, so reading waits, nothing is dropped). The
   * spool reopens itself on a later write once space frees. Any other spool error propagates.
   */
  private boolean spoolWritable(Runnable write) {
    try {
      write.run();
      if (diskFullSince != 0) {
        diskFullSince = 0;
        pipeline.diagnostics().warn("the spool's disk has room again; reading goes on", null);
      }
      return true;
    } catch (io.sluice.sdk.spool.SpoolException e) {
      if (!e.noSpace()) throw e;
      stats.diskFullWaits.increment();
      long now = System.nanoTime();
      if (diskFullSince == 0 || now - diskFullWarned > TimeUnit.MINUTES.toNanos(1)) {
        if (diskFullSince == 0) diskFullSince = now;
        diskFullWarned = now;
        pipeline.diagnostics().warn("the spool's disk is full (" + e.getMessage() + "): reading waits, nothing is dropped; free"
            + " space on the spool's filesystem", null);
      }
      shipWorker.wake();
      return false;
    }
  }

  private void retryPending() {
    PendingBatch p = pending;
    Spool.Append[] result = new Spool.Append[1];
    if (!spoolWritable(() -> result[0] = spool.append(p.count(), p.encodedSize(), p.payload(), WhenFull.BLOCK,
        p.checkpoints()))) {
      return;
    }
    Spool.Append r = result[0];
    if (r.accepted()) {
      pending = null;
      appendedAt.put(r.sequence(), System.nanoTime());
      stats.batchesSpooled.increment();
      shipWorker.wake();
    } else {
      stats.spoolFullWaits.increment();
      shipWorker.wake();
    }
  }

  // ------------------------------------------------------------------------------------------------------ control

  /**
   * Stops reading, spools what was read (with checkpoints), waits up to {@code drainTimeout} for the collector to
   * acknowledge the spool, then closes everything. What is left stays in the spool for the next start.
   */
  @Override
  public void close() {
    if (stop) return;
    ready = false;
    stop = true;
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    LockSupport.unpark(thread);
    try {
      thread.join(Math.max(1, config.drainTimeout().toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    shipWorker.awaitEmptySpool(deadline);
    shipWorker.stop(TimeUnit.SECONDS.toNanos(2));
    if (http != null) http.close();
    tailer.close();
    spool.close();
    if (spool.batches() > 0) {
      pipeline.diagnostics().warn(spool.batches() + " batches (" + spool.records()
          + " records) stay in the spool for the next start", null);
    }
  }

  // ------------------------------------------------------------------------------------------------------ status

  public Hello hello() { return hello; }
  public AgentConfig config() { return config; }
  /** Port of the HTTP endpoint, or -1 when it is off. */
  public int httpPort() { return http == null ? -1 : http.port(); }
  AgentStats stats() { return stats; }
  ShipWorker.Counters delivery() { return delivery; }
  Spool spool() { return spool; }

  /** Open files, as of the tailing thread's last pass (a snapshot: safe from any thread). */
  List<TailedFile> files() {
    return fileSnapshot;
  }

  long deferredFiles() { return tailer.deferred(); }
  long rotatedSiblingsRead() { return tailer.siblingsAdopted(); }
  int rememberedFiles() { return tailer.rememberedFiles(); }

  /** Seconds since the oldest batch still in the spool was written (a batch from a previous run counts from start). */
  double oldestUnackedAgeSeconds() {
    long first = spool.nextAfter(-1);
    if (first < 0) return 0;
    appendedAt.headMap(first).clear();
    Long at = appendedAt.get(first);
    long since = at == null ? startNanos : at;
    return (System.nanoTime() - since) / 1e9;
  }

  /** First scan done and not shutting down. */
  public boolean ready() {
    return ready && !stop;
  }

  /**
   * Alive unless the tailing thread died, stopped looping, or bytes are waiting with room in the spool and nothing
   * was read for {@code stallTimeout}.
   */
  public boolean live() {
    if (!thread.isAlive() && !stop) return false;
    if (failure != null) return false;
    long now = System.nanoTime();
    long stall = config.stallTimeout().toNanos();
    if (!stop && now - heartbeatNanos > stall) return false;
    if (pending != null) return true; // waiting for the shipper: back-pressure, not a stall
    long lag = 0;
    for (TailedFile f : files()) lag += f.lagBytes();
    return lag == 0 || now - lastReadProgressNanos <= stall;
  }

  /** Why {@link #live()} is false, for the {@code /livez} body. */
  String liveness() {
    if (failure != null) return "tailing failed: " + failure;
    return live() ? "ok" : "tailing stalled: bytes wait and nothing was read for " + config.stallTimeout().toSeconds() + " s";
  }

  /**
   * Reads every configured file once from the beginning (no spool, no checkpoints, no network) and prints each
   * record on one line, up to {@code maxRecords}. For checking a configuration.
   */
  public static int dryRun(AgentConfig config, PrintStream out, int maxRecords) {
    AgentStats stats = new AgentStats();
    int[] printed = {0};
    List<Map.Entry<InputConfig, Discovery>> ds = new ArrayList<>();
    for (InputConfig in : config.inputs()) ds.add(Map.entry(in, new Discovery(in.include(), in.exclude())));
    Tailer t = new Tailer(config.tailer(), new Tailer.Listener() {
      @Override
      public LineHandler open(TailedFile file) {
        InputConfig in = config.inputs().get(0);
        for (Map.Entry<InputConfig, Discovery> d : ds) {
          if (d.getValue().matches(file.path())) {
            in = d.getKey();
            break;
          }
        }
        return new InputProcessor(in, file, config.tailer().maxLineBytes(), new InputProcessor.Sink() {
          private final BatchBuffer one = new BatchBuffer(List.of(), new BatchPolicy(1, Integer.MAX_VALUE, 0));

          @Override
          public void record(TailedFile f, LogRecord r) {
            if (printed[0]++ < maxRecords) out.println(DryRunFormat.format(r));
          }

          @Override
          public void plain(TailedFile f, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
              byte[] attributeFields, byte[] sourceFile, long offset, long length, boolean truncated) {
            // the record as the agent would spool it, decoded again
            one.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, attributeFields, sourceFile, offset,
                length, truncated, 0);
            try {
              record(f, LogBatch.parseFrom(ByteBuffer.wrap(one.array(), 0, one.length())).getRecords(0));
            } catch (InvalidProtocolBufferException e) {
              throw new IllegalStateException("a plain record that does not decode", e);
            } finally {
              one.clear();
            }
          }
        }, () -> System.currentTimeMillis() * 1_000_000L, stats);
      }

      @Override public void afterLine(TailedFile file, long nowNanos) { }
      @Override public boolean mayRead() { return printed[0] < maxRecords; }
      @Override public void truncated(TailedFile file, long lostBytes, long recoveredBytes) { }
      @Override public void released(TailedFile file, AbandonReason reason, long abandonedBytes) { }
    });
    long now = System.nanoTime();
    for (Map.Entry<InputConfig, Discovery> d : ds) {
      for (Path p : d.getValue().scan()) t.track(p, now);
    }
    int files = t.files().size();
    while (t.poll(now) && printed[0] < maxRecords) {
      // read until every file is at its end
    }
    t.flushAll(now);
    t.close();
    out.println("# " + files + " files, " + Math.min(printed[0], maxRecords) + " records shown"
        + (printed[0] > maxRecords ? " (more not shown)" : ""));
    return printed[0];
  }
}
