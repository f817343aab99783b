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
 */
public final class RocksDbSpool implements Spool {
  static {
    RocksDB.loadLibrary();
  }

  private static final byte BATCH = 'b';
  private static final byte[] META_CLIENT = "m:client".getBytes(StandardCharsets.UTF_8);
  private static final byte[] META_EPOCH = "m:epoch".getBytes(StandardCharsets.UTF_8);
  private static final byte[] META_NEXT = "m:next".getBytes(StandardCharsets.UTF_8);
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

  private final Options options;
  private final org.rocksdb.LRUCache blockCache;
  private final WriteOptions writeOptions;
  private final org.rocksdb.ReadOptions readOptions;
  private final RocksDB db;
  private final String clientId;
  private final long epoch;
  private final ConcurrentSkipListMap<Long, Meta> index = new ConcurrentSkipListMap<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final Object appendLock = new Object();
  /** Read side: any use of {@code db}; write side: close. RocksDB must not be touched after close. */
  private final java.util.concurrent.locks.ReentrantReadWriteLock lifecycle = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private long nextSequence;
  private volatile boolean closed;

  /**
   * Opens or creates the spool in {@code dir}.
   *
   * @param maxBytes cap on the payload bytes held; at the cap {@link WhenFull} decides
   * @param fsync whether each append is fsynced
   * @param clientIdIfNew the client id to store when the spool is created (null: a random UUID)
   * @throws SpoolException when the directory cannot be created or RocksDB cannot open it (e.g. locked by another
   *     process)
   */
  public RocksDbSpool(Path dir, long maxBytes, FsyncPolicy fsync, String clientIdIfNew) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    try {
      Files.createDirectories(dir);
    } catch (Exception e) {
      throw new SpoolException("cannot create spool directory " + dir + "; check spoolDir and its permissions", e);
    }
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
        .setKeepLogFileNum(2)
        .setInfoLogLevel(org.rocksdb.InfoLogLevel.WARN_LEVEL);
    this.writeOptions = new WriteOptions().setSync(fsync == FsyncPolicy.EVERY_BATCH);
    this.readOptions = new org.rocksdb.ReadOptions().setFillCache(false);
    try {
      this.db = RocksDB.open(options, dir.toString());
    } catch (RocksDBException e) {
      options.close();
      writeOptions.close();
      readOptions.close();
      blockCache.close();
      throw new SpoolException("cannot open spool " + dir + " (is another process using it? give each process its own spoolDir)", e);
    }
    try {
      byte[] client = db.get(META_CLIENT);
      byte[] epochBytes = db.get(META_EPOCH);
      if (client == null || epochBytes == null) {
        String id = clientIdIfNew != null ? clientIdIfNew : UUID.randomUUID().toString();
        long newEpoch = new SecureRandom().nextLong() & Long.MAX_VALUE;
        try (WriteBatch wb = new WriteBatch(); WriteOptions sync = new WriteOptions().setSync(true)) {
          wb.put(META_CLIENT, id.getBytes(StandardCharsets.UTF_8));
          wb.put(META_EPOCH, ByteBuffer.allocate(8).putLong(newEpoch).array());
          wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(1).array());
          db.write(sync, wb);
        }
        this.clientId = id;
        this.epoch = newEpoch;
      } else {
        this.clientId = new String(client, StandardCharsets.UTF_8);
        this.epoch = ByteBuffer.wrap(epochBytes).getLong();
      }
      byte[] next = db.get(META_NEXT);
      long seq = next == null ? 1 : ByteBuffer.wrap(next).getLong();
      try (RocksIterator it = db.newIterator()) {
        for (it.seek(new byte[] {BATCH}); it.isValid(); it.next()) {
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
      }
      this.nextSequence = seq;
    } catch (RocksDBException e) {
      close();
      throw new SpoolException("cannot read spool " + dir, e);
    }
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
      List<SpoolEntry> evicted = List.of();
      if (!hasRoomFor(payload.length)) {
        if (whenFull != WhenFull.DROP_OLDEST || payload.length > maxBytes) return new Append(-1, List.of());
        evicted = new ArrayList<>();
        while (!hasRoomFor(payload.length)) {
          Map.Entry<Long, Meta> oldest = index.firstEntry();
          if (oldest == null) break;
          SpoolEntry gone = remove(oldest.getKey());
          if (gone != null) evicted.add(gone);
        }
      }
      if (closed) throw new SpoolException("spool " + dir + " is closed", null);
      long seq = nextSequence;
      byte[] value = ByteBuffer.allocate(HEADER + payload.length).putInt(recordCount).putLong(uncompressedSize)
          .put(payload).array();
      lifecycle.readLock().lock();
      try (WriteBatch wb = new WriteBatch()) {
        if (closed) throw new SpoolException("spool " + dir + " is closed", null);
        wb.put(key(seq), value);
        wb.put(META_NEXT, ByteBuffer.allocate(8).putLong(seq + 1).array());
        addCheckpoints(wb, checkpoints);
        db.write(writeOptions, wb);
      } catch (RocksDBException e) {
        throw new SpoolException("cannot write to spool " + dir + ": " + e.getMessage(), e);
      } finally {
        lifecycle.readLock().unlock();
      }
      nextSequence = seq + 1;
      index.put(seq, new Meta(recordCount, uncompressedSize, payload.length));
      bytes.addAndGet(payload.length);
      records.addAndGet(recordCount);
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
    lifecycle.readLock().lock();
    try (WriteBatch wb = new WriteBatch()) {
      if (closed) throw new SpoolException("spool " + dir + " is closed", null);
      addCheckpoints(wb, checkpoints);
      db.write(writeOptions, wb);
    } catch (RocksDBException e) {
      throw new SpoolException("cannot write checkpoints to spool " + dir + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public Map<String, byte[]> checkpoints() {
    Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    lifecycle.readLock().lock();
    try (RocksIterator it = db.newIterator()) {
      if (closed) return out;
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
    lifecycle.readLock().lock();
    try {
      if (closed) return null;
      byte[] value = db.get(readOptions, key(sequence));
      if (value == null) return null;
      ByteBuffer v = ByteBuffer.wrap(value);
      int count = v.getInt();
      long size = v.getLong();
      byte[] payload = new byte[value.length - HEADER];
      v.get(payload);
      return new SpoolEntry(sequence, count, size, payload);
    } catch (RocksDBException e) {
      throw new SpoolException("cannot read spool " + dir + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public long nextAfter(long after) {
    Long k = index.higherKey(after);
    return k == null ? -1 : k;
  }

  @Override
  public SpoolEntry remove(long sequence) {
    Meta m = index.remove(sequence);
    if (m == null) return null;
    bytes.addAndGet(-m.payloadBytes());
    records.addAndGet(-m.recordCount());
    lifecycle.readLock().lock();
    try {
      // After close the delete is skipped: the batch comes back at the next start, a duplicate, never a loss.
      if (!closed) db.delete(writeOptions, key(sequence));
    } catch (RocksDBException e) {
      throw new SpoolException("cannot delete from spool " + dir + ": " + e.getMessage(), e);
    } finally {
      lifecycle.readLock().unlock();
    }
    return new SpoolEntry(sequence, m.recordCount(), m.uncompressedSize(), null);
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
      try {
        db.syncWal();
      } catch (RocksDBException | RuntimeException ignored) {
        // best effort: the WAL is already written
      }
      db.close();
      writeOptions.close();
      readOptions.close();
      options.close();
      blockCache.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }
}
