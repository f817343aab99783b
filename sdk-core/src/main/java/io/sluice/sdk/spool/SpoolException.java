package io.sluice.sdk.spool;

/** The spool could not be opened, read or written (disk full, permissions, corruption, a second process). */
public final class SpoolException extends RuntimeException {
  private final boolean noSpace;
  private final boolean heldByAnother;

  public SpoolException(String message, Throwable cause) {
    this(message, cause, false);
  }

  /**
   * @param noSpace whether the device holding the spool was full (ENOSPC): the write may succeed once space frees
   */
  public SpoolException(String message, Throwable cause, boolean noSpace) {
    this(message, cause, noSpace, false);
  }

  /** @param heldByAnother whether another process (or another pipeline in this JVM) holds the directory's lock */
  public SpoolException(String message, Throwable cause, boolean noSpace, boolean heldByAnother) {
    super(message, cause);
    this.noSpace = noSpace;
    this.heldByAnother = heldByAnother;
  }

  /** Whether the spool directory is locked by another process or another spool in this JVM. */
  public boolean heldByAnother() {
    return heldByAnother;
  }

  /** Whether the device holding the spool was full (ENOSPC); the spool retries on later writes. */
  public boolean noSpace() {
    return noSpace;
  }
}
