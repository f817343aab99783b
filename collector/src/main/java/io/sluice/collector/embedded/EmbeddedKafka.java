package io.sluice.collector.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real KRaft Kafka cluster inside this JVM, built on Kafka's own {@code KafkaClusterTestKit}: one KRaft
 * controller and {@code numBrokers} brokers, listening on 127.0.0.1 with free ports. For tests and for the collector's single-machine
 * mode ({@code --embedded-kafka}). Starting takes about 5 s and ~250 MB of heap.
 *
 * <p>The test kit's threads are not daemons: always {@link #close()} (try-with-resources or a finally), or the JVM
 * does not exit. Not thread-safe for start/stop/restart; {@link #bootstrapServers()} may be read from any thread.
 *
 * <p>Broker restart: {@link #stopBroker(int)} shuts one broker down (its log dirs stay) and {@link #startBroker(int)}
 * builds a new broker server from the same config and data (KafkaClusterTestKit#restartBroker). The listener port
 * is kept, so clients holding {@link #bootstrapServers()} reconnect by themselves.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private final KafkaClusterTestKit cluster;
  private final Path baseDir;
  private final boolean ownsDir;
  private final String bootstrap;

  /**
   * Threads a broker or controller cannot work without (request handlers, network threads and acceptors, the Raft
   * I/O thread, the quorum controller, the lifecycle managers, the metadata loaders, the group coordinator). Kafka
   * gives its threads an uncaught-exception handler that only logs, so a death (an OutOfMemoryError) is seen only by
   * checking them.
   */
  private static final java.util.regex.Pattern CRITICAL = java.util.regex.Pattern.compile(
      "data-plane-kafka-(request-handler|network-thread|socket-acceptor)-.*|kafka-\\d+-raft-io-thread"
          + "|quorum-controller-.*|.*-lifecycle-manager-event-handler|kafka-\\d+-metadata-loader-event-handler"
          + "|group-coordinator-event-processor-.*");

  private volatile java.util.List<Thread> criticalThreads;
  private volatile boolean restarting;

  private EmbeddedKafka(KafkaClusterTestKit cluster, Path baseDir, boolean ownsDir, java.util.List<Thread> threads) {
    this.cluster = cluster;
    this.baseDir = baseDir;
    this.ownsDir = ownsDir;
    this.bootstrap = cluster.bootstrapServers();
    this.criticalThreads = threads;
  }

  /** Live threads matching {@link #CRITICAL} that are not in {@code before}. */
  private static java.util.List<Thread> criticalThreadsSince(Set<Thread> before) {
    java.util.List<Thread> out = new java.util.ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (!before.contains(t) && CRITICAL.matcher(t.getName()).matches()) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * Null while no fatal fault was recorded and every critical thread started with the cluster is alive, else what
   * went wrong (for liveness). Brokers stopped on purpose ({@link #stopBroker}) are not reported; their new threads are watched after
   * {@link #startBroker}.
   */
  public String deadThread() {
    // the test kit's fault handler records a fatal fault (where a standalone broker would halt the JVM) and goes on
    var fault = cluster.fatalFaultHandler().firstException();
    if (fault != null) {
      return "a fatal fault: " + fault.getMessage();
    }
    if (restarting) {
      return null;
    }
    for (Thread t : criticalThreads) {
      if (!t.isAlive()) {
        return "thread " + t.getName() + " has died";
      }
    }
    return null;
  }

  /** One broker and one controller in a temp directory removed on close. */
  public static EmbeddedKafka start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** host:port list for clients; the same across broker restarts. */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** Ids of the broker nodes (0 .. numBrokers-1). */
  public Set<Integer> brokerIds() {
    return new TreeSet<>(cluster.brokers().keySet());
  }

  /** The directory holding every node's metadata and log dirs. */
  public Path baseDir() {
    return baseDir;
  }

  /** Creates {@code topic} if it does not exist and waits until it does. */
  public void createTopic(String topic, int partitions, int replicationFactor) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) replicationFactor))).all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("could not create topic " + topic, e.getCause());
      }
    } catch (Exception e) {
      throw new IllegalStateException("could not create topic " + topic, e);
    }
  }

  /** An admin client for this cluster; the caller closes it. */
  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
  }

  /** Shuts broker {@code id} down and waits until it is down; its data stays on disk. */
  public void stopBroker(int id) {
    var broker = cluster.brokers().get(id);
    if (broker == null) {
      throw new IllegalArgumentException("no broker " + id + "; brokers are " + brokerIds());
    }
    restarting = true; // its threads end on purpose
    try {
      broker.shutdown();
      broker.awaitShutdown();
    } finally {
      criticalThreads = criticalThreads.stream().filter(Thread::isAlive).toList();
      restarting = false;
    }
  }

  /** Starts broker {@code id} again on its old data and port (after {@link #stopBroker}), and waits until ready. */
  public void startBroker(int id) {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    restarting = true;
    try {
      cluster.restartBroker(id, Map.of()); // shutdown is skipped when already down
      waitForReady();
    } finally {
      java.util.List<Thread> all = new java.util.ArrayList<>(criticalThreads);
      all.addAll(criticalThreadsSince(before));
      criticalThreads = all.stream().filter(Thread::isAlive).toList();
      restarting = false;
    }
  }

  /** {@link #stopBroker} then {@link #startBroker}. */
  public void restartBroker(int id) {
    stopBroker(id);
    startBroker(id);
  }

  private void waitForReady() {
    try {
      cluster.waitForReadyBrokers();
    } catch (ExecutionException e) {
      throw new IllegalStateException("brokers did not become ready", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for brokers", e);
    }
  }

  /** Stops every node; deletes the data only when the directory was a temp one made here. */
  @Override
  public void close() {
    try {
      cluster.close();
    } catch (Exception e) {
      throw new IllegalStateException("closing the embedded Kafka cluster failed", e);
    } finally {
      if (ownsDir) {
        deleteQuietly(baseDir);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException ignored) {
      // best effort: a temp dir
    }
  }

  /**
   * format() prints the bootstrap metadata to System.out; the collector's stdout is its interface (the
   * "listening on" line), so that print goes to stderr instead. Only called while nothing else runs (start-up).
   */
  private static void formatQuietly(KafkaClusterTestKit cluster) throws Exception {
    java.io.PrintStream stdout = System.out;
    System.setOut(System.err);
    try {
      cluster.format();
    } finally {
      System.setOut(stdout);
    }
  }

  /** Written after a successful format: the cluster id and size to reopen the directory with. */
  static final String MARKER = "sluice-embedded-kafka.properties";

  private static Properties readMarker(Path dir) throws IOException {
    Path f = dir.resolve(MARKER);
    if (!Files.exists(f)) {
      try (var entries = Files.list(dir)) {
        // a fresh volume often holds lost+found: that is still an empty directory
        if (entries.anyMatch(e -> !e.getFileName().toString().equals("lost+found"))) {
          throw new IllegalStateException(dir + " is not empty and was not formatted by the embedded broker (no "
              + MARKER + "); give --embedded-kafka-dir an empty or a previously used directory");
        }
      }
      return null;
    }
    Properties p = new Properties();
    try (var in = Files.newInputStream(f)) {
      p.load(in);
    }
    if (p.getProperty("clusterId") == null || p.getProperty("numBrokers") == null) {
      throw new IllegalStateException(f + " lacks clusterId or numBrokers; restore it or use another directory");
    }
    return p;
  }

  private static void writeMarker(Path dir, String clusterId, int numBrokers) throws IOException {
    Properties p = new Properties();
    p.setProperty("clusterId", clusterId);
    p.setProperty("numBrokers", String.valueOf(numBrokers));
    Path tmp = dir.resolve(MARKER + ".tmp");
    try (var out = Files.newOutputStream(tmp)) {
      p.store(out, "embedded Kafka cluster in this directory (sluice collector); do not edit");
    }
    Files.move(tmp, dir.resolve(MARKER), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** Size and place of the cluster. Defaults: 1 broker (+ 1 controller), a fresh temp directory. */
  public static final class Builder {
    private int numBrokers = 1;
    private Path baseDir;
    private final Map<String, Object> brokerProperties = new HashMap<>();

    private Builder() {}

    /** Broker nodes, 1 to 5 (there is always one controller besides them). */
    public Builder numBrokers(int n) {
      if (n < 1 || n > 5) {
        throw new IllegalArgumentException("numBrokers " + n + " is out of range [1, 5]");
      }
      this.numBrokers = n;
      return this;
    }

    /**
     * Keeps data in {@code dir} (created if missing; not deleted on close). An empty directory is formatted; a
     * directory this class formatted before (it holds {@value #MARKER}) is reopened with its cluster id and data,
     * so topics and records survive a restart of the process. Its broker count must be the same as then.
     */
    public Builder baseDir(Path dir) {
      this.baseDir = dir;
      return this;
    }

    /** A broker config property, e.g. {@code log.retention.ms}. */
    public Builder brokerProperty(String name, Object value) {
      brokerProperties.put(name, value);
      return this;
    }

    public EmbeddedKafka start() {
      boolean owns = baseDir == null;
      Properties previous = null;
      Path dir;
      try {
        dir = owns ? Files.createTempDirectory("sluice-kafka-") : Files.createDirectories(baseDir);
        previous = readMarker(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the embedded Kafka directory " + baseDir, e);
      }
      KafkaClusterTestKit cluster = null;
      Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
      try {
        // Brokers and the controller are separate nodes: restartBroker builds a new broker server with its own
        // SharedServer, which in combined mode would fight the still-running controller over the metadata log
        // (seen: BrokerServer.startup never returns).
        if (previous != null && !String.valueOf(numBrokers).equals(previous.getProperty("numBrokers"))) {
          throw new IllegalStateException(dir + " holds a cluster of " + previous.getProperty("numBrokers")
              + " brokers, not " + numBrokers + "; use another directory");
        }
        TestKitNodes.Builder nb = new TestKitNodes.Builder();
        if (previous != null) {
          nb.setClusterId(previous.getProperty("clusterId"));
        }
        TestKitNodes nodes = nb
            .setCombined(false)
            .setNumBrokerNodes(numBrokers)
            .setNumControllerNodes(1)
            .setBaseDirectory(dir)
            .build();
        short rf = (short) Math.min(3, numBrokers);
        KafkaClusterTestKit.Builder b = new KafkaClusterTestKit.Builder(nodes)
            .setConfigProp("offsets.topic.replication.factor", String.valueOf(rf))
            .setConfigProp("transaction.state.log.replication.factor", String.valueOf(rf))
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("auto.create.topics.enable", "false");
        brokerProperties.forEach(b::setConfigProp);
        b.setDeleteOnClose(false); // we delete our own temp dir; a given dir is the user's
        cluster = b.build();
        if (previous == null) {
          formatQuietly(cluster); // a formatted node refuses a second format ("Failed to format node")
          writeMarker(dir, nodes.clusterId(), numBrokers);
        }
        cluster.startup();
        cluster.waitForReadyBrokers();
        return new EmbeddedKafka(cluster, dir, owns, criticalThreadsSince(before));
      } catch (Exception e) {
        if (cluster != null) {
          try {
            cluster.close();
          } catch (Exception suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        if (owns) {
          deleteQuietly(dir);
        }
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        throw new IllegalStateException("embedded Kafka did not start: " + e, e);
      }
    }
  }
}
