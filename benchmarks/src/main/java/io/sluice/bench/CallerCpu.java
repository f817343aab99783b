package io.sluice.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The logging threads' own CPU time and allocated bytes per call, over measurement iterations only: the caller's cost
 * without the time it waited for a core, and without what the appender's background threads allocate (JMH's
 * {@code gc.alloc.rate.norm} divides the whole JVM's allocation by the calls). On a shared 2-core machine the load
 * inflates ns/op (wall time) much more than this. A benchmark's
 * per-thread state extends it, counts calls in {@link #calls}, and the benchmark prints {@link #report()} in its
 * trial teardown after {@link #reset()} in its trial setup.
 *
 * <p>A paced benchmark (one that waits between bursts of calls, so that the appender's queue stays short) brackets
 * each burst with {@link #windowStart()} and {@link #windowEnd(int)}: only the calls inside the windows are counted,
 * so the pause is not, and the cost of reading the two counters (measured per thread once, over 2,000 empty windows)
 * is subtracted.
 */
@State(Scope.Thread)
public class CallerCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.ThreadMXBean HOTSPOT_THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final LongAdder CPU_NANOS = new LongAdder();
  private static final LongAdder ALLOCATED = new LongAdder();
  private static final LongAdder CALLS = new LongAdder();
  private static final LongAdder OVERHEAD_CPU = new LongAdder();
  private static final LongAdder OVERHEAD_THREADS = new LongAdder();

  /** Calls made by this thread; the benchmark method increments it. */
  public long calls;
  private long startCpu;
  private long startAllocated;
  private long startCalls;
  private boolean measuring;

  private long windowCpu;
  private long windowAllocated;
  private long windowCalls;
  private long windows;
  private long openCpu;
  private long openAllocated;
  private double overheadCpu = -1;
  private double overheadAllocated;

  @Setup(Level.Iteration)
  public void startIteration(IterationParams params) {
    measuring = params.getType() == IterationType.MEASUREMENT;
    startCalls = calls;
    if (overheadCpu < 0) calibrate();
    windowCpu = windowAllocated = windowCalls = windows = 0;
    startAllocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes();
    startCpu = THREADS.getCurrentThreadCpuTime();
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    long cpu = THREADS.getCurrentThreadCpuTime() - startCpu;
    long allocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes() - startAllocated;
    if (!measuring) return;
    if (windows > 0) {
      CPU_NANOS.add(Math.max(0, Math.round(windowCpu - windows * overheadCpu)));
      ALLOCATED.add(Math.max(0, Math.round(windowAllocated - windows * overheadAllocated)));
      CALLS.add(windowCalls);
    } else {
      CPU_NANOS.add(cpu);
      ALLOCATED.add(allocated);
      CALLS.add(calls - startCalls);
    }
  }

  /** Opens a window: the calls up to {@link #windowEnd} are the only ones counted in this iteration. */
  public final void windowStart() {
    openAllocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes();
    openCpu = THREADS.getCurrentThreadCpuTime();
  }

  /** Closes the window opened by {@link #windowStart()}, in which this thread made {@code callsInWindow} calls. */
  public final void windowEnd(int callsInWindow) {
    long cpu = THREADS.getCurrentThreadCpuTime();
    long allocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes();
    windowCpu += cpu - openCpu;
    windowAllocated += allocated - openAllocated;
    windowCalls += callsInWindow;
    windows++;
  }

  /** What an empty window costs on this thread (the two counter reads), subtracted from every window. */
  private void calibrate() {
    int n = 2_000;
    for (int i = 0; i < n; i++) { // warm the calls up first
      windowStart();
      windowEnd(0);
    }
    windowCpu = windowAllocated = 0;
    for (int i = 0; i < n; i++) {
      windowStart();
      windowEnd(0);
    }
    overheadCpu = (double) windowCpu / n;
    overheadAllocated = (double) windowAllocated / n;
    OVERHEAD_CPU.add(Math.round(overheadCpu));
    OVERHEAD_THREADS.increment();
  }

  public static void reset() {
    CPU_NANOS.reset();
    ALLOCATED.reset();
    CALLS.reset();
    OVERHEAD_CPU.reset();
    OVERHEAD_THREADS.reset();
  }

  public static String report() {
    long calls = CALLS.sum();
    double n = Math.max(calls, 1);
    return String.format("caller CPU %.0f ns/call, caller allocation %.0f B/call, over %,d calls (counter reads: %d ns"
        + " per window, subtracted when windowed)", CPU_NANOS.sum() / n, ALLOCATED.sum() / n, calls,
        OVERHEAD_CPU.sum() / Math.max(1, OVERHEAD_THREADS.sum()));
  }
}
