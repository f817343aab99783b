package io.sluice.agent.tail;

/**
 * Consumes the lines of one file in order and turns them into records (container format, multiline, parser). It
 * may hold lines back (a partial CRI line, a stack trace still growing); {@link #pendingStart()} tells the tailer
 * the offset before which everything has been emitted, so a checkpoint never passes a held line. Called only from
 * the tailing thread; not thread-safe.
 */
public interface LineHandler {
  void onLine(Line line, long nowNanos);

  /**
   * A line as the splitter delivers it ({@link LineSplitter.LineBytes}: the bytes valid only during the call). By
   * default a {@link Line} of a copy of them; a handler that consumes the bytes at once (the plain path) overrides it
   * and allocates nothing per line.
   */
  default void onBytes(byte[] bytes, int offset, int length, long start, long end, boolean truncated, boolean ascii,
      long nowNanos) {
    onLine(Line.ofUtf8(java.util.Arrays.copyOfRange(bytes, offset, offset + length), start, end, truncated, ascii),
        nowNanos);
  }

  /** Emits what has waited longer than its flush timeout. */
  void tick(long nowNanos);

  /** Emits everything held: the file ended for good, or was truncated. */
  void flush(long nowNanos);

  /** The start offset of the earliest held line; {@link Long#MAX_VALUE} when nothing is held. */
  long pendingStart();

  /** The earliest {@link System#nanoTime()} at which {@link #tick} has something to do; MAX_VALUE when never. */
  default long nextDeadline() {
    return Long.MAX_VALUE;
  }
}
