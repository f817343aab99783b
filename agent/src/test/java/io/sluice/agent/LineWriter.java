package io.sluice.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A writer thread that appends numbered lines ({@code prefix + n}) to a file like an application would (O_APPEND,
 * reopening the path when asked), at roughly {@code linesPerSecond}. {@link #rotateByRename} moves the file away and
 * reopens the path, as logrotate's create mode does with a signal.
 */
final class LineWriter implements AutoCloseable {
  private final Path path;
  private final java.util.function.LongFunction<String> event;
  private final int linesPerSecond;
  private final AtomicLong written = new AtomicLong();
  private final Thread thread;
  private volatile boolean stop;
  private volatile boolean reopen;
  private volatile Throwable error;

  LineWriter(Path path, String prefix, int linesPerSecond) {
    this(path, n -> prefix + n + "\n", linesPerSecond);
  }

  /** Writes {@code event.apply(n)} (one or more whole lines) for n = 0, 1, 2, ... */
  LineWriter(Path path, java.util.function.LongFunction<String> event, int linesPerSecond) {
    this.path = path;
    this.event = event;
    this.linesPerSecond = linesPerSecond;
    this.thread = new Thread(this::run, "test-line-writer");
    this.thread.setDaemon(true);
  }

  LineWriter start() {
    thread.start();
    return this;
  }

  long written() {
    return written.get();
  }

  /** Asks the writer to reopen its path before its next line (after a rename or a logrotate run). */
  void reopen() {
    reopen = true;
  }

  private FileChannel open() throws IOException {
    return FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
  }

  private void run() {
    long perLineNanos = TimeUnit.SECONDS.toNanos(1) / linesPerSecond;
    long next = System.nanoTime();
    FileChannel ch = null;
    try {
      ch = open();
      while (!stop) {
        if (reopen) {
          reopen = false;
          ch.close();
          ch = open();
        }
        byte[] line = event.apply(written.get()).getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.wrap(line);
        while (b.hasRemaining()) ch.write(b);
        written.incrementAndGet();
        next += perLineNanos;
        long wait = next - System.nanoTime();
        if (wait > 0) LockSupport.parkNanos(wait);
      }
    } catch (IOException | RuntimeException e) {
      error = e;
    } finally {
      if (ch != null) {
        try {
          ch.close();
        } catch (IOException ignored) {
          // test writer
        }
      }
    }
  }

  @Override
  public void close() {
    stop = true;
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (error != null) throw new IllegalStateException("writer failed", error);
  }

  static void touch(Path p) {
    try {
      if (!Files.exists(p)) Files.createFile(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
