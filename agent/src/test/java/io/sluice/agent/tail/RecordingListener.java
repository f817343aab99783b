package io.sluice.agent.tail;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Tailer.Listener} whose handler keeps every line (no multiline), records each line's end as the file's
 * record end (as the agent's processor does), and remembers releases. For tailer tests.
 */
final class RecordingListener implements Tailer.Listener {
  final List<String> lines = new ArrayList<>();
  final List<String> released = new ArrayList<>();
  long abandoned;
  AbandonReason lastReason;
  boolean mayRead = true;
  /** What the agent would keep in its spool for files no longer open: released files and remembered copies. */
  final java.util.Map<FileId, Checkpoint> stored = new java.util.LinkedHashMap<>();

  @Override
  public LineHandler open(TailedFile file) {
    return new LineHandler() {
      @Override
      public void onLine(Line line, long nowNanos) {
        lines.add(line.text());
        file.recordEmitted(line.end());
      }
      @Override
      public void tick(long nowNanos) {}
      @Override
      public void flush(long nowNanos) {}
      @Override
      public long pendingStart() { return Long.MAX_VALUE; }
    };
  }

  @Override
  public void afterLine(TailedFile file, long nowNanos) {}

  @Override
  public boolean mayRead() { return mayRead; }

  @Override
  public void truncated(TailedFile file, long lostBytes, long recoveredBytes) {}

  @Override
  public void released(TailedFile file, AbandonReason reason, long abandonedBytes) {
    released.add(file.path().getFileName().toString());
    abandoned += abandonedBytes;
    if (reason != null) lastReason = reason;
    stored.put(file.id(), new Checkpoint(file.id(), file.lineage().toString(),
        file.safeOffset(), file.fingerprint(), System.currentTimeMillis()));
  }

  @Override
  public void remember(Checkpoint c) { stored.put(c.id(), c); }

  @Override
  public void forget(Checkpoint c) { stored.remove(c.id()); }
}
