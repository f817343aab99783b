package io.sluice.sdk.pipeline;

import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.SpoolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which spool directory a process gets when several share one {@code spoolDir} (two instances of a service on one
 * host, both on the default {@code $TMPDIR/sluice-spool/<service>}). RocksDB locks a directory for one process, so
 * the directories are numbered slots: {@code <spoolDir>} is slot 1, {@code <spoolDir>-instance-2} slot 2, up to
 * {@link #MAX_SLOTS}. A pipeline takes the lowest slot no other process holds, so instances that restart take the
 * same set of slots back and ship what each left; a slot that is not held but still holds batches (fewer instances
 * run than before) is adopted by a running pipeline and shipped under its own identity. Stateless.
 */
final class SpoolSlots {
  /** More instances than this on one host and one {@code spoolDir} fail to start, naming the remedy. */
  static final int MAX_SLOTS = 16;

  private SpoolSlots() {}

  /** The spool that was opened, its slot number (1 = the configured directory), and how many held slots came first. */
  record Opened(RocksDbSpool spool, Path dir, int slot, int heldByOthers) {}

  static Path slot(Path base, int n) {
    return n == 1 ? base : base.resolveSibling(base.getFileName() + "-instance-" + n);
  }

  /** The client id a slot's spool gets when it is created: a configured id would otherwise be shared. */
  private static String clientIdFor(PipelineConfig config, int n) {
    return config.clientId() == null || n == 1 ? config.clientId() : config.clientId() + "-instance-" + n;
  }

  /**
   * Opens the lowest slot no one holds.
   *
   * @throws SpoolException when every slot is held, or a slot cannot be opened for another reason
   */
  static Opened open(PipelineConfig config) {
    Path base = config.spoolDir();
    SpoolException firstHeld = null;
    for (int n = 1; n <= MAX_SLOTS; n++) {
      Path dir = slot(base, n);
      try {
        return new Opened(new RocksDbSpool(dir, config.spoolMaxBytes(), config.fsync(), clientIdFor(config, n)), dir,
            n, n - 1);
      } catch (SpoolException e) {
        if (!e.heldByAnother()) throw e;
        if (firstHeld == null) firstHeld = e;
      }
    }
    throw new SpoolException("cannot open spool " + base + " nor its " + (MAX_SLOTS - 1) + " numbered siblings ("
        + slot(base, 2).getFileName() + " ...): other processes hold all " + MAX_SLOTS + "; give each process its own"
        + " spoolDir", firstHeld, false, true);
  }

  /**
   * The other slots that exist, no one holds, and still hold batches: opened (so no one else takes them while they
   * ship) and returned. Slots that are held or empty are left alone; one that cannot be opened for another reason is
   * reported and skipped.
   */
  static List<RocksDbSpool> orphans(PipelineConfig config, int ownSlot, Diagnostics diagnostics) {
    List<RocksDbSpool> out = new ArrayList<>();
    for (int n = 1; n <= MAX_SLOTS; n++) {
      Path dir = slot(config.spoolDir(), n);
      if (n == ownSlot || !Files.isDirectory(dir) || !Files.exists(dir.resolve("CURRENT"))) continue;
      RocksDbSpool s;
      try {
        s = new RocksDbSpool(dir, config.spoolMaxBytes(), config.fsync(), clientIdFor(config, n));
      } catch (SpoolException e) {
        if (!e.heldByAnother()) diagnostics.warn("could not look into spool " + dir + ": " + e.getMessage(), null);
        continue;
      }
      if (s.batches() > 0) {
        out.add(s);
      } else {
        s.close();
      }
    }
    return out;
  }
}
