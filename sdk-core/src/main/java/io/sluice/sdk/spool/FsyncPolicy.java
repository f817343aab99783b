package io.sluice.sdk.spool;

import java.util.Locale;

/** When the spool forces its writes to the disk. */
public enum FsyncPolicy {
  /**
   * Writes go to RocksDB's write-ahead log without fsync: a batch survives a crash of the process (the OS holds the
   * page cache), not a power loss or kernel crash. The fast default.
   */
  NEVER,
  /** Every batch write is fsynced before the batch is shipped: survives power loss, costs a disk flush per batch. */
  EVERY_BATCH;

  /** Parses {@code never}, {@code every-batch}, ... case-insensitively; null when unknown. */
  public static FsyncPolicy parse(String text) {
    if (text == null) return null;
    String norm = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    for (FsyncPolicy p : values()) {
      if (p.name().equals(norm)) return p;
    }
    return null;
  }
}
