package io.sluice.sdk.thread;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Makes Sluice's own threads, marked so appenders can tell them apart: anything logged on them (by gRPC, Netty,
 * RocksDB or Sluice) is never fed back into the pipeline.
 */
public final class SluiceThreads {
  private SluiceThreads() {}

  /** A daemon thread of Sluice's. */
  static final class SluiceThread extends Thread {
    SluiceThread(Runnable r, String name) {
      super(r, name);
      setDaemon(true);
    }
  }

  public static Thread newThread(Runnable r, String name) {
    return new SluiceThread(r, name);
  }

  /** A factory naming threads {@code prefix-1}, {@code prefix-2}, ... */
  public static ThreadFactory factory(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> new SluiceThread(r, prefix + "-" + n.incrementAndGet());
  }

  public static boolean isInternal(Thread t) {
    return t instanceof SluiceThread;
  }
}
