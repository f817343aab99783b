package io.sluice.sdk.spool;

/** The spool could not be opened, read or written (disk full, permissions, corruption, a second process). */
public final class SpoolException extends RuntimeException {
  public SpoolException(String message, Throwable cause) {
    super(message, cause);
  }
}
