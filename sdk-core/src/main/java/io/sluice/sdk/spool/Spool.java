package io.sluice.sdk.spool;

import java.util.List;

/**
 * Durable, ordered store of compressed batches awaiting acknowledgement. Bounded by a byte cap. A batch gets the
 * next sequence number when appended and leaves only through {@link #remove} (acknowledged or rejected) or as the
 * victim of {@link WhenFull#DROP_OLDEST}. Thread-safe: one appending thread and one shipping thread may use it at
 * once. Never blocks on anything but the disk; waiting for room is the caller's business.
 */
public interface Spool extends AutoCloseable {

  /**
   * The outcome of {@link #append}.
   *
   * @param sequence the new batch's sequence, or -1 when it was refused for lack of room
   * @param evicted batches deleted to make room (only under {@link WhenFull#DROP_OLDEST})
   */
  record Append(long sequence, List<SpoolEntry> evicted) {
    public boolean accepted() {
      return sequence >= 0;
    }
  }

  /**
   * A spool directory that RocksDB found corrupt when it was opened, moved aside so that a fresh spool could start in
   * its place. Its batches were not shipped; the directory is kept, untouched, for inspection.
   *
   * @param movedTo where the corrupt directory (or the file that stood in its place) now is
   * @param reason RocksDB's error
   * @param bytes the size of the files moved aside
   */
  record Quarantine(java.nio.file.Path movedTo, String reason, long bytes) {}

  /** The corrupt directory this spool replaced when it was opened, if it did. */
  default java.util.Optional<Quarantine> quarantine() {
    return java.util.Optional.empty();
  }

  /**
   * False after a write failed (disk full, an I/O error) until a write succeeds again: batches already spooled can
   * still be read, shipped and removed meanwhile.
   */
  default boolean writable() {
    return true;
  }

  /**
   * Records in batches that could not be read back (RocksDB reported corruption: a damaged block) and were dropped
   * so that the batches after them keep shipping; {@link #read} answered null for them.
   */
  default long corruptRecords() {
    return 0;
  }

  /** Stable id of this spool's client, created with the spool. */
  String clientId();

  /** Chosen at random when the spool is created anew; with {@link #clientId()} it scopes sequence numbers. */
  long epoch();

  /**
   * Stores a batch under the next sequence number. When the cap would be exceeded: {@link WhenFull#DROP_OLDEST}
   * evicts the oldest batches (reported in the result), anything else refuses.
   *
   * @throws SpoolException when the disk write fails ({@link SpoolException#noSpace()} when the device is full); the
   *     batch is then not stored and nothing is evicted, and a later call tries again
   */
  default Append append(int recordCount, long uncompressedSize, byte[] payload, WhenFull whenFull) {
    return append(recordCount, uncompressedSize, payload, whenFull, java.util.Map.of());
  }

  /**
   * Like {@link #append(int, long, byte[], WhenFull)}, and stores {@code checkpoints} (name → opaque bytes, e.g. a
   * file's read offset) atomically with the batch: after a crash either both are there or neither. A refused batch
   * stores no checkpoint.
   */
  Append append(int recordCount, long uncompressedSize, byte[] payload, WhenFull whenFull,
      java.util.Map<String, byte[]> checkpoints);

  /** Every checkpoint stored with {@link #append(int, long, byte[], WhenFull, java.util.Map)}, by name. */
  java.util.Map<String, byte[]> checkpoints();

  /** Stores or deletes (null value) checkpoints without a batch, atomically. */
  void putCheckpoints(java.util.Map<String, byte[]> checkpoints);

  /** Whether a payload of this size fits now without evicting anything. */
  boolean hasRoomFor(long payloadBytes);

  /** The batch with this sequence, or null when it is gone. */
  SpoolEntry read(long sequence);

  /** The smallest sequence greater than {@code after} still in the spool, or -1. Use -1 to get the first. */
  long nextAfter(long after);

  /**
   * Deletes a batch; returns it (without payload) or null when it was already gone. Does not throw when the disk
   * write fails: the batch is gone from the spool's accounting at once, and its bytes on disk are deleted when the
   * spool can write again (at worst it is shipped once more after a restart: a duplicate, never a loss).
   */
  SpoolEntry remove(long sequence);

  long bytes();

  long batches();

  long records();

  @Override
  void close();
}
