package io.sluice.sdk.spool;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A {@link Spool} in RocksDB. Keys: {@code 'b' + sequence (8 bytes, big-endian)} → {@code recordCount (4) +
 * uncompressedSize (8) + payload}; meta keys {@code m:client}, {@code m:epoch}, {@code m:next}. Every append writes
 * the batch and the next sequence in one {@link WriteBatch}, so sequence numbers never repeat within an epoch, even
 * after every batch was acknowledged and the process restarted. An in-memory index of (sequence → size, records)
 * answers ordering and accounting without touching the disk. Thread-safe (see {@link Spool}).
 *
 * <p>Failure modes (each documented in sdk-core's README):
 * <ul>
 *   <li><b>Disk full / write error.</b> The failed write stores nothing and throws a {@link SpoolException}
 *       ({@link SpoolException#noSpace()} for ENOSPC). RocksDB refuses every write after such an error, even once
 *       space is free, so the spool then reopens RocksDB, at most every {@link #RECOVERY_INTERVAL_NANOS}, on the next
 *       append or remove; until that succeeds it serves reads from a read-only handle (already spooled batches keep
 *       shipping) and removes only from its in-memory index. After a successful reopen it deletes from disk every
 *       batch its index no longer holds (acknowledged or evicted meanwhile).
 *   <li><b>Write stall.</b> RocksDB stops writes while level-0 files or memtables wait for a compaction or flush; on
 *       a full disk that wait never ends. No write waits inside RocksDB ({@code no_slowdown}): one that stalls is
 *       retried with no lock held that close() needs, for {@link #STALL_PATIENCE_NANOS} when the device cannot hold
 *       what RocksDB waits for (then it fails as no space), else up to {@link #STALL_LIMIT_NANOS} (then it fails as a
 *       write error). The handle stays open so that its flush or compaction finishes in the background once space
 *       frees; the next attempts (as above) just write again.
 *   <li><b>Corrupt directory at open.</b> When RocksDB reports corruption (or a file stands where the directory
 *       should be) the directory is renamed to {@code <dir>.corrupt-<UTC time>}, kept for inspection, and a fresh
 *       spool (new epoch) starts in its place; {@link #quarantine()} says so. Any other open failure (a second process
 *       holding the lock, permissions, no space) throws, naming the directory and the remedy.
 * </ul>
 */
public final class RocksDbSpool implements Spool {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte BATCH = 'b';
  private static final byte[] META_CLIENT = "m:client".getBytes(StandardCharsets.UTF_8);
  private static final byte[] META_EPOCH = "m:epoch".getBytes(StandardCharsets.UTF_8);
  private static final byte[] META_NEXT = "m:next".getBytes(StandardCharsets.UTF_8);
  /** Every batch below this sequence is deleted, whether or not a tombstone says so (see {@link #low}). */
  private static final byte[] META_LOW = "m:low".getBytes(StandardCharsets.UTF_8);
  /** The kernel boot the spool was last opened in (Linux {@code /proc/sys/kernel/random/boot_id}). */
  private static final byte[] META_BOOT = "m:boot".getBytes(StandardCharsets.UTF_8);
  /**
   * How far the next sequence moves when the spool is opened in another boot than it was last opened in. Without
   * fsync a power loss or kernel crash can lose the last appends, the next-sequence counter among them, while a
   * collector already published (and remembered) some of those sequences; new batches must not reuse them, or a
   * collector's resend suppression and the backend's de-duplication would take new lines for old ones. 2^24 batches
   * is far more than can be written in the seconds before the kernel flushes its dirty pages.
   */
  static final long REBOOT_SEQUENCE_GAP = 1L << 24;
  private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
  private static final int HEADER = 12;

  private record Meta(int recordCount, long uncompressedSize, int payloadBytes) {}

  private final Path dir;
  private final long maxBytes;
  /**
   * RocksDB's memtables: two of 4 MiB. A batch is usually acknowledged and deleted while it is still in the memtable
   * (the flush then drops both), so larger memtables only hold more resident memory (with two of 8 MiB and an 8 MiB
   * cache the agent's peak RSS at 10 MiB/s was about 10 MiB higher, one bench run each).
   */
  static final long WRITE_BUFFER_BYTES = 4L << 20;
  /**
   * RocksDB's block cache, for index and filter blocks only: batches are read once, so their reads bypass the cache
   * ({@link #readOptions}).
   */
  static final long BLOCK_CACHE_BYTES = 2L << 20;

  /**
   * Size of the SST files compactions write. Small, so that the files holding only deleted batches (below the oldest
   * batch still spooled) can be dropped whole ({@link #reclaim}) instead of waiting for a compaction to rewrite them.
   */
  static final long TARGET_FILE_BYTES = 4L << 20;
  /** Deleted payload bytes since the last {@link #reclaim}; reclaimed every {@link #TARGET_FILE_BYTES}. */
  private final AtomicLong deletedSinceReclaim = new AtomicLong();

  private final Options options;
  private final org.rocksdb.LRUCache blockCache;
  /**
   * Every write after the open: {@code no_slowdown}, so RocksDB refuses a write it would make wait (level-0 files or
   * memtables waiting for a compaction or flush) instead of parking the calling thread inside RocksDB, where neither
   * close() nor the shipper could get past it, for good when the flush or compaction cannot finish on a full disk.
   */
  private final WriteOptions writeOptions;
  private final org.rocksdb.ReadOptions readOptions;
  /**
   * Read-write, also while it stalls (see {@link #reopenNeeded}); after a reopen that failed, a read-only handle; null
   * only if even that failed.
   */
  private volatile RocksDB db;
  private final String clientId;
  private final long epoch;
  private final ConcurrentSkipListMap<Long, Meta> index = new ConcurrentSkipListMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong corruptRecords = new AtomicLong();
  private final Object appendLock = new Object();
  /** Read side: any use of {@code db}; write side: close. RocksDB must not be touched after close. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock lifecycle =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private long nextSequence;
  private final java.util.function.Supplier<String> boot;
  private boolean rebooted;
  /**
   * Guarded by appendLock: the oldest sequence that may still be spooled, stored as {@code m:low} with every write
   * that advances it. Batches evicted by {@link WhenFull#DROP_OLDEST} get no tombstone: they are below it, a start
   * ignores them, and {@link #reclaim} drops the SST files holding them whole. Tombstones would make every flushed file
   * span from the oldest key to the newest, so that each compaction rewrote the whole spool: at its cap through an
   * outage the files on disk grew to about 3x the cap (64 MiB cap: 185 MiB; see sdk-core's README).
   */
  private long low;
  private volatile boolean closed;
  /** The last write failure, null while writes succeed. */
  private volatile SpoolException writeFailure;
  /**
   * Whether {@link #db} must be reopened before it can take writes again: it is in RocksDB's background-error state
   * (a failed flush or write) or read-only. False while it is a healthy read-write handle that only refused a write for
   * a stall: it is kept open, so that its own flush and compaction can finish in the background, and a later
   * {@link #recover} just tries the write again.
   */
  private volatile boolean reopenNeeded;
  /** Guarded by appendLock. */
  private long nextRecoveryAt;
  private final Quarantine quarantine;

  /**
   * Minimum time between two attempts to reopen RocksDB after a failed write: each attempt closes and reopens the
   * database (replaying its write-ahead log), so a spool on a full disk does not do it for every batch.
   */
  static final long RECOVERY_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);

  /**
   * How long one append or delete retries a write RocksDB refused for a stall (see {@link #writeOptions}) before it
   * looks at the device: when it has less free than RocksDB's pending flush and compactions need, they cannot finish,
   * and the write fails at once (no space) so that the batcher and the shipper keep moving. With room they finish:
   * the write is retried up to {@link #STALL_LIMIT_NANOS}. Between attempts no lock is held that close() needs.
   */
  static final long STALL_PATIENCE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
  /** The longest a write retries a stall with room on the device (a device far too slow): then it fails. */
  static final long STALL_LIMIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
  private static final long STALL_POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(2);

  private record Loaded(String clientId, long epoch, long nextSequence, long low) {}

  /**
   * Opens or creates the spool in {@code dir}.
   *
   * @param maxBytes cap on the payload bytes held; at the cap {@link WhenFull} decides
   * @param fsync whether each append is fsynced
   * @param clientIdIfNew the client id to store when the spool is created (null: a random UUID)
   * @throws SpoolException when the directory cannot be created or RocksDB cannot open it for a reason other than
   *     corruption (locked by another process, permissions, no space); a corrupt directory is moved aside instead
   *     ({@link #quarantine()})
   */
  public RocksDbSpool(Path dir, long maxBytes, FsyncPolicy fsync, String clientIdIfNew) {
    this(dir, maxBytes, fsync, clientIdIfNew, RocksDbSpool::currentBoot);
  }

  /** As above, with the current boot's id from {@code boot} (null: unknown, the sequence never jumps). */
  RocksDbSpool(Path dir, long maxBytes, FsyncPolicy fsync, String clientIdIfNew,
      java.util.function.Supplier<String> boot) {
    this.boot = boot;
    this.dir = dir;
    this.maxBytes = maxBytes;
    Quarantine moved = null;
    if (Files.exists(dir) && !Files.isDirectory(dir)) {
      moved = quarantine(dir, dir + " exists but is not a directory");
    }
    createDirectory(dir);
    // Memory is bounded here, not by RocksDB's defaults (a 64 MiB memtable, an unbounded table cache): a spool is a
    // short-lived queue of already compressed batches, written once, read once, deleted.
    this.blockCache = new org.rocksdb.LRUCache(BLOCK_CACHE_BYTES);
    this.options = new Options().setCreateIfMissing(true)
        .setWriteBufferSize(WRITE_BUFFER_BYTES)
        .setMaxWriteBufferNumber(2)
        .setMaxOpenFiles(64)
        .setMaxBackgroundJobs(2)
        .setTableFormatConfig(new org.rocksdb.BlockBasedTableConfig().setBlockCache(blockCache)
            .setCacheIndexAndFilterBlocks(true)) // table readers' index blocks count against the cache too
        .setCompressionType(CompressionType.NO_COMPRESSION) // payloads are zstd already
        .setMaxTotalWalSize(64L << 20)
        .setTargetFileSizeBase(TARGET_FILE_BYTES)
        .setLevel0FileNumCompactionTrigger(2)
        .setLevel0SlowdownWritesTrigger(4)
        .setLevel0StopWritesTrigger(6)
        .setKeepLogFileNum(2)
        .setInfoLogLevel(org.rocksdb.InfoLogLevel.WARN_LEVEL);
    this.writeOptions = new WriteOptions().setSync(fsync == FsyncPolicy.EVERY_BATCH).setNoSlowdown(true);
    this.readOptions = new org.rocksdb.ReadOptions().setFillCache(false);
    Loaded loaded;
    try {
      try {
        loaded = openAndLoad(clientIdIfNew);
      } catch (RocksDBException e) {
        if (!isCorruption(e) || moved != null) throw e;
        moved = quarantine(dir, e.getMessage());
        createDirectory(dir);
        loaded = openAndLoad(clientIdIfNew);
      }
    } catch (RocksDBException | SpoolException e) {
      closeHandles();
      if (e instanceof SpoolException se) throw se;
      throw new SpoolException(openFailure((RocksDBException) e), e, isNoSpace((RocksDBException) e),
          isHeld((RocksDBException) e));
    }
    this.clientId = loaded.clientId();
    this.epoch = loaded.epoch();
    this.nextSequence = loaded.nextSequence();
    this.low = loaded.low();
    this.quarantine = moved;
  }

  private static void createDirectory(Path dir) {
    try {
      Files.createDirectories(dir);
    } catch (Exception e) {
      throw new SpoolException("cannot create spool directory " + dir + "; check spoolDir and its permissions", e);
    }
  }

  /** Opens RocksDB into {@link #db} and fills the index; on failure nothing stays open or indexed. */
  private Loaded openAndLoad(String clientIdIfNew) throws RocksDBException {
    db = RocksDB.open(options, dir.toString());
    try {
      return load(clientIdIfNew);
    } catch (RocksDBException | RuntimeException e) {
      db.close();
      db = null;
      index.clear();
      bytes.set(0);
      records.set(0);
      throw e;
    }
  }

  private Loaded load(String clientIdIfNew) throws RocksDBException {
    String id;
    long newEpoch;
    byte[] client = db.get(META_CLIENT);
    byte[] epochBytes = db.get(META_EPOCH);
    if (client == null || epochBytes == null) {
      id = clientIdIfNew != null ? clientIdIfNew : UUID.randomUUID().toString();
      newEpoch = new SecureRandom().nextLong() & Long.MAX_VALUE;
      try (WriteBatch wb = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
        wb.put(META_CLIENT, id.getBytes(StandardCharsets.UTF_8));
        wb.put(META_EPOCH, ByteBuffer.allocate(8).putLong(newEpoch).array());
        wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(1).array());
        db.write(sync, wb);
      }
    } else {
      id = new String(client, StandardCharsets.UTF_8);
      newEpoch = ByteBuffer.wrap(epochBytes).getLong();
    }
    byte[] next = db.get(META_NEXT);
    long seq = next == null ? 1 : ByteBuffer.wrap(next).getLong();
    String bootNow = boot.get();
    byte[] bootBefore = db.get(META_BOOT);
    boolean jump = bootNow != null && bootBefore != null
        && !bootNow.equals(new String(bootBefore, StandardCharsets.UTF_8));
    byte[] lowBytes = db.get(META_LOW);
    long lowest = lowBytes == null ? 0 : ByteBuffer.wrap(lowBytes).getLong();
    try (RocksIterator it = db.newIterator(readOptions)) { // read once: not through the block cache
      for (it.seek(key(lowest)); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length != 9 || key[0] != BATCH) break;
        long s = ByteBuffer.wrap(key, 1, 8).getLong();
        byte[] value = it.value();
        ByteBuffer v = ByteBuffer.wrap(value);
        Meta m = new Meta(v.getInt(), v.getLong(), value.length - HEADER);
        index.put(s, m);
        bytes.addAndGet(m.payloadBytes());
        records.addAndGet(m.recordCount());
        seq = Math.max(seq, s + 1);
      }
      it.status(); // a corrupt block ends the scan with an error, not silently
    }
    if (bootNow != null && (jump || bootBefore == null)) {
      if (jump) seq += REBOOT_SEQUENCE_GAP;
      try (WriteBatch wb = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
        wb.put(META_BOOT, bootNow.getBytes(StandardCharsets.UTF_8));
        wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(seq).array());
        db.write(sync, wb);
      }
    }
    rebooted |= jump;
    return new Loaded(id, newEpoch, seq, lowest);
  }

  private static String currentBoot() {
    try {
      return Files.readString(BOOT_ID, StandardCharsets.US_ASCII).trim();
    } catch (Exception e) {
      return null; // not Linux: no jump (see REBOOT_SEQUENCE_GAP)
    }
  }

  /**
   * Whether this open found the spool written in an earlier boot of the machine, so new batches start
   * {@link #REBOOT_SEQUENCE_GAP} sequences above what it held (batches already spooled keep theirs).
   */
  public boolean openedAfterReboot() {
    return rebooted;
  }

  /** Renames a corrupt spool directory (or a file in its place) to {@code <dir>.corrupt-<UTC time>}. */
  private static Quarantine quarantine(Path dir, String reason) {
    String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
        .withZone(java.time.ZoneOffset.UTC).format(java.time.Instant.now());
    Path target = dir.resolveSibling(dir.getFileName() + ".corrupt-" + stamp);
    for (int i = 1; Files.exists(target); i++)
      target = dir.resolveSibling(dir.getFileName() + ".corrupt-" + stamp + "-" + i);
    try {
      Files.move(dir, target);
    } catch (Exception e) {
      throw new SpoolException("spool " + dir + " is corrupt (" + reason + ") and could not be moved aside to " + target
          + ": " + e + "; move or delete it by hand", e);
    }
    long size = 0;
    try (java.util.stream.Stream<Path> files = Files.walk(target)) {
      size = files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    } catch (Exception e) {
      // the size is for the report only
    }
    return new Quarantine(target, reason, size);
  }

  /** RocksDB's "lock hold by current process" (this JVM) or "While lock file: ...: Resource temporarily unavailable". */
  static boolean isHeld(RocksDBException e) {
    String msg = String.valueOf(e.getMessage());
    return msg.contains("lock hold by current process") || (msg.contains("lock file") && !isNoSpace(e)
        && !msg.contains("Permission denied") && !msg.contains("No such file"));
  }

  private String openFailure(RocksDBException e) {
    String msg = String.valueOf(e.getMessage());
    if (isHeld(e)) {
      return "cannot open spool " + dir + ": another process holds it (" + msg
          + "); give each process its own spoolDir";
    }
    if (isNoSpace(e)) {
      return "cannot open spool " + dir + ": no space left on the device (" + msg + "); free space there or point"
          + " spoolDir at a larger filesystem";
    }
    return "cannot open spool " + dir + ": " + msg + "; check spoolDir, its permissions and free space";
  }

  static boolean isCorruption(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Corruption;
  }

  /** A write refused because RocksDB would have had to wait for it ({@code no_slowdown}): {@code Incomplete}. */
  static boolean isStalled(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Incomplete;
  }

  static boolean isNoSpace(RocksDBException e) {
    return (e.getStatus() != null && e.getStatus().getSubCode() == org.rocksdb.Status.SubCode.NoSpace)
        || String.valueOf(e.getMessage()).contains("No space left on device");
  }

  /** Records a failed write (the spool is no longer {@link #writable()}) and returns the exception to throw. */
  private SpoolException writeFailed(String what, RocksDBException e) {
    boolean noSpace = isNoSpace(e);
    SpoolException failure = new SpoolException("cannot " + what + " spool " + dir + ": "
        + (noSpace ? "no space left on the device (" + e.getMessage() + "); spooled batches keep shipping, new"
            + " ones are refused until space frees" : e.getMessage()),
        e, noSpace);
    writeFailure = failure;
    reopenNeeded = true;
    return failure;
  }

  /**
   * Writes {@code wb} to {@link #db}. A write RocksDB refuses for a stall is tried again every
   * {@link #STALL_POLL_NANOS} for up to {@link #STALL_PATIENCE_NANOS}, or {@link #STALL_LIMIT_NANOS} when the device
   * has room for what RocksDB waits for, with the lifecycle lock released in between, so that close() never waits
   * behind it.
   *
   * @return null once written; RocksDB's refusal when it still stalled at the end
   * @throws RocksDBException any other write failure
   * @throws SpoolException when the spool was closed meanwhile
   */
  private RocksDBException writeOrStall(WriteBatch wb) throws RocksDBException {
    long start = System.nanoTime();
    boolean roomSeen = false;
    while (true) {
      lifecycle.readLock().lock();
      try {
        if (closed) throw new SpoolException("spool " + dir + " is closed", null);
        db.write(writeOptions, wb);
        return null;
      } catch (RocksDBException e) {
        if (!isStalled(e)) throw e;
        long waited = System.nanoTime() - start;
        if (waited >= STALL_LIMIT_NANOS) return e;
        if (waited >= STALL_PATIENCE_NANOS && !roomSeen) {
          if (!room().enough()) return e;
          roomSeen = true;
        }
      } finally {
        lifecycle.readLock().unlock();
      }
      java.util.concurrent.locks.LockSupport.parkNanos(STALL_POLL_NANOS);
    }
  }

  /** Bytes free on the spool's device (-1: unknown) and about what RocksDB's pending flush and compactions need. */
  private record Room(long free, long needed) {
    boolean enough() {
      return free < 0 || free >= needed;
    }
  }

  private Room room() {
    long free = -1;
    long needed = WRITE_BUFFER_BYTES;
    try {
      free = Files.getFileStore(dir).getUsableSpace();
      lifecycle.readLock().lock();
      try {
        if (!closed && db != null) needed += db.getLongProperty("rocksdb.estimate-pending-compaction-bytes");
      } finally {
        lifecycle.readLock().unlock();
      }
    } catch (Exception unknown) {
      // what is known is enough for the decision and the message
    }
    return new Room(free, needed);
  }

  /**
   * Records a write that still stalled after {@link #writeOrStall} gave up (the spool is no longer
   * {@link #writable()}; the handle stays open and a later {@link #recover} tries again) and returns the exception
   * to throw: no space when the device cannot hold what RocksDB waits for.
   */
  private SpoolException stalled(String what, RocksDBException e) {
    Room room = room();
    boolean noSpace = !room.enough();
    String state = "RocksDB refuses writes while it waits for a flush or compaction ("
        + (room.free() < 0 ? "free space unknown" : room.free() + " bytes free") + ", about " + room.needed()
        + " needed)";
    SpoolException failure = new SpoolException("cannot " + what + " spool " + dir + ": " + (noSpace
        ? "no space left on the device for that (" + state + "); spooled batches keep shipping, new ones are"
            + " refused until space frees"
        : state + "; new batches are refused until it catches up"), e, noSpace);
    writeFailure = failure;
    return failure;
  }

  /**
   * After a failed write (at most every {@link #RECOVERY_INTERVAL_NANOS}): when the handle is in RocksDB's
   * background-error state, the only way out is to reopen RocksDB; when it only stalled, the same handle is asked
   * again. Either way a successful reconciling write (the batches the index dropped meanwhile are deleted from disk)
   * makes the spool writable and returns true. Never waits for RocksDB: a reopened RocksDB that cannot take the
   * reconciling write yet (level-0 files or memtables waiting for a compaction or flush, which cannot finish while
   * the disk is full) stays open, serving reads, and its flush or compaction goes on in the background until a later
   * attempt finds it done. Reopening it instead would throw that work away, and add one more level-0 file (the
   * replayed write-ahead log) each time. When even the reopen fails, a read-only handle serves the reads.
   */
  private boolean recover() {
    synchronized (appendLock) {
      if (writeFailure == null) return true;
      long now = System.nanoTime();
      if (now - nextRecoveryAt < 0) return false;
      nextRecoveryAt = now + RECOVERY_INTERVAL_NANOS;
      if (!reopenNeeded) {
        lifecycle.readLock().lock();
        try {
          if (closed || db == null) return false;
          reconcile(db);
          writeFailure = null;
          return true;
        } catch (RocksDBException e) {
          if (!isStalled(e)) writeFailed("write to", e); // the next attempt reopens
          return false;
        } finally {
          lifecycle.readLock().unlock();
        }
      }
      lifecycle.writeLock().lock();
      try {
        if (closed) return false;
        if (db != null) db.close();
        db = null;
        try {
          db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
          writeFailed("reopen", e);
          try {
            db = RocksDB.openReadOnly(options, dir.toString());
          } catch (RocksDBException readOnly) {
            db = null; // reads answer null until a later attempt succeeds
          }
          return false;
        }
        reopenNeeded = false;
        try {
          reconcile(db);
          writeFailure = null;
          return true;
        } catch (RocksDBException e) {
          // Stalled: the failure that led here stands (a full disk stays counted as one), the handle stays.
          if (!isStalled(e)) writeFailed("reopen", e);
          return false;
        }
      } finally {
        lifecycle.writeLock().unlock();
      }
    }
  }

  /** Deletes every batch on disk that the index no longer holds, and stores the next sequence. */
  private void reconcile(RocksDB handle) throws RocksDBException {
    long newLow = firstLive();
    try (WriteBatch wb = new WriteBatch(); RocksIterator it = handle.newIterator(readOptions)) {
      for (it.seek(key(newLow)); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length != 9 || key[0] != BATCH) break;
        if (!index.containsKey(ByteBuffer.wrap(key, 1, 8).getLong())) wb.delete(key);
      }
      it.status();
      wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(nextSequence).array());
      wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
      handle.write(writeOptions, wb); // no_slowdown: a stall throws (Incomplete), see recover()
    }
    low = newLow;
  }

  /** Throws the last write failure again unless a reopen succeeds now. */
  private void ensureWritable() {
    SpoolException failure = writeFailure;
    if (failure == null || recover()) return;
    failure = writeFailure;
    throw new SpoolException(failure.getMessage(), failure.getCause(), failure.noSpace());
  }

  private void closeHandles() {
    writeOptions.close();
    readOptions.close();
    options.close();
    blockCache.close();
  }

  @Override
  public java.util.Optional<Quarantine> quarantine() {
    return java.util.Optional.ofNullable(quarantine);
  }

  @Override
  public boolean writable() {
    return writeFailure == null;
  }

  private static byte[] key(long sequence) {
    return ByteBuffer.allocate(9).put(BATCH).putLong(sequence).array();
  }

  @Override
  public String clientId() {
    return clientId;
  }

  @Override
  public long epoch() {
    return epoch;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public boolean hasRoomFor(long payloadBytes) {
    return bytes.get() + payloadBytes <= maxBytes;
  }

  @Override
  public Append append(int recordCount, long uncompressedSize, byte[] payload, WhenFull whenFull,
      Map<String, byte[]> checkpoints) {
    synchronized (appendLock) {
      if (closed) throw new SpoolException("spool " + dir + " is closed", null);
      ensureWritable();
      // DROP_OLDEST's victims are deleted in the same WriteBatch as the new batch is written: a failed write evicts
      // nothing, so nothing leaves the spool uncounted.
      List<Long> victims = List.of();
      long newLow = low;
      if (!hasRoomFor(payload.length)) {
        if (whenFull != WhenFull.DROP_OLDEST || payload.length > maxBytes) return new Append(-1, List.of());
        victims = new ArrayList<>();
        long freed = 0;
        for (Map.Entry<Long, Meta> e : index.entrySet()) {
          if (bytes.get() - freed + payload.length <= maxBytes) break;
          victims.add(e.getKey());
          freed += e.getValue().payloadBytes();
        }
        Long next = victims.isEmpty() ? null : index.higherKey(victims.get(victims.size() - 1));
        if (!victims.isEmpty()) newLow = next != null ? next : nextSequence;
      }
      long seq = nextSequence;
      byte[] value = ByteBuffer.allocate(HEADER + payload.length).putInt(recordCount).putLong(uncompressedSize)
          .put(payload).array();
      RocksDBException stall;
      try (WriteBatch wb = new WriteBatch()) {
        wb.put(key(seq), value);
        wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(seq + 1).array());
        if (newLow > low) wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
        addCheckpoints(wb, checkpoints);
        stall = writeOrStall(wb);
      } catch (RocksDBException e) {
        throw writeFailed("write to", e);
      }
      if (stall != null) throw stalled("write to", stall);
      List<SpoolEntry> evicted = victims.isEmpty() ? List.of() : new ArrayList<>(victims.size());
      for (long victim : victims) {
        // The shipper may have removed it meanwhile (acknowledged): then it was not evicted.
        Meta m = index.remove(victim);
        if (m == null) continue;
        bytes.addAndGet(-m.payloadBytes());
        records.addAndGet(-m.recordCount());
        evicted.add(new SpoolEntry(victim, m.recordCount(), m.uncompressedSize(), null));
        deletedSinceReclaim.addAndGet(m.payloadBytes());
      }
      index.put(seq, new Meta(recordCount, uncompressedSize, payload.length));
      bytes.addAndGet(payload.length);
      records.addAndGet(recordCount);
      nextSequence = seq + 1;
      if (newLow > low) low = newLow;
      maybeReclaim();
      return new Append(seq, evicted);
    }
  }

  private static final byte[] CHECKPOINT_PREFIX = "c:".getBytes(StandardCharsets.UTF_8);

  private static byte[] checkpointKey(String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] k = new byte[CHECKPOINT_PREFIX.length + n.length];
    System.arraycopy(CHECKPOINT_PREFIX, 0, k, 0, CHECKPOINT_PREFIX.length);
    System.arraycopy(n, 0, k, CHECKPOINT_PREFIX.length, n.length);
    return k;
  }

  private static void addCheckpoints(WriteBatch wb, Map<String, byte[]> checkpoints) throws RocksDBException {
    for (Map.Entry<String, byte[]> c : checkpoints.entrySet()) {
      if (c.getValue() == null) wb.delete(checkpointKey(c.getKey()));
      else wb.put(checkpointKey(c.getKey()), c.getValue());
    }
  }

  @Override
  public void putCheckpoints(Map<String, byte[]> checkpoints) {
    ensureWritable();
    RocksDBException stall;
    try (WriteBatch wb = new WriteBatch()) {
      addCheckpoints(wb, checkpoints);
      stall = writeOrStall(wb);
    } catch (RocksDBException e) {
      throw writeFailed("write checkpoints to", e);
    }
    if (stall != null) throw stalled("write checkpoints to", stall);
  }

  @Override
  public Map<String, byte[]> checkpoints() {
    Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    lifecycle.readLock().lock();
    RocksDB handle = db;
    if (closed || handle == null) {
      lifecycle.readLock().unlock();
      return out;
    }
    try (RocksIterator it = handle.newIterator()) {
      for (it.seek(CHECKPOINT_PREFIX); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length < 2 || key[0] != 'c' || key[1] != ':') break;
        out.put(new String(key, 2, key.length - 2, StandardCharsets.UTF_8), it.value());
      }
    } finally {
      lifecycle.readLock().unlock();
    }
    return out;
  }

  @Override
  public SpoolEntry read(long sequence) {
    if (!index.containsKey(sequence)) return null;
    RocksDBException corrupt = null;
    lifecycle.readLock().lock();
    try {
      RocksDB handle = db;
      if (closed || handle == null) return null;
      byte[] value = handle.get(readOptions, key(sequence));
      if (value == null) return null;
      ByteBuffer v = ByteBuffer.wrap(value);
      int count = v.getInt();
      long size = v.getLong();
      byte[] payload = new byte[value.length - HEADER];
      v.get(payload);
      return new SpoolEntry(sequence, count, size, payload);
    } catch (RocksDBException e) {
      if (!isCorruption(e)) throw new SpoolException("cannot read spool " + dir + ": " + e.getMessage(), e);
      corrupt = e;
    } finally {
      lifecycle.readLock().unlock();
    }
    if (corrupt != null) unreadable(sequence);
    return null;
  }

  /**
   * Drops a batch RocksDB cannot read back (a damaged block: checksum mismatch), counted in {@link #corruptRecords()},
   * so that the batches after it keep shipping instead of the shipper stopping at it.
   */
  private void unreadable(long sequence) {
    synchronized (appendLock) {
      Meta m = index.remove(sequence);
      if (m == null) return;
      bytes.addAndGet(-m.payloadBytes());
      records.addAndGet(-m.recordCount());
      corruptRecords.addAndGet(m.recordCount());
      lifecycle.readLock().lock();
      try {
        if (!closed && db != null && writeFailure == null) db.delete(writeOptions, key(sequence));
      } catch (RocksDBException e) {
        // the index no longer holds it; a reopen deletes it (reconcile), a restart finds it corrupt again
      } finally {
        lifecycle.readLock().unlock();
      }
    }
  }

  @Override
  public long corruptRecords() {
    return corruptRecords.get();
  }

  @Override
  public long nextAfter(long after) {
    Long k = index.higherKey(after);
    return k == null ? -1 : k;
  }

  @Override
  public SpoolEntry remove(long sequence) {
    // Under appendLock so that the low mark written here and the one an eviction writes never cross.
    synchronized (appendLock) {
      Meta m = index.remove(sequence);
      if (m == null) return null;
      bytes.addAndGet(-m.payloadBytes());
      records.addAndGet(-m.recordCount());
      deletedSinceReclaim.addAndGet(m.payloadBytes());
      if (writeFailure != null) recover();
      long newLow = firstLive();
      // After close, or while writes fail, the delete is skipped: a recovery after the failure deletes it
      // (reconcile), else it comes back at the next start, a duplicate, never a loss.
      if (!closed && writeFailure == null) {
        try (WriteBatch wb = new WriteBatch()) {
          wb.delete(key(sequence));
          if (newLow > low) wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
          RocksDBException stall = writeOrStall(wb);
          if (stall != null) stalled("delete from", stall);
          else if (newLow > low) low = newLow;
        } catch (RocksDBException e) {
          writeFailed("delete from", e);
        } catch (SpoolException closedMeanwhile) {
          // skipped, as above
        }
      }
      maybeReclaim();
      return new SpoolEntry(sequence, m.recordCount(), m.uncompressedSize(), null);
    }
  }

  /** Under appendLock: the oldest sequence still spooled, or the next one when the spool is empty. */
  private long firstLive() {
    Map.Entry<Long, Meta> first = index.firstEntry();
    return first != null ? first.getKey() : nextSequence;
  }

  /** Under appendLock: {@link #reclaim} once a file's worth of batches was deleted since the last time. */
  private void maybeReclaim() {
    if (deletedSinceReclaim.get() < TARGET_FILE_BYTES) return;
    deletedSinceReclaim.set(0);
    reclaim();
  }

  /**
   * Drops the SST files (below level 0) that hold only batches below the low mark: all of them are deleted, so the
   * files can go at once, without a compaction rewriting them (RocksDB's {@code DeleteFilesInRange}). This is what
   * frees the disk from batches evicted by {@link WhenFull#DROP_OLDEST}, which have no tombstone; it keeps the files on
   * disk near the cap through a long outage.
   */
  private void reclaim() {
    lifecycle.readLock().lock();
    try {
      if (closed || db == null || writeFailure != null) return;
      db.deleteFilesInRanges(db.getDefaultColumnFamily(), List.of(key(0), key(low)), false);
    } catch (RocksDBException e) {
      // Tried again after the next file's worth of deletions; until then the files stay (bytes on disk, not data:
      // a start ignores everything below the low mark).
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public long bytes() {
    return bytes.get();
  }

  @Override
  public long batches() {
    return index.size();
  }

  @Override
  public long records() {
    return records.get();
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) return;
      closed = true;
      if (db != null) {
        try {
          db.syncWal();
        } catch (RocksDBException | RuntimeException ignored) {
          // best effort: the WAL is already written
        }
        db.close();
        db = null;
      }
      closeHandles();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
