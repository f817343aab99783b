package io.sluice.agent.tail;

/** Where a tailed file stands relative to the path it was found at. */
public enum FileState {
  /** The path still leads to this file: it is read as it grows. */
  ACTIVE,
  /** The path now leads to another file (rename+create rotation): read to its end, then released. */
  ROTATED,
  /** The path is gone (deleted, or renamed out of sight): read to its end, released; abandoned after a bound. */
  DELETED
}
