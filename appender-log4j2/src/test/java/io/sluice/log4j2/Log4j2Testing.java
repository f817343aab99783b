package io.sluice.log4j2;

import java.net.URISyntaxException;
import java.net.URL;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;

/** Real Log4j2 contexts built from test resources, and a StatusLogger listener that keeps what it hears. */
final class Log4j2Testing {
  private Log4j2Testing() {}

  /** A started context of its own (not the JVM's default), configured from a resource on the test classpath. */
  static LoggerContext start(String resource) {
    LoggerContext context = new LoggerContext(resource, null, uri(resource));
    context.start();
    return context;
  }

  static java.net.URI uri(String resource) {
    URL url = Log4j2Testing.class.getClassLoader().getResource(resource);
    if (url == null) throw new IllegalArgumentException("no test resource " + resource);
    try {
      return url.toURI();
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static SluiceAppender sluice(LoggerContext context) {
    return context.getConfiguration().getAppender("SLUICE");
  }

  /** Keeps every StatusLogger message at WARN or above while registered. */
  static final class StatusMessages implements StatusListener {
    private final List<StatusData> messages = new CopyOnWriteArrayList<>();
    private boolean closed;

    StatusMessages() {
      StatusLogger.getLogger().registerListener(this);
    }

    @Override
    public void log(StatusData data) {
      messages.add(data);
    }

    @Override
    public Level getStatusLevel() {
      return Level.WARN;
    }

    List<String> warnings() {
      return messages.stream().filter(d -> d.getLevel() == Level.WARN)
          .map(d -> d.getMessage().getFormattedMessage()).toList();
    }

    List<String> errors() {
      return messages.stream().filter(d -> d.getLevel().isMoreSpecificThan(Level.ERROR))
          .map(d -> d.getMessage().getFormattedMessage()).toList();
    }

    @Override
    public void close() {
      // StatusLogger.removeListener calls close() again.
      if (closed) return;
      closed = true;
      StatusLogger.getLogger().removeListener(this);
    }
  }
}
