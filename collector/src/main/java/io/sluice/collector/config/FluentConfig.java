package io.sluice.collector.config;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Fluent forward protocol listener (key {@code fluent}; off unless configured): where it listens, the shared
 * keys that map a Fluent Bit / Fluentd client to a tenant, and its per-connection bounds. Static: a change needs a
 * restart. Immutable; built by {@link Builder}, which checks every value and names the key.
 *
 * @param listenHost address to bind ({@code fluent.listen}, e.g. {@code 0.0.0.0:24224}; port 0 = any free port)
 * @param listenPort port to bind
 * @param selfHostname the server name sent in HELO/PONG ({@code fluent.selfHostname}, default {@code sluice})
 * @param tenants tenant name to its shared key and optional users ({@code fluent.tenants}); empty = no handshake,
 *     clients are let in only when {@code auth.anonymous: true}
 * @param serviceKey record key whose string value becomes {@code service.name} ({@code fluent.serviceKey}, default
 *     {@code service}); a record without it takes its tag
 * @param maxFrameBytes most bytes one forward message may take on the wire ({@code fluent.maxFrameBytes}, default
 *     {@code limits.maxFrameBytes}); larger: error, connection closed
 * @param maxDecompressedBytes most bytes a CompressedPackedForward's entries may gunzip to
 *     ({@code fluent.maxDecompressedBytes}, default {@code limits.maxDecompressedBytes}); larger: error, closed
 * @param maxConnections connections served at once, one thread each ({@code fluent.maxConnections}, default 64);
 *     more are closed at once and counted
 * @param idleTimeout a connection that does not complete its handshake or its next message within this is closed
 *     ({@code fluent.idleTimeoutMs}, default 60 s)
 * @param anonymousTenant the tenant of clients let in without a handshake ({@code fluent.anonymousTenant}, default
 *     "": only used when {@code tenants} is empty and {@code auth.anonymous: true})
 */
