package io.sluice.collector.ingest.fluent;

/** A forward-protocol connection must end: what went wrong, said so the operator (and the log) knows what to fix. */
final class ForwardException extends Exception {
  /** Why; the label of {@code sluice_collector_fluent_errors_total}. */
  enum Reason {
    /** not MessagePack, truncated, or nested deeper than the bound */
    UNDECODABLE,
    /** valid MessagePack that is not a forward-protocol message */
    PROTOCOL,
    /** one message is larger on the wire than {@code fluent.maxFrameBytes} */
    FRAME_TOO_LARGE,
    /** a message gunzips or decodes to more than {@code fluent.maxDecompressedBytes} */
    DECOMPRESSED_TOO_LARGE,
    /** the connections together decode more than the collector's in-flight budget at once; the client retries */
    BUSY,
    /** wrong shared key, username or password, or a tenant that is no longer configured */
    AUTH_FAILED,
    /** no complete handshake or message within {@code fluent.idleTimeoutMs} */
    IDLE_TIMEOUT,
    /** Kafka did not acknowledge the records (no ack sent; the client resends) */
    KAFKA_FAILED,
    /** a bug: an unexpected exception (logged; please report it) */
    INTERNAL,
    /** refused by the collector's limits or routing (over the rate limit too long, too many records, a forbidden
     * topic, shutting down); no ack sent */
    REJECTED
  }

  final Reason reason;

  ForwardException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }
}
