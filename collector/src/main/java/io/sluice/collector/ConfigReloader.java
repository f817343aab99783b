package io.sluice.collector;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.CollectorConfigYaml;
import io.sluice.collector.config.ConfigException;
import io.sluice.config.ConfigReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the dynamic sections of the collector configuration (tenants, auth, limits.tenantDefault, routes) without
 * a restart, from one of two sources: collector.yaml, re-read every {@code reloadInterval} on one named daemon
 * thread ({@code sluice-config-reload}), or, when {@code zookeeper.connect} is set, a ZooKeeper node watched by
 * {@link ZooKeeperConfigSource} (so every collector of a fleet changes together). Both go through
 * {@link #apply(String, String)}: a document that does not parse or validate is rejected as a whole, the running
 * policy stays, and the failure is logged (every problem of the document, each with its line and key) and counted.
 * Static keys (listen, kafka.*, tls, ...) are read but only
 * take effect on restart. Polling the file rather than a WatchService: it also sees Kubernetes ConfigMap updates,
 * which swap a symlink.
 */
public final class ConfigReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

  private final Path file;
  private final CollectorConfig base;
  private final Consumer<CollectorConfig> apply;
  private final CollectorMetrics metrics;
  private final Thread thread;
  private final ZooKeeperConfigSource zookeeper;
  private volatile boolean closed;
  private String lastText;

  ConfigReloader(CollectorConfig base, Consumer<CollectorConfig> apply, CollectorMetrics metrics) {
    this.file = base.configFile();
    this.base = base;
    this.apply = apply;
    this.metrics = metrics;
    if (base.zookeeperConnect() != null) {
      this.thread = null;
      this.zookeeper = new ZooKeeperConfigSource(base.zookeeperConnect(), base.zookeeperPath(), this::apply);
    } else {
      this.zookeeper = null;
      this.lastText = read();
      this.thread = new Thread(this::run, "sluice-config-reload");
      thread.setDaemon(true);
      thread.start();
    }
  }

  private String read() {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return null;
    }
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(base.reloadInterval().toMillis());
      } catch (InterruptedException e) {
        return;
      }
      String text = read();
      if (text == null || text.equals(lastText)) {
        continue;
      }
      lastText = text;
      apply(text, file.toString());
    }
  }

  /**
   * Parses {@code text} (collector.yaml syntax) over the static base config and, if it validates, applies its dynamic
   * sections; else counts a reload failure and keeps the running policy. {@code origin} names the source in logs.
   */
  synchronized void apply(String text, String origin) {
    if (closed) {
      return;
    }
    try {
      CollectorConfig.Builder b = base.toBuilder().clearTenants().clearRoutes().anonymous(null).oidc(null)
          .tenantDefaultLimit(null);
      ConfigReader doc = CollectorConfigYaml.applyText(origin, text, b, System::getenv);
      CollectorConfig next;
      try {
        next = b.build();
        next.checkAuthentication();
      } catch (ConfigException e) {
        throw CollectorConfigYaml.locate(e, doc);
      }
      apply.accept(next);
      metrics.configReloaded(true);
      log.info("reloaded {}: {} tenants, {} routes", origin, next.tenants().size(), next.routes().size());
    } catch (ConfigException e) {
      metrics.configReloaded(false);
      log.warn("ignored a change of {} (the running configuration stays); {} problem(s):\n{}", origin,
          e.problems().size(), e.getMessage());
    } catch (RuntimeException e) {
      metrics.configReloaded(false);
      log.warn("ignored a change of {} (the running configuration stays)", origin, e);
    }
  }

  @Override
  public void close() {
    closed = true;
    if (thread != null) {
      thread.interrupt();
    }
    if (zookeeper != null) {
      zookeeper.close();
    }
  }
}
