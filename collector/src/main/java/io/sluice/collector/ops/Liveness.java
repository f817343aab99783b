package io.sluice.collector.ops;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code /livez} answers: null while the process can still do its work, else why not, so the orchestrator
 * restarts it. It fails for good when
 * <ul>
 *   <li>an {@link OutOfMemoryError} reached the JVM's default uncaught-exception handler (installed by
 *       {@link #installUncaughtHandler()}) in any thread, or was {@linkplain #reportFatal reported} by code that
 *       caught it — after an OOM any thread may have died half-way, so nothing is trusted any more;</li>
 *   <li>a {@linkplain #watch watched} thread is no longer alive: the Kafka producer's network thread, the admin
 *       client thread and the checker thread behind {@code /readyz}, the embedded broker's threads, the configuration reloader. Kafka's threads
 *       carry their own uncaught-exception handler that only logs, so their death is seen by checking them.</li>
 * </ul>
 * Not a timing check: a slow but alive process stays live (readiness covers "cannot publish now"). Thread-safe;
 * {@link #problem()} is cheap (a few {@code Thread.isAlive} calls). One instance per collector; the uncaught handler
 * is JVM-wide and tells every open instance.
 */
public final class Liveness implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Liveness.class);
  private static final Set<Liveness> OPEN = ConcurrentHashMap.newKeySet();
  private static volatile Thread.UncaughtExceptionHandler installed;

  private final Map<String, List<Thread>> watched = new ConcurrentHashMap<>();
  private final List<Supplier<String>> checks = new CopyOnWriteArrayList<>();
  private volatile String fatal;

  public Liveness() {
    OPEN.add(this);
  }

  /**
   * Makes every uncaught {@link OutOfMemoryError} (any thread) fail the liveness of every open instance; the handler
   * that was installed before (or the JVM's usual "Exception in thread" print) still runs. Other throwables do not:
   * a pool replaces its dead worker, and the death of a dedicated thread is seen by {@link #watch}. Idempotent while
   * it is the default handler; called again (each collector start) it wraps whatever replaced it. JVM-wide.
   */
  public static synchronized void installUncaughtHandler() {
    Thread.UncaughtExceptionHandler previous = Thread.getDefaultUncaughtExceptionHandler();
    if (previous != null && previous == installed) {
      return;
    }
    // installed again when something replaced it since (seen: a library setting its own): ours wraps theirs
    Thread.UncaughtExceptionHandler handler = (t, e) -> {
      try {
        if (e instanceof OutOfMemoryError) {
          fatalEverywhere(e.getClass().getName() + " in thread " + t.getName() + ": " + e.getMessage());
        }
      } finally {
        if (previous != null) {
          previous.uncaughtException(t, e);
        } else {
          System.err.print("Exception in thread \"" + t.getName() + "\" ");
          e.printStackTrace(System.err);
        }
      }
    };
    Thread.setDefaultUncaughtExceptionHandler(handler);
    installed = handler;
  }

  /** For code that caught an {@link OutOfMemoryError} (or another fatal error) and cannot go on correctly. */
  public static void reportFatal(String what, Throwable e) {
    fatalEverywhere(what + ": " + e);
  }

  private static void fatalEverywhere(String reason) {
    for (Liveness l : OPEN) {
      l.fail(reason);
    }
  }

  /** Fails this instance for good (the first reason is kept). */
  public void fail(String reason) {
    if (fatal == null) {
      fatal = reason;
      log.error("not live any more (/livez fails, the process should be restarted): {}", reason);
    }
  }

  /** {@code /livez} fails once any of {@code threads} has ended; {@code what} names them in the answer. */
  public void watch(String what, List<Thread> threads) {
    if (!threads.isEmpty()) {
      watched.merge(what, List.copyOf(threads), (a, b) -> {
        List<Thread> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
      });
    }
  }

  /** {@code /livez} fails while {@code check} returns a reason (null = fine). */
  public void check(Supplier<String> check) {
    checks.add(check);
  }

  /** Null while live, else why not. */
  public String problem() {
    String f = fatal;
    if (f != null) {
      return f;
    }
    for (Map.Entry<String, List<Thread>> e : watched.entrySet()) {
      for (Thread t : e.getValue()) {
        if (!t.isAlive()) {
          String reason = "thread " + t.getName() + " (" + e.getKey() + ") has died";
          fail(reason);
          return reason;
        }
      }
    }
    for (Supplier<String> c : checks) {
      String reason = c.get();
      if (reason != null) {
        return reason;
      }
    }
    return null;
  }

  /** Live threads (now) whose name starts with {@code prefix} and that are not in {@code before}. */
  public static List<Thread> newThreads(Set<Thread> before, String prefix) {
    List<Thread> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix) && !before.contains(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /** The live threads of this JVM now (to find, after starting a component, the threads it started). */
  public static Set<Thread> threadsNow() {
    return Set.copyOf(Thread.getAllStackTraces().keySet());
  }

  /** Stops telling this instance about uncaught errors (the collector closed; its threads end on purpose). */
  @Override
  public void close() {
    OPEN.remove(this);
    watched.clear();
  }
}
