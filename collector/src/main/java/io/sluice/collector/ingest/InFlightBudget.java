package io.sluice.collector.ingest;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The collector-wide bound on decoded bytes that were read from clients and are not yet acknowledged by Kafka.
 * Streams do not ask for another frame while the budget is used up; they {@link #park} themselves and are woken by
 * {@link #release}. The bound is soft by one frame per stream: a frame already read is always accepted, so a single
 * batch larger than the budget still passes when nothing else is in flight (no deadlock). Thread-safe, never blocks.
 */
public final class InFlightBudget {
  private final long maxBytes;
  private final AtomicLong used = new AtomicLong();
  private final Set<Runnable> parked = ConcurrentHashMap.newKeySet();

  /** @param maxBytes decoded bytes in flight across all streams above which reading pauses */
  public InFlightBudget(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public boolean hasRoom() {
    return used.get() < maxBytes;
  }

  public void acquire(long bytes) {
    used.addAndGet(bytes);
  }

  /** Returns bytes and wakes every parked stream (each re-checks and parks again if there is still no room). */
  public void release(long bytes) {
    used.addAndGet(-bytes);
    // a snapshot: a waiter that parks again while we run it waits for the next release, not this loop
    for (Runnable waiter : List.copyOf(parked)) {
      if (parked.remove(waiter)) {
        waiter.run();
      }
    }
  }

  /** Runs {@code waiter} on the next release. The caller re-checks {@link #hasRoom()} after parking. */
  public void park(Runnable waiter) {
    parked.add(waiter);
  }

  public long usedBytes() {
    return used.get();
  }

  public long maxBytes() {
    return maxBytes;
  }
}
