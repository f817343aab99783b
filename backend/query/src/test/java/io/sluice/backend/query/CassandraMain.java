package io.sluice.backend.query;

import io.sluice.backend.streaming.EmbeddedCassandra;

/**
 * The child JVM {@link CassandraProcess} starts: one Cassandra node (backend/streaming's {@link EmbeddedCassandra}),
 * its contact point printed as {@code CASSANDRA host:port}, then running until its stdin closes (the parent exited or
 * closed it), so no node outlives the test.
 */
public final class CassandraMain {
  private CassandraMain() {}

  public static void main(String[] args) throws Exception {
    EmbeddedCassandra node = EmbeddedCassandra.get();
    System.out.println("CASSANDRA " + node.contactPoint());
    System.out.flush();
    while (System.in.read() >= 0) {
      // wait for EOF
    }
    System.exit(0);
  }
}
