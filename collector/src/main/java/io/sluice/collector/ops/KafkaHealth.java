package io.sluice.collector.ops;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches whether Kafka metadata is available: every {@code intervalMs} one {@code describeCluster} with a short
 * timeout, on one named daemon thread ({@code sluice-kafka-health}). {@link #ready()} is the last answer; changes
 * are reported to a listener (gRPC health, logs). Never blocks its callers. Its threads ({@link #threads()}) are
 * watched by {@link Liveness}: a dead checker would leave /readyz at its last answer forever.
 */
public final class KafkaHealth implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaHealth.class);

  private final Admin admin;
  private final long intervalMs;
  private final Consumer<Boolean> onChange;
  private final Thread thread;
  private volatile boolean ready;
  private volatile String lastError = "not checked yet";
  private volatile boolean closed;
  private static final java.util.concurrent.atomic.AtomicInteger INSTANCES =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.List<Thread> adminThreads;

  public KafkaHealth(String bootstrap, long intervalMs, Consumer<Boolean> onChange) {
    Map<String, Object> p = new HashMap<>();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.max(500, intervalMs));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.max(1000, 2 * intervalMs));
    p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
    // one id per instance: the admin client's thread is named after it, and liveness watches that thread
    String clientId = "sluice-collector-health-" + INSTANCES.incrementAndGet();
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
    java.util.Set<Thread> before = Liveness.threadsNow();
    this.admin = Admin.create(p);
    this.adminThreads = Liveness.newThreads(before, "kafka-admin-client-thread | " + clientId);
    this.intervalMs = intervalMs;
    this.onChange = onChange;
    check(); // the first answer before the collector reports anything
    this.thread = new Thread(this::run, "sluice-kafka-health");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The threads this check depends on: the admin client's network thread and the checker thread. If one dies,
   * /readyz would report its last answer forever, so liveness watches them.
   */
  public java.util.List<Thread> threads() {
    java.util.List<Thread> all = new java.util.ArrayList<>(adminThreads);
    all.add(thread);
    return all;
  }

  public boolean ready() {
    return ready;
  }

  /** Why Kafka was last seen unavailable (for /readyz). */
  public String lastError() {
    return lastError;
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(intervalMs);
      } catch (InterruptedException e) {
        return;
      }
      check();
    }
  }

  private void check() {
    boolean ok;
    try {
      int nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) Math.max(1000, intervalMs)))
          .nodes().get(2 * Math.max(1000, intervalMs), TimeUnit.MILLISECONDS).size();
      ok = nodes > 0;
      lastError = ok ? "" : "Kafka reports no brokers";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      ok = false;
      lastError = "Kafka metadata unavailable: " + (e.getCause() != null ? e.getCause() : e);
    }
    if (ok != ready) {
      ready = ok;
      if (ok) {
        log.info("Kafka metadata available: ready");
      } else {
        log.warn("not ready: {}", lastError);
      }
      onChange.accept(ok);
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    admin.close(java.time.Duration.ofSeconds(2));
  }
}
