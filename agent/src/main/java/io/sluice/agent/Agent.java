package io.sluice.agent;

import io.sluice.agent.tail.TailedFile;
import io.sluice.agent.tail.Tailer;
import io.sluice.proto.v1.Hello;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.ShipWorker;
import io.sluice.sdk.ship.GrpcShipper;
import io.sluice.sdk.ship.Shipper;
import io.sluice.sdk.spool.RocksDbSpool;
import io.sluice.sdk.spool.Spool;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The tailing agent's lifecycle: {@link #start} opens the spool and wires the parts, {@link #close} stops and drains
 * them. The parts: {@link FileDiscovery} finds files, the {@link Tailer} reads them, {@link FileEvents} counts what
 * it reports and hands each file an {@link InputProcessor}, {@link BatchSpooler} batches, compresses and writes each
 * batch with the file offsets it covers into the RocksDB spool in one write, {@link TailLoop} runs all of that on one
 * thread, sdk-core's {@link ShipWorker} ships the spool, {@link AgentHealth} judges readiness and liveness and
 * {@link AgentHttp} serves them with the metrics. {@link DryRun} reads a configuration's files without any of that.
 *
 * <p>Delivery: a file's checkpoint only ever names the end of a record that is in the spool (or earlier), so a
 * crash at any instant loses nothing; after a restart each file resumes at its checkpoint, and only batches that
 * were in flight to the collector can arrive twice. While the spool is full the agent stops reading (the files are
 * the buffer) and drops nothing.
 *
 * <p>Threads: one {@code sluice-agent-tail} thread owns the tailer, the batcher and the checkpoints; the shipper
 * has its own; the HTTP endpoint reads counters only. Memory: one batch (plus one read chunk of records), one
 * encoded batch waiting for room, and the tailer's per-file bounds. {@link #close} blocks for up to
 * {@code drainTimeout} (plus the shipper's 2 s stop).
 */
public final class Agent implements AutoCloseable {
  private final AgentConfig config;
  private final PipelineConfig pipeline;
  private final Spool spool;
  private final ShipWorker shipWorker;
  private final ShipWorker.Counters delivery = new ShipWorker.Counters();
  private final AgentStats stats = new AgentStats();
  private final Hello hello;
  private final AgentHealth health;
  /** Batch, compress, spool (with the files' checkpoints): the tailing thread's. */
  private final BatchSpooler spooler;
  private final Tailer tailer;
  private final TailLoop loop;
  private AgentHttp http;

  private Agent(AgentConfig config, Spool spool, Function<Hello, Shipper> shipperFactory) {
    this.config = config;
    this.pipeline = config.pipeline();
    this.spool = spool;
    this.hello = pipeline.hello(spool.clientId(), spool.epoch());
    this.health = new AgentHealth(config.stallTimeout());
    this.shipWorker = new ShipWorker(pipeline, spool, shipperFactory, hello, delivery);
    // The batch resource (service.name) of each file; a batch holds one service's lines.
    ServiceResources resources = new ServiceResources(pipeline.resource(), pipeline.serviceName(),
        config.serviceNameFrom());
    this.spooler = new BatchSpooler(pipeline, spool, shipWorker, stats, resources.configured(), health::stopping,
        () -> health.beat(System.nanoTime()));
    FileDiscovery discovery = new FileDiscovery(config);
    FileEvents events = new FileEvents(config, discovery, resources, spooler, stats, health);
    this.tailer = new Tailer(config.tailer(), events);
    this.loop = new TailLoop(config, discovery, tailer, events, spooler, health, pipeline.diagnostics());
  }

  /**
   * Opens the spool (shipping what a previous run left), restores the checkpoints, and starts the tailing and
   * shipping threads and the HTTP endpoint.
   *
   * @throws io.sluice.sdk.spool.SpoolException when the spool cannot be opened (e.g. another agent holds it)
   * @throws IOException when the HTTP port cannot be bound
   */
  public static Agent start(AgentConfig config) throws IOException {
    PipelineConfig p = config.pipeline();
    Spool spool = new RocksDbSpool(p.spoolDir(), p.spoolMaxBytes(), p.fsync(), p.clientId());
    return start(config, spool, hello -> new GrpcShipper(p.endpoints(), hello, p.tls(),
        GrpcShipper.DEFAULT_KEEPALIVE_TIME, p.newCredentials()));
  }

  /** Starts over a given spool and shipper factory; the agent closes the spool on {@link #close}. */
  public static Agent start(AgentConfig config, Spool spool, Function<Hello, Shipper> shipperFactory)
      throws IOException {
    Agent a = new Agent(config, spool, shipperFactory);
    a.loop.restore(spool);
    if (config.httpPort() >= 0) a.http = AgentHttp.start(a, config.httpHost(), config.httpPort());
    a.shipWorker.start();
    a.loop.start();
    return a;
  }

  /**
   * Stops reading, spools what was read (with checkpoints), waits up to {@code drainTimeout} for the collector to
   * acknowledge the spool, then closes everything. What is left stays in the spool for the next start.
   */
  @Override
  public void close() {
    if (health.stopping()) return;
    health.stop();
    long deadline = System.nanoTime() + config.drainTimeout().toNanos();
    loop.awaitStop(Math.max(1, config.drainTimeout().toMillis()));
    shipWorker.awaitEmptySpool(deadline);
    shipWorker.stop(TimeUnit.SECONDS.toNanos(2));
    if (http != null) http.close();
    tailer.close();
    spool.close();
    if (spool.batches() > 0) {
      pipeline.diagnostics().warn(spool.batches() + " batches (" + spool.records()
          + " records) stay in the spool for the next start", null);
    }
  }

  // ------------------------------------------------------------------------------------------------------ status

  public Hello hello() { return hello; }
  public AgentConfig config() { return config; }
  /** Port of the HTTP endpoint, or -1 when it is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }
  /** First scan done and not shutting down ({@link AgentHealth#ready}). */
  public boolean ready() {
    return health.ready();
  }
  /** {@link AgentHealth#live}. */
  public boolean live() { return health.live(loop); }
  /** Why {@link #live()} is false, for the {@code /livez} body. */
  String liveness() { return health.liveness(loop); }
  AgentStats stats() { return stats; }
  ShipWorker.Counters delivery() { return delivery; }
  Spool spool() { return spool; }
  /** Open files, as of the tailing thread's last pass (a snapshot: safe from any thread). */
  List<TailedFile> files() {
    return loop.files();
  }
  long deferredFiles() { return loop.deferredFiles(); }
  long rotatedSiblingsRead() { return loop.rotatedSiblingsRead(); }
  int rememberedFiles() { return loop.rememberedFiles(); }
  /** Seconds since the oldest batch still in the spool was written (a batch from a previous run counts from start). */
  double oldestUnackedAgeSeconds() {
    return spooler.oldestUnackedAgeSeconds();
  }
}
