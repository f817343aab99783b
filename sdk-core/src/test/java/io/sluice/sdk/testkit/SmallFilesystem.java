package io.sluice.sdk.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A real, small filesystem (a tmpfs of a given size) mounted on a directory, so a test can fill it and see the kernel
 * answer ENOSPC, then free space again. Mounting needs root (or CAP_SYS_ADMIN): where it is not permitted the test is
 * skipped with a message saying so ({@link Assumptions}), never passed silently. {@link #close} unmounts.
 */
public final class SmallFilesystem implements AutoCloseable {
  private final Path mountPoint;
  private final Path filler;

  private SmallFilesystem(Path mountPoint) {
    this.mountPoint = mountPoint;
    this.filler = mountPoint.resolve("filler");
  }

  /** Mounts a tmpfs of {@code sizeBytes} on {@code mountPoint} (created if needed), or skips the calling test. */
  public static SmallFilesystem mount(Path mountPoint, long sizeBytes) {
    try {
      Files.createDirectories(mountPoint);
      Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "tmpfs", mountPoint.toString())
          .redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      boolean done = p.waitFor(30, TimeUnit.SECONDS);
      Assumptions.assumeTrue(done && p.exitValue() == 0,
          "skipped: a real ENOSPC needs a small tmpfs, and mounting one was not permitted here (run as root): " + out);
    } catch (IOException e) {
      Assumptions.abort("skipped: cannot run mount(8) for a small tmpfs: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Assumptions.abort("interrupted while mounting a tmpfs");
    }
    return new SmallFilesystem(mountPoint);
  }

  public Path root() {
    return mountPoint;
  }

  /** Bytes a non-root writer could still allocate. */
  public long freeBytes() {
    try {
      return Files.getFileStore(mountPoint).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a filler file until at most {@code leaveFreeBytes} remain free (or the filesystem is full). */
  public void fillLeaving(long leaveFreeBytes) {
    try (FileChannel ch = FileChannel.open(filler, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      ByteBuffer chunk = ByteBuffer.allocate(64 << 10);
      while (freeBytes() > leaveFreeBytes) {
        chunk.clear();
        long want = Math.min(chunk.capacity(), freeBytes() - leaveFreeBytes);
        chunk.limit((int) Math.max(1, want));
        ch.write(chunk);
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) throw new UncheckedIOException(e);
    }
  }

  /** Deletes the filler: the space it held is free again. */
  public void freeFiller() {
    try {
      Files.deleteIfExists(filler);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      Process p = new ProcessBuilder("umount", "-l", mountPoint.toString()).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
