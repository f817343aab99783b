package io.sluice.agent;

import io.sluice.agent.tail.Checkpoint;
import io.sluice.agent.tail.TailedFile;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.batch.BatchPolicy;
import io.sluice.sdk.batch.Batcher;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.ShipWorker;
import io.sluice.sdk.spool.Spool;
import io.sluice.sdk.spool.SpoolException;
import io.sluice.sdk.spool.WhenFull;
import io.sluice.wire.ZstdCodec;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Batch, compress, spool: records from the files go into sdk-core's {@link Batcher} (encoded as they arrive, into
 * one reused array), and each cut batch is compressed ({@link ZstdCodec}, contexts reused) and written into the
 * spool together with the checkpoints of the files it came from, in one write. So a checkpoint only ever names the
 * end of a record that is in the spool (or earlier).
 *
 * <p>At most one compressed batch waits for room ({@link #waiting()}); while it waits the tailing thread reads
 * nothing (the files are the buffer) and drops nothing. A full disk is counted and warned about at most once a
 * minute. Bounded: one batch (plus the record that overflowed it) and one waiting batch. Not thread-safe: owned by
 * the tailing thread, except {@link #oldestUnackedAgeSeconds}, which any thread may call.
 */
final class BatchSpooler implements InputProcessor.Sink {
  private record PendingBatch(int count, long encodedSize, byte[] payload, Map<String, byte[]> checkpoints) {}

  private final PipelineConfig pipeline;
  private final Spool spool;
  private final ShipWorker shipWorker;
  private final AgentStats stats;
  private final Batcher batch;
  private final ZstdCodec zstd;
  /** Files with records in the current batch: their checkpoints go into the batch's write. */
  private final Set<TailedFile> inBatch = new LinkedHashSet<>();
  /** The file {@link #added} last put into {@link #inBatch}; null whenever inBatch changed otherwise. */
  private TailedFile lastAdded;
  /** Records added since the last cut, not yet in {@code stats.records}. */
  private long recordsInBatch;
  /**
   * Checkpoint changes for files with no record in the batch: copies remembered by identity (put), files gone
   * (deleted). Written with the next batch, or alone when the batch is empty.
   */
  private final Map<String, byte[]> extra = new LinkedHashMap<>();
  private final ConcurrentSkipListMap<Long, Long> appendedAt = new ConcurrentSkipListMap<>();
  private final long startNanos = System.nanoTime();
  private volatile PendingBatch pending;
  /** When the spool's disk was found full (System.nanoTime), 0 while it is not; and the last warning about it. */
  private long diskFullSince;
  private long diskFullWarned;

  /** Whether the agent is stopping (a service change then stops waiting for room; see {@link #enter}). */
  private final BooleanSupplier stopping;
  /** Called while waiting for room, so the agent's liveness sees the tailing thread alive. */
  private final Runnable heartbeat;

  BatchSpooler(PipelineConfig pipeline, Spool spool, ShipWorker shipWorker, AgentStats stats, byte[] resource,
      BooleanSupplier stopping, Runnable heartbeat) {
    this.pipeline = pipeline;
    this.spool = spool;
    this.shipWorker = shipWorker;
    this.stats = stats;
    this.stopping = stopping;
    this.heartbeat = heartbeat;
    this.batch = new Batcher(new BatchPolicy(pipeline.batchMaxRecords(), pipeline.batchMaxBytes(),
        pipeline.linger().toNanos()), pipeline.resource());
    this.batch.batch().resource(resource);
    this.zstd = new ZstdCodec(pipeline.zstdLevel());
  }

  /**
   * The sink of a file whose lines carry {@code resource} (its service, {@link ServiceResources}): a batch holds one
   * resource, so a record of another service cuts the batch first.
   */
  InputProcessor.Sink sink(byte[] resource) {
    return new InputProcessor.Sink() {
      @Override
      public void record(TailedFile file, LogRecord record) {
        enter(file, resource);
        BatchSpooler.this.record(file, record);
      }

      @Override
      public void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
          byte[] attributeFields, byte[] sourceFile, long offset, long length, boolean truncated) {
        enter(file, resource);
        BatchSpooler.this.plain(file, timeNanos, severityNumber, severityText, bodyUtf8, attributeFields, sourceFile,
            offset, length, truncated);
      }

      @Override
      public void encoded(TailedFile file, byte[] record, int off, int length) {
        enter(file, resource);
        BatchSpooler.this.encoded(file, record, off, length);
      }

      @Override
      public void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
          int bodyOffset, int bodyLength, byte[] attributeFields, byte[] sourceFile, long offset, long length,
          boolean truncated) {
        enter(file, resource);
        BatchSpooler.this.plain(file, timeNanos, severityNumber, severityText, bodyUtf8, bodyOffset, bodyLength,
            attributeFields, sourceFile, offset, length, truncated);
      }
    };
  }

  /**
   * Makes the batch one of {@code resource}: a batch of another service is cut first. The file's offset already
   * counts the record, so its checkpoint stays out of that cut and goes with the next batch. Waits for a batch held
   * back by a full spool (reading waits then anyway); only when stopping meanwhile does the record join the other
   * service's batch (labelled with that service, not lost).
   */
  private void enter(TailedFile file, byte[] resource) {
    if (batch.batch().hasResource(resource)) return;
    if (!batch.isEmpty()) {
      lastAdded = null;
      boolean had = inBatch.remove(file);
      while (pending != null && !stopping.getAsBoolean()) {
        heartbeat.run();
        retryPending();
        if (pending != null) LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(10));
      }
      if (pending == null) cut();
      if (had) inBatch.add(file);
    }
    if (batch.isEmpty()) batch.batch().resource(resource);
  }

  // ---------------------------------------------------------------------------------- records (InputProcessor)

  /** A record from a file: into the batch. The batch may pass its byte bound by one record (bounded by it). */
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

  @Override
  public void encoded(TailedFile file, byte[] record, int off, int length) {
    batch.addEncoded(record, off, length, firstAt());
    added(file);
  }

  @Override
  public void plain(TailedFile file, long timeNanos, int severityNumber, byte[] severityText, byte[] bodyUtf8,
      int bodyOffset, int bodyLength, byte[] attributeFields, byte[] sourceFile, long offset, long length,
      boolean truncated) {
    batch.addPlain(timeNanos, severityNumber, severityText, bodyUtf8, bodyOffset, bodyLength, attributeFields,
        sourceFile, offset, length, truncated, firstAt());
    added(file);
  }

  /** The clock is read for a batch's first record only (its linger starts there). */
  private long firstAt() {
    return batch.isEmpty() ? System.nanoTime() : 0;
  }

  private void added(TailedFile file) {
    if (file != lastAdded) { // a hash-set insert per record only when the file changes
      inBatch.add(file);
      lastAdded = file;
    }
    recordsInBatch++; // counted in stats.records when the batch is cut: no striped counter per record
  }

  // ---------------------------------------------------------------------------------- checkpoints without records

  /** This file's checkpoint goes into the next write (opened, truncated, released), even with no record of it. */
  void touched(TailedFile file) {
    inBatch.add(file);
  }

  /** A checkpoint to store as it is (a copy remembered by identity), or to delete ({@code value} null). */
  void checkpoint(String key, byte[] value) {
    extra.put(key, value);
  }

  /** Forgets a pending change of this key (an inode reused after a release: the new file's checkpoint wins). */
  void dropCheckpointChange(String key) {
    extra.remove(key);
  }

  /** Checkpoint changes wait with no batch to carry them. */
  boolean checkpointsWaiting() {
    return !extra.isEmpty() || !inBatch.isEmpty();
  }

  // ---------------------------------------------------------------------------------------------- cutting

  boolean ready(long nowNanos) {
    return batch.ready(nowNanos);
  }

  boolean isEmpty() {
    return batch.isEmpty();
  }

  long nanosUntilDue(long nowNanos) {
    return batch.nanosUntilDue(nowNanos);
  }

  /** A compressed batch waits for room in the spool: reading waits too. */
  boolean waiting() {
    return pending != null;
  }

  /**
   * Encodes, compresses and spools the current batch with the checkpoints of its files, in one write. Only when no
   * batch is waiting for room: at most one encoded batch is held, and batches reach the spool in read order.
   */
  void cut() {
    if (pending != null) return;
    lastAdded = null;
    stats.records.add(recordsInBatch);
    recordsInBatch = 0;
    Map<String, byte[]> checkpoints = new LinkedHashMap<>();
    for (TailedFile f : inBatch) {
      Checkpoint c = f.checkpoint(); // its look time is the last look that found it at its path, not now
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
    int encoded = batch.batch().length();
    byte[] compressed = batch.batch().compress(zstd);
    batch.clear();
    pending = new PendingBatch(count, encoded, compressed, checkpoints);
    retryPending();
  }

  /** Tries again to spool the batch waiting for room. */
  void retryPending() {
    PendingBatch p = pending;
    if (p == null) return;
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
    } else {
      stats.spoolFullWaits.increment();
    }
    shipWorker.wake();
  }

  /**
   * Runs a spool write; false if the spool's disk was full (ENOSPC): counted, warned about at most once a minute,
   * and the caller keeps what it wanted to write (the file is the buffer, so reading waits, nothing is dropped). The
   * spool reopens itself on a later write once space frees. Any other spool error propagates.
   */
  boolean spoolWritable(Runnable write) {
    try {
      write.run();
      if (diskFullSince != 0) {
        diskFullSince = 0;
        pipeline.diagnostics().warn("the spool's disk has room again; reading goes on", null);
      }
      return true;
    } catch (SpoolException e) {
      if (!e.noSpace()) throw e;
      stats.diskFullWaits.increment();
      long now = System.nanoTime();
      if (diskFullSince == 0 || now - diskFullWarned > TimeUnit.MINUTES.toNanos(1)) {
        if (diskFullSince == 0) diskFullSince = now;
        diskFullWarned = now;
        pipeline.diagnostics().warn("the spool's disk is full (" + e.getMessage() + "): reading waits, nothing is"
            + " dropped; free space on the spool's filesystem", null);
      }
      shipWorker.wake();
      return false;
    }
  }

  /** Seconds since the oldest batch still in the spool was written (a batch from a previous run counts from start). */
  double oldestUnackedAgeSeconds() {
    long first = spool.nextAfter(-1);
    if (first < 0) return 0;
    appendedAt.headMap(first).clear();
    Long at = appendedAt.get(first);
    long since = at == null ? startNanos : at;
    return (System.nanoTime() - since) / 1e9;
  }

  /** Frees the zstd contexts (tailing thread, at its end). */
  void close() {
    zstd.close();
  }
}
