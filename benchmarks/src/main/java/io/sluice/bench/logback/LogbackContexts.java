package io.sluice.bench.logback;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.LogbackMDCAdapter;

/**
 * Fresh, isolated Logback contexts for one setup each (not the SLF4J-bound one, which the broker and clients log
 * into). Logback 1.5 needs the MDC adapter set by hand on a context it did not create itself.
 */
public final class LogbackContexts {
  private LogbackContexts() {}

  public static LoggerContext create(String name) {
    LoggerContext context = new LoggerContext();
    context.setName(name);
    context.setMDCAdapter(new LogbackMDCAdapter());
    context.start();
    return context;
  }
}
