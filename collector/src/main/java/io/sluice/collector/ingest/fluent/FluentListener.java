package io.sluice.collector.ingest.fluent;

import io.sluice.collector.CollectorMetrics;
import io.sluice.collector.Policy;
import io.sluice.collector.config.FluentConfig;
import io.sluice.collector.ingest.RateLimitedLog;
import io.sluice.collector.ingest.RequestIngest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Fluent forward protocol listener ({@code fluent.listen}): Fluent Bit's and Fluentd's {@code forward} output
 * (and any client of the protocol, e.g. Fluency) send to it; see {@link FluentConnection} for what happens to a
 * message. Bounded: at most {@code fluent.maxConnections} connections, one daemon thread each (more are closed at
 * once and counted); per message {@code fluent.maxFrameBytes} on the wire and {@code fluent.maxDecompressedBytes}
 * decoded; all connections together decode at most {@code sharedDecodeBytes} at once; a client that keeps a
 * connection waiting longer than {@code fluent.idleTimeoutMs} is cut by a reaper thread. Plain TCP (put TLS in front
 * if the network needs it). Thread-safe; {@link #close()} is idempotent.
 */
public final class FluentListener implements AutoCloseable {
  static final Logger log = LoggerFactory.getLogger(FluentListener.class);

  private final FluentConfig config;
  private final RequestIngest requests;
  private final Supplier<Policy> policy;
  private final CollectorMetrics collectorMetrics;
  private final FluentMetrics metrics;
  private final SharedKeyAuth auth;
  private final ServerSocket server;
  private final ThreadPoolExecutor workers;
  private final ScheduledExecutorService reaper;
  private final Thread acceptor;
  private final Set<FluentConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong decoding = new AtomicLong();
  private final long sharedDecodeBytes;
  private final RateLimitedLog warnings = new RateLimitedLog(log, 10_000_000_000L, System::nanoTime);
  private volatile boolean closing;

  /**
   * Binds and starts accepting.
   *
   * @param sharedDecodeBytes most bytes all connections may decode at once (raised to one message's bound)
   */
  public FluentListener(FluentConfig config, RequestIngest requests, Supplier<Policy> policy,
      CollectorMetrics collectorMetrics, long sharedDecodeBytes) throws IOException {
    this.config = config;
    this.requests = requests;
    this.policy = policy;
    this.collectorMetrics = collectorMetrics;
    this.metrics = new FluentMetrics(collectorMetrics.registry());
    this.auth = new SharedKeyAuth(config);
    this.sharedDecodeBytes = Math.max(sharedDecodeBytes, (long) config.maxDecompressedBytes() + config.maxFrameBytes());
    this.server = new ServerSocket();
    try {
      server.setReuseAddress(true);
      server.bind(new InetSocketAddress(config.listenHost(), config.listenPort()), 128);
    } catch (IOException e) {
      server.close();
      throw new IOException("cannot listen on fluent.listen " + config.listenHost() + ":" + config.listenPort() + ": "
          + e.getMessage(), e);
    }
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(0, config.maxConnections(), 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
        r -> daemon(r, "sluice-fluent-conn-" + n.incrementAndGet()));
    this.reaper = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "sluice-fluent-reaper"));
    long period = Math.max(10, Math.min(1000, config.idleTimeout().toMillis() / 4));
    reaper.scheduleWithFixedDelay(this::reap, period, period, TimeUnit.MILLISECONDS);
    this.acceptor = daemon(this::acceptLoop, "sluice-fluent-accept");
    acceptor.start();
    log.info("Fluent forward listener on {}:{} ({} tenants with shared keys{})", config.listenHost(), port(),
        config.tenants().size(), auth.required() ? "" : "; no handshake, anonymous access");
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** The bound port (the real one when the config said 0). */
  public int port() {
    return server.getLocalPort();
  }

  public FluentMetrics metrics() {
    return metrics;
  }

  /** The threads whose death stops the listener (for the collector's liveness). */
  public java.util.List<Thread> threads() {
    return java.util.List.of(acceptor);
  }

  private void acceptLoop() {
    while (!closing) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (server.isClosed()) {
          return; // stopAccepting() or close()
        }
        if (!closing) {
          warn("the Fluent forward listener could not accept a connection: " + e);
        }
        continue;
      }
      if (open.incrementAndGet() > config.maxConnections()) {
        open.decrementAndGet();
        refuse(s);
        continue;
      }
      FluentConnection c = new FluentConnection(this, s);
      connections.add(c);
      metrics.opened();
      try {
        workers.execute(c);
      } catch (RejectedExecutionException e) {
        closed(c);
        refuse(s);
      }
    }
  }

  private void refuse(Socket s) {
    metrics.refused();
    warn("a Fluent forward connection from " + s.getRemoteSocketAddress() + " was closed at once: "
        + config.maxConnections() + " connections are open (fluent.maxConnections)");
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  private void reap() {
    long now = System.nanoTime();
    for (FluentConnection c : connections) {
      if (now - c.deadlineNanos() > 0 && c.deadlineNanos() != Long.MAX_VALUE) {
        c.timeOut();
      }
    }
  }

  void closed(FluentConnection c) {
    if (connections.remove(c)) {
      open.decrementAndGet();
      metrics.closed();
    }
  }

  FluentConfig config() {
    return config;
  }

  RequestIngest requests() {
    return requests;
  }

  SharedKeyAuth auth() {
    return auth;
  }

  boolean closing() {
    return closing;
  }

  boolean tenantConfigured(String tenant) {
    return policy.get().config().tenants().containsKey(tenant);
  }

  void authFailed() {
    collectorMetrics.authFailed("fluent-shared-key");
  }

  DecodeCost newCost() {
    return new DecodeCost(decoding, sharedDecodeBytes, config.maxDecompressedBytes());
  }

  void warn(String message) {
    warnings.warn(message);
  }

  /** Stops accepting new connections (the first step of a graceful shutdown); open ones keep being served. */
  public void stopAccepting() {
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** Closes the listener and every connection; messages still waiting for Kafka get no ack (clients resend). */
  @Override
  public void close() {
    closing = true;
    stopAccepting();
    for (FluentConnection c : connections) {
      c.closeSocket();
    }
    workers.shutdownNow();
    reaper.shutdownNow();
    try {
      if (!workers.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("{} Fluent forward connection threads did not end within 5 s", workers.getActiveCount());
      }
      acceptor.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
