package io.sluice.backend.streaming.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.io.Serializable;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the Cassandra sinks write: contact points ({@code host:port}), the local datacenter the driver routes to,
 * and the keyspace. Immutable and serializable (sink factories carry it to workers).
 */
public record CassandraSettings(List<String> contactPoints, String localDatacenter, String keyspace)
  implements Serializable {
  private static final Pattern KEYSPACE = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,47}");

  /** @throws IllegalArgumentException naming the CLI option and what to give */
  public CassandraSettings {
    contactPoints = List.copyOf(contactPoints);
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("--cassandra is empty: give at least one contact point as host:port");
    }
    for (String cp : contactPoints) {
      parse(cp);
    }
    if (localDatacenter == null || localDatacenter.isBlank()) {
      throw new IllegalArgumentException(
          "--cassandra-datacenter is empty: give the local datacenter name (nodetool status shows it, e.g. datacenter1)");
    }
    if (keyspace == null || !KEYSPACE.matcher(keyspace).matches()) {
      throw new IllegalArgumentException(
          "--cassandra-keyspace '" + keyspace
              + "' is not a keyspace name: letters, digits and _, starting with a letter, at most 48");
    }
  }

  /**
   * A new session (the caller closes it), not bound to the keyspace (so it can create it). Requests time out after
   * 30 s (schema changes and LOCAL_QUORUM writes on a busy node take seconds; the driver's 2 s default fails them).
   */
  public CqlSession connect() {
    var config =
        DriverConfigLoader.programmaticBuilder()
            .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(10))
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(30))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(30))
            .build();
    var builder = CqlSession.builder().withConfigLoader(config).withLocalDatacenter(localDatacenter);
    for (String cp : contactPoints) {
      builder.addContactPoint(parse(cp));
    }
    return builder.build();
  }

  private static InetSocketAddress parse(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("--cassandra '" + hostPort + "' is not host:port (e.g. 127.0.0.1:9042)");
    }
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new NumberFormatException();
      }
      return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), port);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--cassandra '" + hostPort + "' has no valid port (1-65535)");
    }
  }
}
