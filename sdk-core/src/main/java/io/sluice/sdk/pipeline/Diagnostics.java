package io.sluice.sdk.pipeline;

/**
 * Where the pipeline reports its own trouble. Never the logging framework being fed: appenders map this to
 * Logback's status ({@code addWarn}/{@code addError}) or Log4j2's {@code StatusLogger}. Implementations must not block
 * and must not throw.
 */
public interface Diagnostics {
  void warn(String message, Throwable error);

  /**
   * A failure that loses records until someone fixes it (e.g. every capture throws). Defaults to {@link #warn};
   * appenders map it to their framework's error level. The pipeline also writes these to {@code System.err} itself
   * (once per kind), since a status list nobody prints would hide them.
   */
  default void error(String message, Throwable error) {
    warn(message, error);
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
  };

  /** Discards everything. */
  Diagnostics NONE = (message, error) -> {};
}
