package io.sluice.sdk.spool;

/** The spool could not be opened, read or written (disk full, permissions, corruption, a second process). */
public final class SpoolException extends RuntimeException {
  private final boolean noSpace;

  public SpoolException(String message, Throwable cause) {
    this(message, cause, false);
  }

  /**
   * @param noSpace whether the device holding the spool was full (ENOSPC): the write may succeed once space frees
   */
  public SpoolException(String message, Throwable cause, boolean noSpace) {
    super(message, cause);
    this.noSpace = noSpace;
  }

  /** Whether the device holding the spool was full (ENOSPC); the spool retries on later writes. */
  public boolean noSpace() {
    return noSpace;
  }
}
