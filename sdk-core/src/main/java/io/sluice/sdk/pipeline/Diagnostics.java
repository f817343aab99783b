package io.sluice.sdk.pipeline;

/**
 * Where the pipeline reports its own trouble. Never the logging framework being fed: appenders map this to
 * Logback's {@code addWarn} or Log4j2's {@code StatusLogger}. Implementations must not block and must not throw.
 */
public interface Diagnostics {
  void warn(String message, Throwable error);

  /** Writes to {@code System.err}; the default when no appender supplies its own. */
  Diagnostics STDERR = (message, error) -> {
    System.err.println("[sluice] " + message + (error == null ? "" : ": " + error));
  };

  /** Discards everything. */
  Diagnostics NONE = (message, error) -> {};
}
