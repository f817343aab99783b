package io.sluice.agent;

import io.sluice.agent.checkpoint.Checkpoint;
import io.sluice.agent.tail.AbandonReason;
import io.sluice.agent.tail.LineHandler;
import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;
import io.sluice.proto.v1.Hello;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.ShipWorker;
import io.sluice.sdk.ship.GrpcShipper;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.thread.SluiceThreads;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The tailing agent: its lifecycle, the tail loop and health. It discovers files ({@link FileDiscovery}), reads
 * them ({@link Tailer}), turns lines into records ({@link InputProcessor}), and batches, compresses and writes each
 * batch with the file offsets it covers into the RocksDB spool in one write ({@link BatchSpooler}); sdk-core's
 * {@link ShipWorker} ships the spool. {@link DryRun} reads a configuration's files without any of that.
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
  private final Hello hello;
  /** Batch, compress, spool (with the files' checkpoints): the tailing thread's. */
  private final BatchSpooler spooler;
  /** The batch resource (service.name) of each file; a batch holds one service's lines. */
  private final ServiceResources resources;
  private final FileDiscovery discovery;
  private final Tailer tailer;
  private final Thread thread;
  private AgentHttp http;
  private volatile boolean stop;
  private volatile boolean ready;
  private volatile long heartbeatNanos = System.nanoTime();
  private volatile long lastReadProgressNanos = System.nanoTime();
  private volatile Throwable failure;
  /** The open files, republished by the tailing thread whenever the set changes. */
  private volatile List<TailedFile> fileSnapshot = List.of();
  private boolean filesChanged;
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

  private Agent(AgentConfig config, Spool spool, Function<Hello, Shipper> shipperFactory) {
    this.config = config;
    this.pipeline = config.pipeline();
    this.spool = spool;
    this.hello = pipeline.hello(spool.clientId(), spool.epoch());
    this.discovery = new FileDiscovery(config);
    this.tailer = new Tailer(config.tailer(), new Listener());
    this.shipWorker = new ShipWorker(pipeline, spool, shipperFactory, hello, delivery);
    this.resources = new ServiceResources(pipeline.resource(), pipeline.serviceName(), config.serviceNameFrom());
    this.spooler = new BatchSpooler(pipeline, spool, shipWorker, stats, resources.configured(), () -> stop,
        () -> heartbeatNanos = System.nanoTime());
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
    return start(config, spool, hello -> new GrpcShipper(p.endpoints(), hello, p.tls(),
        GrpcShipper.DEFAULT_KEEPALIVE_TIME, p.newCredentials()));
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
      if (!a.spooler.spoolWritable(() -> spool.putCheckpoints(since))) {
        since.forEach(a.spooler::checkpoint); // disk full: with the first cut
      }
    }
    a.tailer.restore(restored, watchingSince);
    a.restoredCount = restored.size();
    if (config.httpPort() >= 0) a.http = AgentHttp.start(a, config.httpHost(), config.httpPort());
    a.shipWorker.start();
    a.thread.start();
    return a;
  }

  // ---------------------------------------------------------------------------------------------- tailing thread

  /** The tail loop: scan, read, cut, spool; park until the next deadline. */
  private void run() {
    try {
      discovery.openWatcher();
      long now = System.nanoTime();
      discovery.scan(tailer, now);
      List<Checkpoint> gone = tailer.recover(now);
      for (Checkpoint c : gone) spooler.checkpoint(c.key(), null);
      System.err.println("sluice-agent: recovered " + restoredCount + " checkpoints (" + gone.size() + " of files gone),"
          + " reading " + tailer.files().size() + " files, " + tailer.siblingsAdopted() + " of them rotated siblings");
      ready = true;
      while (!stop) {
        now = System.nanoTime();
        heartbeatNanos = now;
        spooler.retryPending();
        if (discovery.scanDue(now)) discovery.scan(tailer, now);
        boolean more = tailer.poll(now);
        tailer.tick(now);
        if (filesChanged) {
          filesChanged = false;
          fileSnapshot = List.copyOf(tailer.files());
        }
        if (!spooler.waiting() && spooler.ready(now)) spooler.cut();
        // Checkpoints without records (a file just opened, truncated or released, a copy remembered, a file gone).
        if (spooler.isEmpty() && !spooler.waiting() && spooler.checkpointsWaiting()) spooler.cut();
        if (more && !spooler.waiting()) continue;
        long wait = config.pollInterval().toNanos();
        wait = Math.min(wait, spooler.nanosUntilDue(now));
        long deadline = tailer.nextDeadline();
        if (deadline != Long.MAX_VALUE) wait = Math.min(wait, Math.max(0, deadline - now));
        if (spooler.waiting()) wait = Math.min(wait, TimeUnit.MILLISECONDS.toNanos(20));
        if (wait > 0) LockSupport.parkNanos(this, wait);
      }
      // Drain: what was read goes into the spool with its checkpoints; held lines are read again after a restart.
      if (spooler.waiting()) {
        long until = System.nanoTime() + config.drainTimeout().toNanos();
        while (spooler.waiting() && System.nanoTime() - until < 0) {
          spooler.retryPending();
          if (spooler.waiting()) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
      }
      if (!spooler.waiting()) spooler.cut();
    } catch (RuntimeException | Error e) {
      failure = e;
      pipeline.diagnostics().warn("tailing stopped by an unexpected error; restart the agent", e);
    } finally {
      discovery.closeWatcher();
      spooler.close();
    }
  }

  /** What the tailer tells the agent about files: counted, and their checkpoints go into the next write. */
  private final class Listener implements Tailer.Listener {
    @Override
    public LineHandler open(TailedFile file) {
      stats.filesOpened.increment();
      filesChanged = true;
      // an inode reused after a release: keep the new one
      spooler.dropCheckpointChange(Checkpoint.KEY_PREFIX + file.id().key());
      // Its checkpoint is written at once (with the next batch, or alone): after a restart the agent knows the file
      // by identity and when it last looked at its path, even if no line was read from it yet.
      spooler.touched(file);
      return new InputProcessor(discovery.inputFor(file.path()), file, config.tailer().maxLineBytes(),
          spooler.sink(resources.forPath(file.path())),
          () -> System.currentTimeMillis() * 1_000_000L, stats);
    }

    @Override
    public void afterLine(TailedFile file, long nowNanos) {
      stats.linesRead.increment();
      lastReadProgressNanos = nowNanos;
      if (!spooler.waiting() && spooler.ready(nowNanos)) spooler.cut();
    }

    @Override
    public boolean mayRead() {
      return !spooler.waiting();
    }

    @Override
    public void truncated(TailedFile file, long lostBytes, long recoveredBytes) {
      stats.truncations.increment();
      stats.recoveredFromCopyBytes.add(recoveredBytes);
      if (lostBytes > 0) stats.abandonedBytes.get(AbandonReason.TRUNCATED).add(lostBytes);
      // The offset moved back to 0: let the next batch say so even if no record follows soon.
      spooler.touched(file);
    }

    @Override
    public void released(TailedFile file, AbandonReason reason, long abandonedBytes) {
      stats.filesReleased.increment();
      filesChanged = true;
      if (reason != null) stats.abandonedBytes.get(reason).add(abandonedBytes);
      // The checkpoint stays, at the file's end, with the batch holding its last records: while the file exists it
      // is known by identity and never read again (the tailer calls forget when it is gone — also for a file seen
      // as deleted, which may only have been renamed away).
      spooler.touched(file);
    }

    @Override
    public void remember(Checkpoint checkpoint) {
      spooler.checkpoint(checkpoint.key(), checkpoint.encode());
    }

    @Override
    public void forget(Checkpoint checkpoint) {
      spooler.checkpoint(checkpoint.key(), null);
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
    return spooler.oldestUnackedAgeSeconds();
  }

  // ------------------------------------------------------------------------------------------------------ health

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
    if (spooler.waiting()) return true; // waiting for the shipper: back-pressure, not a stall
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
   * record on one line, up to {@code maxRecords}. For checking a configuration ({@link DryRun}).
   */
  public static int dryRun(AgentConfig config, PrintStream out, int maxRecords) {
    return DryRun.run(config, out, maxRecords);
  }
}
