package io.sluice.sdk.pipeline;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.zip.CRC32C;

/**
 * The hand-off queue's extension on local disk (a disk-assisted queue, as rsyslog's DA queues, Vector's disk buffers
 * and Fluent Bit's filesystem storage): while the in-memory queue is full, logging threads append their encoded
 * records here instead of waiting for the batcher, and the batcher reads them back in order once the queue is empty.
 * Writing a record is a copy into a buffer under a lock and, every {@link #WRITE_BUFFER_BYTES}, one {@code write} to
 * the page cache; nothing is synced (the spool syncs per its own {@code fsync} setting once the batcher has batched
 * the records).
 *
 * <p>Order: once a record is here, every later one comes here too ({@link #active()}) until the batcher has read
 * them all, so each thread's records reach the spool in the order it logged them.
 *
 * <p>Bounded by {@code maxBytes} of records not yet read (the record bytes plus an 8-byte header each); below WARN a
 * record may fill it only to seven eighths, as in the queue. Segment files ({@code <dir>/<n>.ovf}, 64 MiB each) are
 * deleted once everything in them is in the spool.
 *
 * <p>Exactly once across a crash: the batcher stores the position after the last overflow record of each spooled
 * batch as a spool checkpoint ({@link #CHECKPOINT}), atomically with the batch; a pipeline started on the same spool
 * directory reads on from there ({@link #recover}). Records still in the write buffer when the process is killed
 * (at most {@link #WRITE_BUFFER_BYTES}) are lost, like records in the in-memory queue.
 *
 * <p>A failed write (no space, an I/O error) makes the overflow refuse appends until the batcher has read everything
 * that was written; the records in the failed buffer are reported lost through {@code onLost}. Thread-safe for
 * appends; {@link #next}, {@link #committed} and {@link #checkpoint} are the batcher thread's.
 */
final class Overflow implements AutoCloseable {
  /** The spool checkpoint holding the read position: segment (8 bytes) and offset (8 bytes), big-endian. */
  static final String CHECKPOINT = "sluice.overflow";
  static final int HEADER_BYTES = 8;
  static final int WRITE_BUFFER_BYTES = 64 * 1024;
  static final long SEGMENT_BYTES = 64L << 20;
  private static final String SUFFIX = ".ovf";

  private final Path dir;
  private final long segmentBytes;
  private final long maxBytes;
  private final long belowWarnMaxBytes;
  private final LongConsumer onLost;

  /** Writes to the segment files, and the writer's position in them. */
  private final ReentrantLock fileLock = new ReentrantLock();
  /** Records are here (on disk or buffered): later records must follow them. Set under a stripe's lock. */
  private volatile boolean active;
  /** A write failed; appends are refused until the batcher has read what was written. */
  private volatile boolean broken;
  private volatile IOException failure;
  /** Bytes appended and not yet read (headers included); records appended by this process and not yet read. */
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong records = new AtomicLong();
  private final java.util.concurrent.atomic.LongAdder appendedTotal = new java.util.concurrent.atomic.LongAdder();

  /**
   * Appends go to one of these buffers, chosen by the thread's id (so a thread's records stay in order), each under its
   * own lock: logging threads rarely wait for each other, and never for a write to the file unless it is their own
   * full buffer that is being written.
   */
  private final Stripe[] stripes = new Stripe[STRIPES];
  static final int STRIPES = 16;

  private static final class Stripe {
    final ReentrantLock lock = new ReentrantLock();
    ByteBuffer buffer; // allocated on the first append
    int records;
  }

  // the writer's position, under fileLock
  private FileChannel out;
  private long outSegment;
  /** Bytes of {@link #outSegment} in its file. */
  private long outWritten;
  /** Segments from before this process: their records are not in {@link #records}. */
  private final long firstOwnSegment;
  // reader, the batcher's
  private ByteBuffer in = ByteBuffer.allocate(1 << 20).flip();
  private FileChannel inChannel;
  private long inSegment;
  /** File offset in {@link #inSegment} of the first byte of {@link #in}. */
  private long inFileOffset;
  private long inSegmentRecordsRead;
  /** Bytes and records written to each segment not yet left by the reader (under fileLock). */
  private final Map<Long, Long> segmentSizes = new HashMap<>();
  private final Map<Long, Long> segmentRecords = new HashMap<>();
  private final CRC32C readCrc = new CRC32C();
  /** The position after the last record {@link #next} returned. */
  private long lastSegment;
  private long lastOffset;
  private long corruptSegments;

