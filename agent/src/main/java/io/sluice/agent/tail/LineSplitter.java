package io.sluice.agent.tail;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts a file's bytes into {@link Line}s. Bounded: holds at most {@code maxLineBytes} of the line being read; the
 * rest of a longer line is skipped (counted in {@link #truncatedBytes()}) and the line is delivered at its newline
 * with its first {@code maxLineBytes} bytes and the truncated flag, so a huge line never stops the file and never
 * grows memory. A last line without a terminator is held until it is completed or {@link #flushPartial} is called
 * (the file was rotated away or deleted). Not thread-safe.
 */
public final class LineSplitter {
  private final int maxLineBytes;
  private byte[] buf;
  private int len;
  /** Offset of the first byte of the line being assembled (equals the next offset to read when nothing is held). */
  private long lineStart;
  /** Offset of the next byte expected from {@link #feed}. */
  private long position;
  private boolean overflowing;
  /** The bytes of the line being assembled, ORed (past the limit too): no high bit means ASCII. */
  private long bytesOr;
  private long truncatedLines;
  private long truncatedBytes;

  public LineSplitter(int maxLineBytes, long startOffset) {
    if (maxLineBytes < 16) throw new IllegalArgumentException("maxLineBytes must be >= 16");
    this.maxLineBytes = maxLineBytes;
    this.buf = new byte[Math.min(maxLineBytes, 4096)];
    reset(startOffset);
  }

  /** Drops any held bytes and expects the next byte at {@code offset}. */
  public void reset(long offset) {
    len = 0;
    overflowing = false;
    bytesOr = 0;
    lineStart = offset;
    position = offset;
  }

  /** Offset of the next byte this splitter expects. */
  public long position() {
    return position;
  }

  /** Start of the held, incomplete line; equals {@link #position()} when nothing is held. */
  public long pendingStart() {
    return lineStart;
  }

  public boolean hasPartial() {
    return len > 0 || overflowing;
  }

  /**
   * A completed line as bytes: {@code length} bytes at {@code offset} of {@code bytes} (the chunk being fed, or the
   * splitter's own buffer for a line that spanned chunks), valid only during the call: never kept, never modified.
   * {@code ascii}: no byte has the high bit set. When it is called the splitter already holds nothing of this line.
   */
  @FunctionalInterface
  public interface LineBytes {
    void accept(byte[] bytes, int offset, int length, long start, long end, boolean truncated, boolean ascii);
  }

  /** Consumes every byte of {@code chunk} (read at {@link #position()}), delivering each completed line. */
  public void feed(ByteBuffer chunk, Consumer<Line> out) {
    feed(chunk, lines(out));
  }

  private static LineBytes lines(Consumer<Line> out) {
    return (b, off, n, start, end, truncated, ascii) -> out
        .accept(Line.ofUtf8(Arrays.copyOfRange(b, off, off + n), start, end, truncated, ascii));
  }

  /**
   * Consumes every byte of {@code chunk} (read at {@link #position()}), delivering each completed line as bytes: a
   * line that lies whole in a heap chunk is handed over from there, with no copy and no object per line.
   */
  public void feed(ByteBuffer chunk, LineBytes out) {
    while (chunk.hasRemaining()) {
      int p = chunk.position();
      int lim = chunk.limit();
      int nl = chunk.hasArray() ? scan(chunk.array(), chunk.arrayOffset(), p, lim) : scan(chunk, p, lim);
      int take = (nl < 0 ? lim : nl) - p;
      if (nl >= 0 && len == 0 && !overflowing && take <= maxLineBytes && chunk.hasArray()) {
        position += take + 1;
        chunk.position(nl + 1);
        byte[] a = chunk.array();
        int from = chunk.arrayOffset() + p;
        deliver(out, a, from, take > 0 && a[from + take - 1] == '\r' ? take - 1 : take, position, false);
        continue;
      }
      append(chunk, p, take);
      position += take;
      if (nl < 0) {
        chunk.position(lim);
        return;
      }
      position += 1;
      chunk.position(nl + 1);
      takeLine(position, out);
    }
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long LOW7 = 0x7F7F7F7F7F7F7F7FL;
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
  private static final long HIGH = 0x8080808080808080L;

  /**
   * The index of the first {@code \n} in {@code a[base + from, base + to)} (relative to {@code base}), or -1; ORs
   * the bytes before it into {@link #bytesOr}, so a line is known to be ASCII (valid UTF-8) without another pass.
   * Eight bytes at a time: the newline test is exact per byte (no carries between bytes), the first hit is the
   * lowest set byte of the little-endian word.
   */
  private int scan(byte[] a, int base, int from, int to) {
    int i = from;
    long or = 0;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(a, base + i);
      long x = w ^ NEWLINES;
      long hit = ~(((x & LOW7) + LOW7) | x | LOW7); // 0x80 in each byte of w that is '\n'
      if (hit != 0) {
        int k = firstByte(hit);
        bytesOr |= or | (k == 0 ? 0 : w & (-1L >>> (64 - 8 * k))); // the k bytes before it
        return i + k;
      }
      or |= w;
    }
    for (; i < to; i++) {
      byte b = a[base + i];
      if (b == '\n') {
        bytesOr |= or;
        return i;
      }
      or |= b;
    }
    bytesOr |= or;
    return -1;
  }

  /**
   * The index of the lowest byte of {@code hit} that has its high bit set ({@code hit} has no other bits): the
   * lowest bit isolated, moved to bit 8k, times a constant whose byte 7-k is k (Long.numberOfTrailingZeros is a
   * call in C1-compiled code, which the agent runs).
   */
  public static int firstByte(long hit) {
    return (int) ((((hit & -hit) >>> 7) * 0x0001020304050607L) >>> 56);
  }

  private int scan(ByteBuffer chunk, int from, int to) {
    for (int i = from; i < to; i++) {
      byte b = chunk.get(i);
      if (b == '\n') return i;
      bytesOr |= b;
    }
    return -1;
  }

  /** Delivers the held incomplete line, if any, as ending at {@link #position()}. */
  public void flushPartial(Consumer<Line> out) {
    if (!hasPartial()) return;
    takeLine(position, lines(out));
  }

  private void append(ByteBuffer chunk, int from, int n) {
    int room = maxLineBytes - len;
    int copy = Math.min(room, n);
    if (copy > 0) {
      if (len + copy > buf.length) {
        byte[] bigger = new byte[(int) Math.min(maxLineBytes, Math.max((long) buf.length * 2, len + copy))];
        System.arraycopy(buf, 0, bigger, 0, len);
        buf = bigger;
      }
      chunk.get(from, buf, len, copy);
      len += copy;
    }
    if (n > copy) {
      overflowing = true;
      truncatedBytes += n - copy;
    }
  }

  /** Delivers the held line as ending at {@code end}. */
  private void takeLine(long end, LineBytes out) {
    int n = len;
    if (!overflowing && n > 0 && buf[n - 1] == '\r') n--;
    boolean truncated = overflowing;
    if (truncated) truncatedLines++;
    byte[] held = buf;
    if (buf.length > 64 * 1024) buf = new byte[4096]; // give back memory after a rare long line
    deliver(out, held, 0, n, end, truncated);
  }

  /** Forgets the line (nothing is held when {@code out} runs), then hands its bytes over. */
  private void deliver(LineBytes out, byte[] b, int off, int n, long end, boolean truncated) {
    boolean ascii = (bytesOr & HIGH) == 0;
    long start = lineStart;
    len = 0;
    overflowing = false;
    bytesOr = 0;
    lineStart = end;
    out.accept(b, off, n, start, end, truncated, ascii);
  }

  public long truncatedLines() {
    return truncatedLines;
  }

  public long truncatedBytes() {
    return truncatedBytes;
  }
}
