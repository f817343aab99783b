package io.sluice.sdk.pipeline;

import io.sluice.sdk.thread.SluiceThreads;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps what gRPC and Netty log through {@code java.util.logging} on Sluice's behalf (a refused connection, a
 * {@code GOAWAY}) off the application's stderr: such records go to the running pipelines' {@link Diagnostics}
 * (Logback's status, Log4j2's StatusLogger) instead of JUL's default console handler.
 *
 * <ul>
 *   <li>Shaded appender: gRPC and Netty log under {@code io.sluice.shaded.*}, which is Sluice's alone; that
 *       namespace stops handing records to its parents and logs WARNING and above only.
 *   <li>Plain appender: {@code io.grpc} may also be the application's own. Records logged there on a Sluice thread
 *       ({@link SluiceThreads}) go to the diagnostics; every other record is handed to the parents' handlers
 *       exactly as JUL would, so the application's own gRPC logging is unchanged.
 * </ul>
 *
 * Installed once per class loader by the first pipeline; a later {@code LogManager.readConfiguration()} of the
 * application undoes it. Thread-safe.
 */
final class SluiceJul {
  private static final CopyOnWriteArrayList<Diagnostics> SINKS = new CopyOnWriteArrayList<>();
  /** Strong reference: JUL keeps loggers only weakly, and a collected logger forgets its handler. */
  private static Logger namespace;

  private SluiceJul() {}

  /** Routes JUL records to {@code diagnostics} until {@link #remove}. */
  static synchronized void add(Diagnostics diagnostics) {
    if (namespace == null) install();
    SINKS.add(diagnostics);
  }

  static void remove(Diagnostics diagnostics) {
    SINKS.remove(diagnostics);
  }

  private static void install() {
    // Not a literal "io.grpc": the shade plugin would relocate it too.
    String grpcClass = io.grpc.Status.class.getName();
    boolean shaded = grpcClass.startsWith("io.sluice.shaded.");
    String name = grpcClass.substring(0, grpcClass.length() - ".Status".length()); // io.grpc or its relocation
    if (shaded) name = "io.sluice.shaded";
    Logger logger = Logger.getLogger(name);
    boolean ours = shaded;
    logger.setUseParentHandlers(false);
    if (shaded) logger.setLevel(Level.WARNING);
    logger.addHandler(new Handler() {
      @Override
      public void publish(LogRecord record) {
        if (!ours && !SluiceThreads.isInternal(Thread.currentThread())) {
          toParents(logger, record);
          return;
        }
        if (record.getLevel().intValue() < Level.WARNING.intValue()) return;
        String message = record.getLoggerName() + ": " + formatted(record);
        for (Diagnostics d : SINKS) {
          try {
            d.warn(message, record.getThrown());
          } catch (RuntimeException ignored) {
            // diagnostics must not throw; if one does, the others still hear it
          }
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    });
    namespace = logger;
  }

  /** What JUL would have done without our handler: the ancestors' handlers, up to one that stops the climb. */
  private static void toParents(Logger logger, LogRecord record) {
    for (Logger l = logger.getParent(); l != null; l = l.getParent()) {
      for (Handler h : l.getHandlers()) h.publish(record);
      if (!l.getUseParentHandlers()) return;
    }
  }

  private static String formatted(LogRecord record) {
    String msg = record.getMessage();
    Object[] params = record.getParameters();
    if (msg == null || params == null || params.length == 0) return String.valueOf(msg);
    try {
      return java.text.MessageFormat.format(msg, params);
    } catch (IllegalArgumentException e) {
      return msg;
    }
  }
}
