package io.sluice.agent;

import java.time.Duration;

/**
 * Whether the agent is ready and live ({@code /readyz}, {@code /livez}, the metrics). The tailing thread reports its
 * signals here — a heartbeat each pass (and while a batch waits for room), read progress, the end of its first scan,
 * a fatal error — and {@link Agent#close} reports the stop; {@link #live} judges them against the tail loop's state
 * with {@code health.stallTimeoutMs}. Thread-safe (volatile fields, any thread may report or ask); never blocks.
 */
final class AgentHealth {
  private final Duration stallTimeout;
  private volatile boolean stopping;
  private volatile boolean scanned;
  private volatile long heartbeatNanos = System.nanoTime();
  private volatile long lastReadProgressNanos = System.nanoTime();
  private volatile Throwable failure;

  AgentHealth(Duration stallTimeout) {
    this.stallTimeout = stallTimeout;
  }

  // ---------------------------------------------------------------------------------------------- signals

  /** The tailing thread is looping (or waiting for room in the spool). */
  void beat(long nowNanos) {
    heartbeatNanos = nowNanos;
  }

  /** A line was read. */
  void readProgress(long nowNanos) {
    lastReadProgressNanos = nowNanos;
  }

  /** The first scan is done and the checkpoints are recovered: ready. */
  void scanned() {
    scanned = true;
  }

  /** The tailing thread stopped on an unexpected error: not live from now on. */
  void failed(Throwable e) {
    failure = e;
  }

  /** The agent is stopping: not ready from now on; the tailing thread drains and ends. */
  void stop() {
    scanned = false;
    stopping = true;
  }

  boolean stopping() {
    return stopping;
  }

  // ---------------------------------------------------------------------------------------------- judgement

  /** First scan done and not shutting down. */
  boolean ready() {
    return scanned && !stopping;
  }

  /**
   * Alive unless the tailing thread died, stopped looping, or bytes are waiting with room in the spool and nothing
   * was read for {@code stallTimeout}.
   */
  boolean live(TailLoop loop) {
    if (!loop.alive() && !stopping) return false;
    if (failure != null) return false;
    long now = System.nanoTime();
    long stall = stallTimeout.toNanos();
    if (!stopping && now - heartbeatNanos > stall) return false;
    if (loop.waitingForRoom()) return true; // waiting for the shipper: back-pressure, not a stall
    return loop.lagBytes() == 0 || now - lastReadProgressNanos <= stall;
  }

  /** Why {@link #live} is false, for the {@code /livez} body. */
  String liveness(TailLoop loop) {
    if (failure != null) return "tailing failed: " + failure;
    return live(loop) ? "ok"
        : "tailing stalled: bytes wait and nothing was read for " + stallTimeout.toSeconds() + " s";
  }
}
