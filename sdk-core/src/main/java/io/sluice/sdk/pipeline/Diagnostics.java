package io.sluice.sdk.pipeline;

/**
 * Where the pipeline reports its own trouble. Never the logging framework being fed: appenders map this to
 * Logback's status ({@code addWarn}/{@code addError}) or Log4j2's {@code StatusLogger}. Implementations must not block
 * and must not throw.
 */
public interface Diagnostics {
  void warn(String message, Throwable error);

  /**
   * A condition that loses records or stops shipping until someone acts (every capture throws, a held spool, a
   * collector that refuses this client): appenders report it as an ERROR through the framework's status system and
   * on {@code System.err} (Log4j2's StatusLogger prints errors there at its default level). Default: {@link #warn}.
   */
  default void error(String message, Throwable error) {
    warn(message, error);
  }

  /** Whether {@link #error} itself writes a {@code [sluice] ERROR} line to {@code System.err}. */
  default boolean errorsOnStderr() {
    return false;
  }

  /** Writes to {@code System.err}; the default when no appender supplies its own. */
  Diagnostics STDERR = new Diagnostics() {
    @Override
    public void warn(String message, Throwable error) {
      System.err.println("[sluice] " + message + (error == null ? "" : ": " + error));
    }

    @Override
    public void error(String message, Throwable error) {
      System.err.println("[sluice] ERROR " + message + (error == null ? "" : ": " + error));
    }

    @Override
    public boolean errorsOnStderr() {
      return true;
    }
  };

  /** Discards everything. */
  Diagnostics NONE = (message, error) -> {};
}