  /**
   * Opens the overflow in {@code dir} (created if missing), reading on from {@code checkpoint} (null: from the first
   * segment left there); leftover segments before the checkpoint are deleted.
   */
  static Overflow recover(Path dir, long maxBytes, byte[] checkpoint, LongConsumer onLost) throws IOException {
    return new Overflow(dir, maxBytes, SEGMENT_BYTES, checkpoint, onLost);
  }

  Overflow(Path dir, long maxBytes, long segmentBytes, byte[] checkpoint, LongConsumer onLost) throws IOException {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.maxBytes = maxBytes;
    this.belowWarnMaxBytes = maxBytes - maxBytes / 8;
    this.onLost = onLost;
    for (int i = 0; i < STRIPES; i++) stripes[i] = new Stripe();
    Files.createDirectories(dir);
    long readSegment = 0;
    long readOffset = 0;
    if (checkpoint != null && checkpoint.length == 16) {
      ByteBuffer b = ByteBuffer.wrap(checkpoint);
      readSegment = b.getLong();
      readOffset = b.getLong();
    }
    List<Long> left = segments();
    long unread = 0;
    long first = -1;
    for (long s : left) {
      Path p = segmentPath(s);
      if (s < readSegment) {
        Files.deleteIfExists(p);
        continue;
      }
      long size = Files.size(p);
      segmentSizes.put(s, size);
      long from = s == readSegment ? Math.min(readOffset, size) : 0;
      unread += size - from;
      if (first < 0) {
        first = s;
        if (s != readSegment) readOffset = 0;
      }
    }
    // New segments are numbered past every leftover and past the checkpoint, even when its files are gone (cleaned
    // away): numbered below it, they would be deleted at the next start as read before it was stored.
    long next = left.isEmpty() ? 0 : left.get(left.size() - 1) + 1;
    this.firstOwnSegment = checkpoint != null && checkpoint.length == 16 ? Math.max(next, readSegment + 1) : next;
    this.outSegment = firstOwnSegment;
    this.lastSegment = readSegment;
    this.lastOffset = readOffset;
    if (first >= 0 && unread > 0) {
      inSegment = first;
      inFileOffset = first == readSegment ? readOffset : 0;
      bytes.set(unread);
      active = true;
    } else {
      // nothing to read on: clear what is left and start empty
      for (long s : left) Files.deleteIfExists(segmentPath(s));
      inSegment = outSegment;
      inFileOffset = 0;
    }
  }

  /** Whether records are waiting here (later records must then come here too). */
  boolean active() {
    return active;
  }

  /** Whether appends are being refused after a failed write. */
  boolean broken() {
    return broken;
  }

  /** Whether a record of {@code size} record bytes would fit now. */
  boolean hasRoom(int size, boolean important) {
    return !broken && bytes.get() + size + HEADER_BYTES <= (important ? maxBytes : belowWarnMaxBytes);
  }

  long bytes() {
    return bytes.get();
  }

  /** The bound in bytes. */
  long maxBytes() {
    return maxBytes;
  }

  /** Records appended by this process and not yet read by the batcher. */
  long records() {
    return Math.max(0, records.get());
  }

  /** Records appended since this overflow was opened (the batcher compares it between looks: appends still coming). */
  long appendedTotal() {
    return appendedTotal.sum();
  }

  /** Segments whose tail could not be read (a torn write after a crash); their remaining bytes were skipped. */
  long corruptSegments() {
    return corruptSegments;
  }

