package io.sluice.agent;

import io.sluice.agent.tail.AbandonReason;
import io.sluice.agent.tail.Checkpoint;
import io.sluice.agent.tail.LineHandler;
import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;

/**
 * What the tailer tells the agent about files: each event is counted ({@link AgentStats}), a file's checkpoint goes
 * into the next spool write ({@link BatchSpooler}), an opened file gets its {@link InputProcessor}, and read progress
 * goes to {@link AgentHealth}. Not thread-safe: called on the tailing thread only (by the {@link Tailer}, and
 * {@link #takeFilesChanged} by the {@link TailLoop}). Holds no buffer of its own; never blocks.
 */
final class FileEvents implements Tailer.Listener {
  private final AgentConfig config;
  private final FileDiscovery discovery;
  private final ServiceResources resources;
  private final BatchSpooler spooler;
  private final AgentStats stats;
  private final AgentHealth health;
  /** A file was opened or released since the tail loop last asked. */
  private boolean filesChanged;

  FileEvents(AgentConfig config, FileDiscovery discovery, ServiceResources resources, BatchSpooler spooler,
      AgentStats stats, AgentHealth health) {
    this.config = config;
    this.discovery = discovery;
    this.resources = resources;
    this.spooler = spooler;
    this.stats = stats;
    this.health = health;
  }

  /** Whether the set of open files changed since the last call (the tail loop then republishes it). */
  boolean takeFilesChanged() {
    boolean changed = filesChanged;
    filesChanged = false;
    return changed;
  }

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
    health.readProgress(nowNanos);
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
