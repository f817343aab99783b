package io.sluice.sdk.ship;

import java.nio.file.Path;

/**
 * Where the value of {@code Hello.credentials} comes from when it can change while the process runs: a fixed string
 * ({@link #fixed}), a file re-read when it changes ({@link #fromFile}), or an OAuth2 client-credentials token that is
 * refreshed before it expires ({@link #oauth2}). The shipper asks {@link #current()} once per stream it opens (never
 * per record) and watches {@link #version()} to move to a new stream when the value changes; unacknowledged batches
 * are resent on that stream, so nothing in flight is lost. Implementations are thread-safe.
 */
public interface Credentials extends AutoCloseable {

  /**
   * The value to send now (an API key, or {@code Bearer <JWT>}); empty for none. Cheap: at most a file's metadata
   * is read, or an in-memory token returned (waiting for an OAuth2 token only before the first one arrived).
   *
   * @throws Unavailable when there is no usable value (a missing or unreadable file, no token from the IdP); the
   *     message says what to fix, and the shipper counts it and retries with its backoff
   */
  String current();

  /** A number that changes whenever {@link #current()} would return another value. Cheap; called often. */
  long version();

  /** The collector refused {@code value} as UNAUTHENTICATED: a source that can, fetches a new value now. */
  default void refused(String value) {}

  @Override
  default void close() {}

  /** A value that never changes (the {@code credentials} setting). */
  static Credentials fixed(String value) {
    String v = value == null ? "" : value;
    return new Credentials() {
      @Override
      public String current() { return v; }
      @Override
      public long version() { return 0; }
    };
  }

  /**
   * A file holding the value (the {@code credentialsFile} setting), re-read when its modification time, size or inode
   * changes, looked at most once a second.
   */
  static Credentials fromFile(Path file) {
    return new FileCredentials(file);
  }

  /**
   * OAuth2 client-credentials tokens, fetched at once and refreshed before they expire on a thread of their own
   * ({@code sluice-oauth2}); close it to stop that thread.
   */
  static Credentials oauth2(OAuth2Settings settings) {
    return new OAuth2Credentials(settings);
  }

  /** No usable credentials right now; retrying later may succeed (a file appears, the IdP answers). */
  final class Unavailable extends RuntimeException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
