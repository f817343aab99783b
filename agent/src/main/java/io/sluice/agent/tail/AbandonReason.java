package io.sluice.agent.tail;

/** Why bytes of a file were never read. Each is counted in {@code sluice_agent_abandoned_bytes_total{reason}}. */
public enum AbandonReason {
  /** The file was deleted while unread bytes remained and was released after {@code deletedMaxHoldMs}. */
  DELETED,
  /** The file was truncated (copytruncate) before its last bytes were read. */
  TRUNCATED,
  /** Reading failed (I/O error, permissions); the file was released. */
  UNREADABLE
}
