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
 *   <li><b>Corrupt directory at open.</b> When RocksDB reports corruption (or a file stands where the directory
 *       should be) the directory is renamed to {@code <dir>.corrupt-<UTC time>}, kept for inspection, and a fresh
 *       spool (new epoch) starts in its place; {@link #quarantine()} says so. Any other open failure (a second process
 *       holding the lock, permissions, no space) throws, naming the directory and the remedy.
 * </ul>
 */
public final class RocksDbSpool implements Spool {
  /** How long a reopen's reconciling write waits for RocksDB to take it (a slowdown, not a stop). */
  private static final long RECONCILE_PATIENCE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

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
  private final WriteOptions writeOptions;
  private final org.rocksdb.ReadOptions readOptions;
  /** Between failed writes and a successful reopen a read-only handle; null only if even that failed. */
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
  /** Guarded by appendLock. */
  private long nextRecoveryAt;
  private final Quarantine quarantine;

  /**
   * Minimum time between two attempts to reopen RocksDB after a failed write: each attempt closes and reopens the
   * database (replaying its write-ahead log), so a spool on a full disk does not do it for every batch.
   */
  static final long RECOVERY_INTERVAL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(250);

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
    this.writeOptions = new WriteOptions().setSync(fsync == FsyncPolicy.EVERY_BATCH);
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
    return failure;
  }

  /**
   * After a failed write, reopens RocksDB (at most every {@link #RECOVERY_INTERVAL_NANOS}): the only way out of
   * RocksDB's background-error state. On success deletes from disk the batches the index dropped meanwhile and
   * returns true. On failure keeps a read-only handle so that spooled batches can still be shipped.
   */
  private boolean recover() {
    synchronized (appendLock) {
      if (writeFailure == null) return true;
      long now = System.nanoTime();
      if (now - nextRecoveryAt < 0) return false;
      nextRecoveryAt = now + RECOVERY_INTERVAL_NANOS;
      lifecycle.writeLock().lock();
      try {
        if (closed) return false;
        if (db != null) db.close();
        db = null;
        RocksDB fresh = null;
        try {
          fresh = RocksDB.open(options, dir.toString());
          reconcile(fresh);
          db = fresh;
          writeFailure = null;
          return true;
        } catch (RocksDBException e) {
          if (fresh != null) fresh.close();
          // A reopened RocksDB whose flush still fails (the disk is still full) stops its writes: the reconciling
          // write does not wait for that (no_slowdown), and the failure that led here stands until a later attempt.
          if (!isStalled(e)) writeFailed("reopen", e);
          try {
            db = RocksDB.openReadOnly(options, dir.toString());
          } catch (RocksDBException readOnly) {
            db = null; // reads answer null until a later attempt succeeds
          }
          return false;
        }
      } finally {
        lifecycle.writeLock().unlock();
      }
    }
  }

  /** Deletes every batch on disk that the index no longer holds, and stores the next sequence. */
  private void reconcile(RocksDB fresh) throws RocksDBException {
    long newLow = firstLive();
    try (WriteBatch wb = new WriteBatch(); RocksIterator it = fresh.newIterator(readOptions)) {
      for (it.seek(key(newLow)); it.isValid(); it.next()) {
        byte[] key = it.key();
        if (key.length != 9 || key[0] != BATCH) break;
        if (!index.containsKey(ByteBuffer.wrap(key, 1, 8).getLong())) wb.delete(key);
      }
      it.status();
      wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(nextSequence).array());
      wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
      // Never blocks for good: a write stopped by RocksDB (memtables full behind a flush that cannot finish on a
      // full disk) would hold the lifecycle lock, and close() behind it, forever (seen in SpoolFailuresTest). A
      // write only slowed down (level-0 files waiting for a compaction after space freed) goes in once the
      // compaction catches up: retried for at most RECONCILE_PATIENCE_NANOS, then this reopen counts as failed.
      try (WriteOptions noWait = new WriteOptions().setSync(writeOptions.sync()).setNoSlowdown(true)) {
        long deadline = System.nanoTime() + RECONCILE_PATIENCE_NANOS;
        while (true) {
          try {
            fresh.write(noWait, wb);
            break;
          } catch (RocksDBException e) {
            if (!isStalled(e) || System.nanoTime() - deadline > 0) throw e;
            java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10));
          }
        }
      }
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
      lifecycle.readLock().lock();
      try (WriteBatch wb = new WriteBatch()) {
        if (closed) throw new SpoolException("spool " + dir + " is closed", null);
        wb.put(key(seq), value);
        wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(seq + 1).array());
        if (newLow > low) wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
        addCheckpoints(wb, checkpoints);
        db.write(writeOptions, wb);
      } catch (RocksDBException e) {
        throw writeFailed("write to", e);
      } finally {
        lifecycle.readLock().unlock();
      }
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
    lifecycle.readLock().lock();
    try (WriteBatch wb = new WriteBatch()) {
      if (closed) throw new SpoolException("spool " + dir + " is closed", null);
      addCheckpoints(wb, checkpoints);
      db.write(writeOptions, wb);
    } catch (RocksDBException e) {
      throw writeFailed("write checkpoints to", e);
    } finally {
      lifecycle.readLock().unlock();
    }
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
      lifecycle.readLock().lock();
      try (WriteBatch wb = new WriteBatch()) {
        // After close, or while writes fail, the delete is skipped: a reopen after the failure deletes it
        // (reconcile), else it comes back at the next start, a duplicate, never a loss.
        if (!closed && writeFailure == null) {
          wb.delete(key(sequence));
          if (newLow > low) wb.put(META_LOW, ByteBuffer.allocate(8).putLong(newLow).array());
          db.write(writeOptions, wb);
          if (newLow > low) low = newLow;
        }
      } catch (RocksDBException e) {
        writeFailed("delete from", e);
      } finally {
        lifecycle.readLock().unlock();
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
