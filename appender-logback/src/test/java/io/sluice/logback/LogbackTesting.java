package io.sluice.logback;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import java.net.URL;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.MDC;

/** Builds real, isolated Logback contexts from the XML files in test resources. */
final class LogbackTesting {
  private LogbackTesting() {}

  /** A fresh context configured by Joran from {@code resource}, with {@code properties} for {@code ${...}}. */
  static LoggerContext configure(String resource, Map<String, String> properties) {
    LoggerContext context = new LoggerContext();
    context.setName(resource);
    // Share SLF4J's MDC so MDC.put in a test reaches this context's events.
    context.setMDCAdapter(MDC.getMDCAdapter());
    properties.forEach(context::putProperty);
    URL url = LogbackTesting.class.getResource("/" + resource);
    if (url == null) throw new IllegalArgumentException("no test resource " + resource);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(url);
    } catch (JoranException e) {
      throw new IllegalStateException("Joran failed on " + resource, e);
    }
    return context;
  }

  /** Messages of the context's status entries at {@code level} ({@link Status#ERROR}, {@link Status#WARN}). */
  static List<String> statusMessages(LoggerContext context, int level) {
    List<String> out = new ArrayList<>();
    for (Status s : context.getStatusManager().getCopyOfStatusList()) {
      if (s.getEffectiveLevel() == level) out.add(s.getMessage());
    }
    return out;
  }
}
