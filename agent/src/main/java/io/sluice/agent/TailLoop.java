package io.sluice.agent;

import io.sluice.agent.tail.Checkpoint;
import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;
import io.sluice.sdk.pipeline.Diagnostics;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.thread.SluiceThreads;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The tail loop, on its one {@code sluice-agent-tail} thread: scan for files ({@link FileDiscovery}), read them
 * ({@link Tailer}), cut batches into the spool ({@link BatchSpooler}), and park until the next deadline (poll interval,
 * the batch's linger, the tailer's next deadline; at most 20 ms while a batch waits for room). When the agent stops it
 * drains: what was read goes into the spool with its checkpoints, waiting up to {@code drainTimeout} for room. The
 * thread owns the tailer, the batcher and the checkpoints; other threads see only {@link #files()} (a snapshot), the
 * counters and what it reports to {@link AgentHealth}. Memory is its parts' bounds; it blocks only by parking.
 */
final class TailLoop {
  /**
   * Spool key of the wall-clock time (ms) the agent first started over this spool, written before its first look at
   * any file ({@link Tailer#restore(java.util.Collection, long)}).
   */
  static final String WATCHING_SINCE_KEY = "agent/watching-since";

  private final AgentConfig config;
  private final FileDiscovery discovery;
  private final Tailer tailer;
  private final FileEvents events;
  private final BatchSpooler spooler;
  private final AgentHealth health;
  private final Diagnostics diagnostics;
  private final Thread thread;
  /** The open files, republished by the tailing thread whenever the set changes. */
  private volatile List<TailedFile> fileSnapshot = List.of();
  private int restoredCount;

  TailLoop(AgentConfig config, FileDiscovery discovery, Tailer tailer, FileEvents events, BatchSpooler spooler,
      AgentHealth health, Diagnostics diagnostics) {
    this.config = config;
    this.discovery = discovery;
    this.tailer = tailer;
    this.events = events;
    this.spooler = spooler;
    this.health = health;
    this.diagnostics = diagnostics;
    this.thread = SluiceThreads.newThread(this::run, "sluice-agent-tail");
  }

  static byte[] encodeMillis(long millis) {
    return ByteBuffer.allocate(8).putLong(millis).array();
  }

  /** 0 when absent or not 8 bytes. */
  static long decodeMillis(byte[] value) {
    return value == null || value.length != 8 ? 0 : ByteBuffer.wrap(value).getLong();
  }

  /**
   * Before {@link #start}: hands the files' checkpoints stored in the spool to the tailer, with the time the agent
   * first watched over this spool (stored now if this is the first start).
   */
  void restore(Spool spool) {
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
      if (!spooler.spoolWritable(() -> spool.putCheckpoints(since))) {
        since.forEach(spooler::checkpoint); // disk full: with the first cut
      }
    }
    tailer.restore(restored, watchingSince);
    restoredCount = restored.size();
  }

  void start() {
    thread.start();
  }

  /** Wakes the thread after {@link AgentHealth#stop} and waits up to {@code timeoutMillis} for it to drain and end. */
  void awaitStop(long timeoutMillis) {
    LockSupport.unpark(thread);
    try {
      thread.join(timeoutMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Scan, read, cut, spool; park until the next deadline. */
  private void run() {
    try {
      discovery.openWatcher();
      long now = System.nanoTime();
      discovery.scan(tailer, now);
      List<Checkpoint> gone = tailer.recover(now);
      for (Checkpoint c : gone) spooler.checkpoint(c.key(), null);
      System.err.println("sluice-agent: recovered " + restoredCount + " checkpoints (" + gone.size()
          + " of files gone),"
          + " reading " + tailer.files().size() + " files, " + tailer.siblingsAdopted() + " of them rotated siblings");
      health.scanned();
      while (!health.stopping()) {
        now = System.nanoTime();
        health.beat(now);
        spooler.retryPending();
        if (discovery.scanDue(now)) discovery.scan(tailer, now);
        boolean more = tailer.poll(now);
        tailer.tick(now);
        if (events.takeFilesChanged()) fileSnapshot = List.copyOf(tailer.files());
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
      health.failed(e);
      diagnostics.warn("tailing stopped by an unexpected error; restart the agent", e);
    } finally {
      discovery.closeWatcher();
      spooler.close();
    }
  }

  // ---------------------------------------------------------------------------------------------- any thread

  boolean alive() {
    return thread.isAlive();
  }

  /** A batch waits for room in the spool, so reading waits: back-pressure, not a stall. */
  boolean waitingForRoom() {
    return spooler.waiting();
  }

  /** Open files, as of the tailing thread's last pass (a snapshot: safe from any thread). */
  List<TailedFile> files() {
    return fileSnapshot;
  }

  /** Bytes written to the open files and not read yet. */
  long lagBytes() {
    long lag = 0;
    for (TailedFile f : files()) lag += f.lagBytes();
    return lag;
  }

  long deferredFiles() { return tailer.deferred(); }
  long rotatedSiblingsRead() { return tailer.siblingsAdopted(); }
  int rememberedFiles() { return tailer.rememberedFiles(); }
}
