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
 */
@State(Scope.Thread)
public class CallerCpu {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.ThreadMXBean HOTSPOT_THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
  private static final LongAdder CPU_NANOS = new LongAdder();
  private static final LongAdder ALLOCATED = new LongAdder();
  private static final LongAdder CALLS = new LongAdder();

  /** Calls made by this thread; the benchmark method increments it. */
  public long calls;
  private long startCpu;
  private long startAllocated;
  private long startCalls;
  private boolean measuring;

  @Setup(Level.Iteration)
  public void startIteration(IterationParams params) {
    measuring = params.getType() == IterationType.MEASUREMENT;
    startCalls = calls;
    startAllocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes();
    startCpu = THREADS.getCurrentThreadCpuTime();
  }

  @TearDown(Level.Iteration)
  public void endIteration() {
    long cpu = THREADS.getCurrentThreadCpuTime() - startCpu;
    long allocated = HOTSPOT_THREADS.getCurrentThreadAllocatedBytes() - startAllocated;
    if (measuring) {
      CPU_NANOS.add(cpu);
      ALLOCATED.add(allocated);
      CALLS.add(calls - startCalls);
    }
  }

  public static void reset() {
    CPU_NANOS.reset();
    ALLOCATED.reset();
    CALLS.reset();
  }

  public static String report() {
    long calls = CALLS.sum();
    double n = Math.max(calls, 1);
    return String.format("caller CPU %.0f ns/call, caller allocation %.0f B/call, over %,d calls", CPU_NANOS.sum() / n,
        ALLOCATED.sum() / n, calls);
  }
}
