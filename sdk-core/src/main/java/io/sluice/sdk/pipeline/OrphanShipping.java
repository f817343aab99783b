package io.sluice.sdk.pipeline;

import io.sluice.proto.v1.Hello;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.thread.SluiceThreads;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Ships the batches of spool slots that another instance left ({@link SpoolSlots#orphans}), each under its own
 * identity (client id, epoch) through its own {@link ShipWorker}, and releases each slot once it is empty so that
 * the next instance to start can take it. One daemon thread per adopted slot ({@code sluice-adopted}), which only
 * waits; stopped by {@link #close} (what is left stays in the slot for the next start). Thread-safe.
 */
final class OrphanShipping implements AutoCloseable {
  private final List<Adopted> adopted = new ArrayList<>();
  private final ShipWorker.Counters counters = new ShipWorker.Counters();
  private volatile boolean closed;

  private final class Adopted {
    final RocksDbSpool spool;
    final ShipWorker worker;
    final Thread waiter;
    boolean released;

    Adopted(PipelineConfig config, RocksDbSpool spool, Function<Hello, Shipper> shipperFactory) {
      this.spool = spool;
      this.worker = new ShipWorker(config, spool, shipperFactory, config.hello(spool.clientId(), spool.epoch()),
          counters);
      Diagnostics d = config.diagnostics();
      long batches = spool.batches();
      this.waiter = SluiceThreads.newThread(() -> {
        // A slow poll: this thread only decides when the slot can be released.
        while (!closed && spool.batches() > 0) {
          java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        if (closed) return;
        if (release()) {
          d.warn("shipped the " + batches + " batches that another instance left in spool " + spool.dir()
              + "; released it", null);
        }
      }, "sluice-adopted");
    }

    /** Stops the worker and closes the spool once; true the first time. */
    synchronized boolean release() {
      if (released) return false;
      released = true;
      worker.stop(TimeUnit.SECONDS.toNanos(3));
      spool.close();
      return true;
    }
  }

  OrphanShipping(PipelineConfig config, List<RocksDbSpool> spools, Function<Hello, Shipper> shipperFactory) {
    for (RocksDbSpool s : spools) {
      Adopted a = new Adopted(config, s, shipperFactory);
      adopted.add(a);
      config.diagnostics().warn("spool " + s.dir() + " was left by an instance that no longer runs and holds "
          + s.batches() + " batches (" + s.records() + " records); shipping them now (counted as spoolsAdopted)",
          null);
      a.worker.start();
      a.waiter.start();
    }
  }

  /** How many slots were adopted at start. */
  int adopted() {
    return adopted.size();
  }

  /** Records of adopted slots that the collector acknowledged. */
  long acknowledged() {
    return counters.acknowledged.sum();
  }

  @Override
  public void close() {
    if (closed) return;
    closed = true;
    for (Adopted a : adopted) {
      a.release();
      a.waiter.interrupt();
    }
  }
}
