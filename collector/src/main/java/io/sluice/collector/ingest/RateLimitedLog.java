package io.sluice.collector.ingest;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * One WARN line per {@code intervalNanos} at most, for events a client can cause at will (undecodable frames): the
 * line says how many were not logged since the last one, and no stack trace is ever logged. Thread-safe.
 */
public final class RateLimitedLog {
  private final Logger log;
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final AtomicLong next;
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger log, long intervalNanos, LongSupplier nanoTime) {
    this.log = log;
    this.intervalNanos = intervalNanos;
    this.nanoTime = nanoTime;
    this.next = new AtomicLong(nanoTime.getAsLong());
  }

  public void warn(String message) {
    long now = nanoTime.getAsLong();
    long due = next.get();
    if (now - due >= 0 && next.compareAndSet(due, now + intervalNanos)) {
      long skipped = suppressed.getAndSet(0);
      log.warn(skipped == 0 ? message : message + " (" + skipped + " more like it not logged)");
    } else {
      suppressed.incrementAndGet();
    }
  }
}
