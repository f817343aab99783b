package io.sluice.sdk.ship;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Credentials kept in a file (setting {@code credentialsFile}), as a secret manager writes them: the Vault agent
 * injector or a Kubernetes Secret volume replace the file atomically (a rename, or a swapped {@code ..data} symlink),
 * other tools rewrite it in place. The file holds one value (an API key, or {@code Bearer <JWT>}); surrounding
 * white space and line breaks are ignored. Re-read only when its modification time, size or file key (inode) changed,
 * or while its modification time is within {@link #RACY_MILLIS} of the last read (an in-place rewrite inside the
 * file system's timestamp granularity), so a call costs one {@code stat}; {@link #version()} looks at most every
 * {@code checkIntervalNanos}. A missing,
 * unreadable or empty file makes {@link #current()} throw {@link Credentials.Unavailable} naming the file; the
 * last good value is not used for new streams then (the file's owner removed it on purpose, or it is being
 * replaced). Thread-safe.
 */
final class FileCredentials implements Credentials {
  /** Bigger than any credential; a larger file is refused rather than read into memory. */
  static final int MAX_BYTES = 64 << 10;
  /** A file modified this close to (or after) its last read may have changed without a new mtime or size. */
  static final long RACY_MILLIS = 2000;

  private final Path file;
  private final long checkIntervalNanos;
  private long checkedAt;
  private boolean checkedOnce;
  private Object stamp; // (mtime, size, file key) of the value below, null when none
  private String value; // the last good value, or null
  private String lastProblem; // why the file cannot be used now, or null
  private long readAtMillis; // wall clock (the file system's) when the value was last read
  private long version;

  /** Checks for changes at most once a second in {@link #version()}, and on every {@link #current()}. */
  FileCredentials(Path file) {
    this(file, TimeUnit.SECONDS.toNanos(1));
  }

  FileCredentials(Path file, long checkIntervalNanos) {
    this.file = Objects.requireNonNull(file, "file");
    this.checkIntervalNanos = checkIntervalNanos;
  }

  Path file() {
    return file;
  }

  @Override
  public synchronized String current() {
    refresh();
    if (lastProblem != null || value == null) {
      throw new Unavailable(problem(), null);
    }
    return value;
  }

  @Override
  public synchronized long version() {
    long now = System.nanoTime();
    if (!checkedOnce || now - checkedAt >= checkIntervalNanos) {
      try {
        refresh();
      } catch (Unavailable e) {
        // reported by current() when a stream is opened
      }
    }
    return version;
  }

  private String problem() {
    return lastProblem != null ? lastProblem : "credentialsFile " + file + " has no value";
  }

  /** Reads the file when its metadata changed; sets value to null (and a problem) when it cannot be used. */
  private void refresh() {
    checkedAt = System.nanoTime();
    checkedOnce = true;
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class); // follows symlinks (Kubernetes' ..data)
    } catch (IOException e) {
      unusable("credentialsFile " + file + " cannot be read (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + "); shipping waits, spooling, until the file exists and is readable");
      return;
    }
    Object now = java.util.List.of(attrs.lastModifiedTime(), attrs.size(), String.valueOf(attrs.fileKey()));
    // A file changed twice within the file system's timestamp granularity (milliseconds) keeps its size and mtime:
    // while its mtime is that recent, the content is compared too (a small read), as git does for "racy" entries.
    boolean racy = attrs.lastModifiedTime().toMillis() >= readAtMillis - RACY_MILLIS;
    if (now.equals(stamp) && lastProblem == null && !racy) {
      return;
    }
    if (!attrs.isRegularFile() || attrs.size() > MAX_BYTES) {
      unusable("credentialsFile " + file + (attrs.isRegularFile() ? " is " + attrs.size() + " bytes, more than "
          + MAX_BYTES + "; it must hold one API key or \"Bearer <JWT>\"" : " is not a regular file"));
      return;
    }
    String text;
    try {
      text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      unusable("credentialsFile " + file + " cannot be read (" + e.getClass().getSimpleName() + ": "
          + e.getMessage() + "); shipping waits, spooling, until the file is readable");
      return;
    }
    if (text.isEmpty()) {
      unusable("credentialsFile " + file + " is empty; write an API key or \"Bearer <JWT>\" into it");
      return;
    }
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      unusable("credentialsFile " + file + " holds more than one line; it must hold one API key or \"Bearer <JWT>\"");
      return;
    }
    stamp = now;
    readAtMillis = System.currentTimeMillis();
    lastProblem = null;
    if (!text.equals(value)) {
      value = text;
      version++;
    }
  }

  /**
   * The file cannot be used now. The version stays: an open stream keeps the value it was authenticated with (a
   * file briefly missing while it is rewritten must not end streams); new streams wait until the file is good.
   */
  private void unusable(String why) {
    lastProblem = why;
    stamp = null;
  }
}
