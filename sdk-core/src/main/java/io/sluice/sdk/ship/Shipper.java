package io.sluice.sdk.ship;

import io.sluice.sdk.spool.SpoolEntry;

/**
 * Opens ingest streams to a collector. I/O only: it knows nothing of windows, retries or threads; the pipeline's
 * shipping loop owns those. Every listener method is called from transport threads and must not block.
 */
public interface Shipper extends AutoCloseable {

  /** Events of one stream. After {@link #onClosed}, nothing more arrives for that stream. */
  interface Listener {
    /** The stream can take more frames ({@link Stream#isReady()} turned true). */
    void onReady();

    void onAck(long sequence);

    void onNack(long sequence, boolean retryable, String reason, long retryAfterMs);

    /** The collector asks the client to drain this stream and reconnect. */
    void onGoAway(String reason);

    /** The stream ended; {@code error} is null on an orderly end. */
    void onClosed(Throwable error);
  }

  /** One open stream. Not thread-safe: used by the shipping loop only. */
  interface Stream {
    /** Whether a frame can be sent without buffering beyond the transport's window. */
    boolean isReady();

    void send(SpoolEntry batch);

    /** Ends the stream abruptly; unacknowledged batches must be resent on another stream. */
    void cancel(String why);
  }

  /**
   * Opens a stream to endpoint number {@code endpointIndex} (modulo the number of endpoints) and sends the hello.
   * Returns at once; connection failures arrive as {@link Listener#onClosed}.
   */
  Stream open(int endpointIndex, Listener listener);

  /** How many endpoints the shipper knows. */
  int endpoints();

  /**
   * Changes whenever the credentials the next stream would send changed (a rotated credentials file, a refreshed
   * OAuth2 token); the shipping loop then drains the open stream and opens a new one, so the new value is used
   * within about a second. Cheap. Always 0 for fixed credentials.
   */
  default long credentialsVersion() {
    return 0;
  }

  @Override
  void close();

  /**
   * What {@link Listener#onClosed} receives when the collector refused the client itself rather than failed (an
   * invalid hello such as an oversized resource, wrong credentials, a tenant it may not use): retrying at once
   * cannot succeed, so the shipping loop backs off hard and reports it.
   */
  final class Refused extends RuntimeException {
    private final String code;

    public Refused(String code, String description, Throwable cause) {
      super(code + (description == null ? "" : ": " + description), cause);
      this.code = code;
    }

    /** The transport's status code, e.g. {@code INVALID_ARGUMENT}. */
    public String code() {
      return code;
    }
  }
}