  /**
   * Appends one encoded record; false when it does not fit ({@code important}: WARN and above may use the last
   * eighth) or the overflow is refusing appends after a failed write. Never blocks except on its buffer's lock and,
   * once per {@link #WRITE_BUFFER_BYTES} of its buffer, on one write to the page cache.
   */
  boolean append(byte[] record, int off, int len, boolean important) {
    int need = len + HEADER_BYTES;
    long max = important ? maxBytes : belowWarnMaxBytes;
    if (broken) return false;
    if (bytes.addAndGet(need) > max) {
      bytes.addAndGet(-need);
      return false;
    }
    CRC32C crc = new CRC32C();
    crc.update(record, off, len);
    int sum = (int) crc.getValue();
    Stripe st = stripes[(int) (Thread.currentThread().getId() & (STRIPES - 1))];
    st.lock.lock();
    try {
      boolean ok;
      if (broken) {
        ok = false;
      } else if (need > WRITE_BUFFER_BYTES) { // larger than a buffer: written on its own, after what is buffered
        ok = writeStripe(st)
            && writeLocked(ByteBuffer.allocate(need).putInt(len).putInt(sum).put(record, off, len).flip());
      } else {
        if (st.buffer == null) st.buffer = ByteBuffer.allocate(WRITE_BUFFER_BYTES);
        ok = st.buffer.remaining() >= need || writeStripe(st);
        if (ok) {
          st.buffer.putInt(len).putInt(sum).put(record, off, len);
          st.records++;
        }
      }
      if (!ok) {
        bytes.addAndGet(-need);
        return false;
      }
      records.incrementAndGet();
      appendedTotal.increment();
      active = true;
      return true;
    } finally {
      st.lock.unlock();
    }
  }

  /** Writes a stripe's buffer to the file (its lock held); false when that failed (its records are reported lost). */
  private boolean writeStripe(Stripe st) {
    if (st.buffer == null || st.buffer.position() == 0) return true;
    st.buffer.flip();
    boolean ok;
    fileLock.lock();
    try {
      ok = write(st.buffer, st.records);
    } finally {
      fileLock.unlock();
    }
    st.buffer.clear();
    st.records = 0;
    return ok;
  }

  private boolean writeLocked(ByteBuffer data) {
    fileLock.lock();
    try {
      return write(data, 1);
    } finally {
      fileLock.unlock();
    }
  }

