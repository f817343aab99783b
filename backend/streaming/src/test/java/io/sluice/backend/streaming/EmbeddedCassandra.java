package io.sluice.backend.streaming;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.cassandra.service.CassandraDaemon;

/**
 * One real Cassandra 5.0 node inside this JVM (at most one per JVM: Cassandra keeps global state), on free ports on
 * 127.0.0.1, with its data in a temp directory. Needs the add-opens/add-exports of Cassandra's jvm17-server.options
 * and {@code -Dcassandra-foreground=true} on the command line (see this module's failsafe argLine). Start takes
 * ~8 s on an idle machine.
 */
public final class EmbeddedCassandra {
  public static final String DATACENTER = "datacenter1";
  private static EmbeddedCassandra instance;

  private final int nativePort;
  private final Path dir;

  private EmbeddedCassandra(int nativePort, Path dir) {
    this.nativePort = nativePort;
    this.dir = dir;
  }

  /** The node of this JVM, started on first use. */
  public static synchronized EmbeddedCassandra get() {
    if (instance == null) {
      instance = start();
    }
    return instance;
  }

  public String contactPoint() {
    return "127.0.0.1:" + nativePort;
  }

  public Path dir() {
    return dir;
  }

  private static EmbeddedCassandra start() {
    try {
      Path dir = Files.createTempDirectory("sluice-cassandra-");
      int storage = freePort();
      int nativePort = freePort();
      String yaml =
          String.join(
              "\n",
              "cluster_name: sluice-test",
              "num_tokens: 1",
              "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
              "commitlog_sync: periodic",
              "commitlog_sync_period: 10000ms",
              "data_file_directories: [" + dir.resolve("data") + "]",
              "commitlog_directory: " + dir.resolve("commitlog"),
              "saved_caches_directory: " + dir.resolve("saved_caches"),
              "hints_directory: " + dir.resolve("hints"),
              "cdc_raw_directory: " + dir.resolve("cdc"),
              "endpoint_snitch: SimpleSnitch",
              "seed_provider:",
              "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
              "    parameters:",
              "      - seeds: \"127.0.0.1:" + storage + "\"",
              "listen_address: 127.0.0.1",
              "rpc_address: 127.0.0.1",
              "storage_port: " + storage,
              "native_transport_port: " + nativePort,
              "start_native_transport: true",
              "concurrent_reads: 4",
              "concurrent_writes: 4",
              "");
      Path config = dir.resolve("cassandra.yaml");
      Files.writeString(config, yaml);
      System.setProperty("cassandra.config", config.toUri().toString());
      System.setProperty("cassandra.storagedir", dir.toString());
      System.setProperty("cassandra-foreground", "true");
      System.setProperty("cassandra.ring_delay_ms", "0");
      System.setProperty("cassandra.skip_wait_for_gossip_to_settle", "0");
      System.setProperty("cassandra.superuser_setup_delay_ms", "0");
      // as Cassandra's own test suite runs: no blocking flush of the system and schema tables, which start-up and every
      // CREATE otherwise force (seconds on a busy disk); their writes still go to the commit log and memtables, and
      // this node is never restarted. The tests' own keyspaces are untouched by it.
      System.setProperty("cassandra.unsafesystem", "true");
      new CassandraDaemon(true).activate();
      return new EmbeddedCassandra(nativePort, dir);
    } catch (IOException e) {
      throw new UncheckedIOException("could not prepare the embedded Cassandra directory", e);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