public record FluentConfig(String listenHost, int listenPort, String selfHostname, Map<String, Tenant> tenants,
    String serviceKey, int maxFrameBytes, int maxDecompressedBytes, int maxConnections, Duration idleTimeout,
    String anonymousTenant) {

  /**
   * One tenant's Fluent credentials.
   *
   * @param sharedKey the {@code Shared_Key} its clients configure (the protocol needs the key itself, so write it
   *     as {@code ${ENV_VAR}}); unique across tenants
   * @param users username to password; when not empty a client of this tenant must also send one of them
   */
  public record Tenant(String sharedKey, Map<String, String> users) {
    public Tenant {
      users = Map.copyOf(users);
    }
  }

  public FluentConfig {
    tenants = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tenants));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Validating builder; the defaults of frame sizes come from {@code limits.*} when left unset (0). */
  public static final class Builder {
    private String listenHost = "0.0.0.0";
    private int listenPort = 24224;
    private String selfHostname = "sluice";
    private final Map<String, Tenant> tenants = new LinkedHashMap<>();
    private String serviceKey = "service";
    private int maxFrameBytes;
    private int maxDecompressedBytes;
    private int maxConnections = 64;
    private Duration idleTimeout = Duration.ofSeconds(60);
    private String anonymousTenant = "";

    public Builder anonymousTenant(String tenant) {
      anonymousTenant = tenant == null ? "" : tenant;
      return this;
    }

    /** {@code host:port}, e.g. {@code 0.0.0.0:24224}. */
    public Builder listen(String hostPort) {
      int colon = hostPort == null ? -1 : hostPort.lastIndexOf(':');
      String hint = "\"" + hostPort + "\" is not host:port; write e.g. 0.0.0.0:24224 (Fluent's usual port)";
      if (colon <= 0) {
        throw new ConfigException("fluent.listen", hint);
      }
      try {
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        if (port < 0 || port > 65535) throw new ConfigException("fluent.listen", hint);
        listenPort = port;
      } catch (NumberFormatException e) {
        throw new ConfigException("fluent.listen", hint);
      }
      listenHost = hostPort.substring(0, colon).replace("[", "").replace("]", "");
      return this;
    }

    public Builder selfHostname(String name) {
      if (name == null || name.isBlank()) {
        throw new ConfigException("fluent.selfHostname", "is empty; write the name clients should see, e.g. sluice");
      }
      selfHostname = name;
      return this;
    }

    public Builder tenant(String name, String sharedKey, Map<String, String> users) {
      if (sharedKey == null || sharedKey.isEmpty()) {
        throw new ConfigException("fluent.tenants." + name + ".sharedKey",
            "sharedKey is required; write the Shared_Key of this tenant's clients, e.g. ${FLUENT_KEY_"
                + name.toUpperCase() + "}");
      }
      for (Map.Entry<String, Tenant> e : tenants.entrySet()) {
        if (e.getValue().sharedKey().equals(sharedKey) && !e.getKey().equals(name)) {
          throw new ConfigException("fluent.tenants." + name + ".sharedKey",
              "sharedKey is the same as tenant " + e.getKey()
                  + "'s; each tenant needs its own key (it names the tenant)");
        }
      }
      for (Map.Entry<String, String> u : users.entrySet()) {
        if (u.getKey().isEmpty() || u.getValue() == null || u.getValue().isEmpty()) {
          throw new ConfigException("fluent.tenants." + name + ".users",
              "needs a non-empty username and password per entry, e.g. { fluentbit: ${FLUENT_PASSWORD} }");
        }
      }
      tenants.put(name, new Tenant(sharedKey, users));
      return this;
    }

    public Builder serviceKey(String key) {
      if (key == null || key.isEmpty()) {
        throw new ConfigException("fluent.serviceKey", "is empty; write a record key, e.g. service");
      }
      serviceKey = key;
      return this;
    }

    public Builder maxFrameBytes(long n) {
      maxFrameBytes = (int) bounded("fluent.maxFrameBytes", n, 1024, Integer.MAX_VALUE - 1024, "8MiB");
      return this;
    }

    public Builder maxDecompressedBytes(long n) {
      maxDecompressedBytes = (int) bounded("fluent.maxDecompressedBytes", n, 1024, Integer.MAX_VALUE - 1024,
          "32MiB");
      return this;
    }

    public Builder maxConnections(long n) {
      maxConnections = (int) bounded("fluent.maxConnections", n, 1, 10_000, "64");
      return this;
    }

    public Builder idleTimeout(Duration d) {
      if (d.isNegative() || d.isZero() || d.toMillis() > Integer.MAX_VALUE) {
        throw new ConfigException("fluent.idleTimeoutMs", d.toMillis() + " ms is not a duration > 0; write e.g. 60s");
      }
      idleTimeout = d;
      return this;
    }

    /** @param limitsFrame {@code limits.maxFrameBytes}, @param limitsDecompressed {@code limits.maxDecompressedBytes} */
    public FluentConfig build(int limitsFrame, int limitsDecompressed) {
      int frame = maxFrameBytes > 0 ? maxFrameBytes : limitsFrame;
      int decompressed = maxDecompressedBytes > 0 ? maxDecompressedBytes : Math.max(frame, limitsDecompressed);
      if (decompressed < frame) {
        throw new ConfigException("fluent.maxDecompressedBytes", decompressed + " is below fluent.maxFrameBytes ("
            + frame + "); raise it to at least that");
      }
      return new FluentConfig(listenHost, listenPort, selfHostname, tenants, serviceKey, frame, decompressed,
          maxConnections, idleTimeout, anonymousTenant);
    }

    private static long bounded(String key, long value, long min, long max, String example) {
      if (value < min || value > max) {
        throw new ConfigException(key, value + " is out of range [" + min + ", " + max + "]; write e.g. " + example);
      }
      return value;
    }
  }

  /** Tenants whose shared key is configured, in configuration order. */
  public List<String> tenantNames() {
    return List.copyOf(tenants.keySet());
  }
}