  /** Under fileLock: appends {@code data} to the current segment, starting the next one when it is full. */
  private boolean write(ByteBuffer data, int recordCount) {
    if (broken) return lost(data, recordCount);
    int start = data.position();
    long at = outWritten;
    try {
      if (out == null || outWritten >= segmentBytes) {
        if (out != null) {
          out.close();
          outSegment++;
        }
        out = FileChannel.open(segmentPath(outSegment), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
        outWritten = 0;
        at = 0;
      }
      while (data.hasRemaining()) at += out.write(data, at);
      segmentSizes.put(outSegment, at);
      segmentRecords.merge(outSegment, (long) recordCount, Long::sum);
      outWritten = at;
      return true;
    } catch (IOException e) {
      // A part that reached the file is read (its whole records) and the rest of it skipped as a torn tail; the
      // records not wholly written are lost. Appends are refused until the batcher has read what is there, then
      // start in a fresh segment.
      int written = (int) (at - outWritten);
      int whole = wholeRecords(data, start, written);
      if (out != null && written > 0) {
        segmentSizes.put(outSegment, at);
        segmentRecords.merge(outSegment, (long) whole, Long::sum);
      }
      failure = e;
      broken = true;
      try {
        if (out != null) out.close();
      } catch (IOException ignored) {
        // the failure above is what is reported
      }
      out = null;
      outSegment++;
      outWritten = 0;
      data.position(start + written);
      return lost(data, recordCount - whole);
    }
  }

  /** How many whole records {@code data[start, start + written)} holds. */
  private static int wholeRecords(ByteBuffer data, int start, int written) {
    int n = 0;
    int p = start;
    while (p + HEADER_BYTES <= start + written) {
      int len = data.getInt(p);
      if (p + HEADER_BYTES + len > start + written) break;
      p += HEADER_BYTES + len;
      n++;
    }
    return n;
  }

  private boolean lost(ByteBuffer data, int recordCount) {
    bytes.addAndGet(-data.remaining());
    records.addAndGet(-recordCount);
    data.position(data.limit());
    onLost.accept(recordCount);
    return false;
  }

  /** The failure that made the overflow refuse appends, while it does. */
  IOException failure() {
    return broken ? failure : null;
  }

  /** A record read back: {@code array[offset, offset + length)}, valid until the next {@link #next}. */
  static final class Slice {
    byte[] array;
    int offset;
    int length;
  }

  /**
   * Batcher thread: the next record into {@code slice}, or false when none is left (the overflow is then inactive,
   * unless an append came in meanwhile).
   */
  boolean next(Slice slice) throws IOException {
    while (true) {
      if (in.remaining() >= HEADER_BYTES) {
        int len = in.getInt(in.position());
        int sum = in.getInt(in.position() + 4);
        if (len < 0 || len > Integer.MAX_VALUE - HEADER_BYTES) {
          skipCorruptTail();
          continue;
        }
        if (in.remaining() >= HEADER_BYTES + len) {
          int at = in.position() + HEADER_BYTES;
          readCrc.reset();
          readCrc.update(in.array(), at, len);
          if ((int) readCrc.getValue() != sum) {
            skipCorruptTail();
            continue;
          }
          slice.array = in.array();
          slice.offset = at;
          slice.length = len;
          in.position(at + len);
          lastSegment = inSegment;
          lastOffset = inFileOffset + at + len;
          bytes.addAndGet(-(HEADER_BYTES + len));
          inSegmentRecordsRead++;
          if (inSegment >= firstOwnSegment) records.decrementAndGet();
          return true;
        }
        if (HEADER_BYTES + len > in.capacity()) { // a record larger than the read buffer
          long base = inFileOffset + in.position();
          ByteBuffer bigger = ByteBuffer.allocate(HEADER_BYTES + len);
          bigger.put(in).flip();
          in = bigger;
          inFileOffset = base;
        }
      }
      if (!fill()) return false;
    }
  }

  /**
   * Reads more of the current segment into {@link #in}; moves to the next segment at the end of a finished one; asks
   * the writer to write its buffer when the reader has caught up with the file. False when nothing is left.
   */
  private boolean fill() throws IOException {
    long fileEnd = inChannel == null ? -1 : inChannel.size();
    long readTo = inFileOffset + in.limit();
    if (inChannel != null && readTo < fileEnd) {
      in.compact();
      inFileOffset = readTo - in.position();
      int n = inChannel.read(in, inFileOffset + in.position());
      in.flip();
      return n > 0 || in.hasRemaining();
    }
    fileLock.lock();
    try {
      if (inChannel == null && Files.exists(segmentPath(inSegment))) {
        inChannel = FileChannel.open(segmentPath(inSegment), StandardOpenOption.READ);
        return true;
      }
      if (inChannel == null && inSegment == outSegment && out != null) {
        // The file being written was deleted under the overflow: what it holds cannot be read (counted as lost);
        // the writer starts a fresh segment.
        out.close();
        out = null;
        outSegment++;
        return nextSegment();
      }
      // Looked again with the writer held: what was written since the reader last asked is read first (the writer
      // may have finished this segment meanwhile; leaving it now would skip its last part as a torn tail).
      if (inChannel != null && inFileOffset + in.limit() < inChannel.size()) return true;
      // The reader has everything its segment's file holds.
      if (inSegment < outSegment) return nextSegment(); // the writer moved on: this segment is finished
    } finally {
      fileLock.unlock();
    }
    // Caught up with the file: what the stripes buffer comes next.
    boolean wrote = false;
    for (Stripe st : stripes) {
      st.lock.lock();
      try {
        if (st.buffer != null && st.buffer.position() > 0) {
          writeStripe(st);
          wrote = true;
        }
      } finally {
        st.lock.unlock();
      }
    }
    if (wrote) return true;
    // Nothing buffered: with every stripe locked (no append can come in), make sure, then mark the overflow empty. A
    // thread that finds it inactive afterwards has nothing left here, so its next record may go to the queue.
    for (Stripe st : stripes) st.lock.lock();
    try {
      for (Stripe st : stripes) {
        if (st.buffer != null && st.buffer.position() > 0) return true;
      }
      fileLock.lock();
      try {
        long size = inChannel == null ? 0 : inChannel.size();
        if (inSegment < outSegment || (inChannel != null && inFileOffset + in.limit() < size)
            || (inChannel == null && Files.exists(segmentPath(inSegment)))) {
          return true;
        }
        active = false;
        if (broken) { // read everything a failed writer left: appends may start over in a fresh segment
          broken = false;
          failure = null;
        }
        return false;
      } finally {
        fileLock.unlock();
      }
    } finally {
      for (Stripe st : stripes) st.lock.unlock();
    }
  }

  /** Under the lock: leaves a finished segment for the next (the finished one is deleted once committed). */
  private boolean nextSegment() throws IOException {
    skipRestOfSegment();
    if (inChannel != null) inChannel.close();
    inChannel = null;
    segmentSizes.remove(inSegment);
    segmentRecords.remove(inSegment);
    in.clear().flip();
    inSegment++;
    inFileOffset = 0;
    inSegmentRecordsRead = 0;
    return true;
  }

  /**
   * Under fileLock: what is left unread of the reader's segment (a torn tail after a crash, a record that fails its
   * checksum, a file deleted under the overflow) is skipped: its bytes leave the bound, and its records, when this
   * process wrote them, are reported lost.
   */
  private void skipRestOfSegment() {
    long consumed = inFileOffset + in.position();
    long size = segmentSizes.getOrDefault(inSegment, consumed);
    if (size <= consumed) return;
    bytes.addAndGet(-(size - consumed));
    corruptSegments++;
    long unread = segmentRecords.getOrDefault(inSegment, 0L) - inSegmentRecordsRead;
    if (unread > 0) {
      records.addAndGet(-unread);
      onLost.accept(unread);
    }
    in.position(in.limit());
    inFileOffset = size - in.limit();
    inSegmentRecordsRead += Math.max(0, unread);
  }

  /** A record whose header or checksum is wrong: the rest of its segment is skipped. */
  private void skipCorruptTail() throws IOException {
    fileLock.lock();
    try {
      if (inSegment < outSegment) {
        nextSegment();
      } else { // in the segment being written (only a damaged disk): on from what is written now
        skipRestOfSegment();
      }
    } finally {
      fileLock.unlock();
    }
  }

  /** Batcher thread: the segment of the position after the last record {@link #next} returned. */
  long lastSegment() {
    return lastSegment;
  }

  /** Batcher thread: the offset in {@link #lastSegment()} after the last record {@link #next} returned. */
  long lastOffset() {
    return lastOffset;
  }

  /** A position as the value of the spool checkpoint {@link #CHECKPOINT}. */
  static byte[] checkpoint(long segment, long offset) {
    return ByteBuffer.allocate(16).putLong(segment).putLong(offset).array();
  }

  /** Batcher thread: a checkpoint is in the spool; segments before it are deleted. */
  void committed(byte[] checkpoint) {
    long segment = ByteBuffer.wrap(checkpoint).getLong();
    try {
      for (long s : segments()) {
        if (s >= segment) break;
        Files.deleteIfExists(segmentPath(s));
      }
    } catch (IOException ignored) {
      // deleted on a later commit, or at the next start
    }
  }

  private List<Long> segments() throws IOException {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
      for (Path p : files) {
        String name = p.getFileName().toString();
        try {
          found.add(Long.parseLong(name.substring(0, name.length() - SUFFIX.length())));
        } catch (NumberFormatException ignored) {
          // not ours
        }
      }
    }
    found.sort(null);
    return found;
  }

  private Path segmentPath(long segment) {
    return dir.resolve(String.format("%020d%s", segment, SUFFIX));
  }

  /** Writes what is buffered (so a clean close loses nothing) and closes the files; the segments stay for the next start. */
  @Override
  public void close() {
    for (Stripe st : stripes) {
      st.lock.lock();
      try {
        writeStripe(st);
      } finally {
        st.lock.unlock();
      }
    }
    fileLock.lock();
    try {
      if (out != null) out.close();
      if (inChannel != null) inChannel.close();
    } catch (IOException ignored) {
      // best effort: what was written is read on at the next start
    } finally {
      out = null;
      inChannel = null;
      fileLock.unlock();
    }
  }
}
