package io.sluice.agent.tail;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Map;

/**
 * One open file and its read state. Owned by the {@link Tailer} (and read by the agent on the tailing thread);
 * metric fields are volatile so the metrics endpoint may read them from another thread.
 */
public final class TailedFile {
  final FileId id;
  final FileChannel channel;
  final LineSplitter splitter;
  LineHandler handler;
  volatile Path path;
  /**
   * The watched path this file was found at (or, for a rotated sibling read after a restart, the watched path it
   * was rotated from). Files of one lineage are read in {@link #order}: a rotated file before the file that replaced
   * it at the same path.
   */
  final Path lineage;
  /** Rotation order within the lineage: a file is read only when every file of its lineage with a lower order is at its end. */
  long order;
  /** Wall-clock time the file was opened (the look before the first {@link #lastLookWallMillis}). */
  long openedWallMillis;
  /**
   * Wall-clock time of the last look that found this file at its lineage's path (its open there, then every pass
   * while it stays there); for a file opened elsewhere (a rotated sibling or copy adopted after a restart) the look
   * time its checkpoint carried, else 0 (unknown). What its checkpoint says as {@code seenAtMillis}: any file that
   * replaced it at the path was written after this, never after the time the checkpoint was written.
   */
  long pathLookWallMillis;
  volatile FileState state = FileState.ACTIVE;
  long stateSinceNanos;
  long lastGrowthNanos;
  long lastVerifiedSize = -1;
  volatile long size;
  Fingerprint fingerprint;
  /** End offset of the last record emitted from this file, or where reading restarted; the checkpoint candidate. */
  long recordEnd;
  /** Wall-clock time of the last size check (0: never, e.g. just restored); bounds the copytruncate search. */
  long lastLookWallMillis;
  /**
   * The same look in epoch nanoseconds from a precise clock. File times come from the kernel's coarse clock, which
   * never runs ahead: a change made before this look always has an earlier ctime.
   */
  long lastLookWallNanos;
  /**
   * Hash of the bytes just before {@link #tailCheckOffset} (at most {@link Tailer#TAIL_CHECK_BYTES}), or 0 when none:
   * a truncation followed by a rewrite whose first bytes equal the old ones (same header) and that grew past our
   * position changes neither the size check nor the fingerprint, but almost surely changes these bytes.
   */
  long tailCheckHash;
  /** The position {@link #tailCheckHash} was taken at (-1: none). */
  long tailCheckOffset = -1;
  /** Reading failed: released at the end of this pass. */
  boolean failed;
  final Map<String, String> attributes;
  volatile long bytesRead;
  volatile long linesRead;
  volatile long truncations;

  TailedFile(FileId id, Path path, Path lineage, FileChannel channel, LineSplitter splitter, Fingerprint fingerprint,
      long startOffset, Map<String, String> attributes, long nowNanos) {
    this.id = id;
    this.path = path;
    this.lineage = lineage;
    this.channel = channel;
    this.splitter = splitter;
    this.fingerprint = fingerprint;
    this.recordEnd = startOffset;
    this.attributes = attributes;
    this.stateSinceNanos = nowNanos;
    this.lastGrowthNanos = nowNanos;
  }

  public FileId id() { return id; }
  /** The watched path this file belongs to (see the field); what its checkpoint records. */
  public Path lineage() {
    return lineage;
  }
  public Path path() { return path; }
  public FileState state() { return state; }
  public Fingerprint fingerprint() { return fingerprint; }
  /** Offset of the next byte to read. */
  public long position() { return splitter.position(); }
  /** The file's size when last looked at. */
  public long size() { return size; }
  /** Bytes written and not read yet. */
  public long lagBytes() { return Math.max(0, size - splitter.position()); }
  public long bytesRead() { return bytesRead; }
  public long linesRead() { return linesRead; }
  public long truncations() { return truncations; }
  /** Attributes derived from the path (Kubernetes metadata), fixed at open. */
  public Map<String, String> attributes() {
    return attributes;
  }

  /** Where a restart resumes this file (see {@link #safeOffset}), and when the agent last found it at its path. */
  public Checkpoint checkpoint() {
    return new Checkpoint(id, lineage.toString(), safeOffset(), fingerprint,
        pathLookWallMillis);
  }

  /** Records the end offset of a record just emitted: the checkpoint may move there (never backwards). */
  public void recordEmitted(long end) {
    recordEnd = Math.max(recordEnd, end);
  }

  /**
   * Where a restart may resume without losing a line: the end of the last emitted record, but never past a line
   * still held by the splitter or the handler.
   */
  public long safeOffset() {
    long held = Math.min(splitter.pendingStart(), handler == null ? Long.MAX_VALUE : handler.pendingStart());
    return Math.min(recordEnd, held);
  }

  @Override
  public String toString() {
    return path + " (" + id + ", " + state + ", at " + position() + ")";
  }
}
