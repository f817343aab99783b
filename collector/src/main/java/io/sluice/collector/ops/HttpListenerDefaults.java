package io.sluice.collector.ops;

/**
 * The JDK HTTP server's own bounds, which are JVM-wide system properties read once, when the first
 * {@code com.sun.net.httpserver.HttpServer} of the JVM is created. {@link #apply()} sets the collector's defaults for
 * those not given on the command line ({@code -Dname=value} wins): it runs in {@code CollectorMain.main} first thing
 * and when {@link OpsHttpServer} is loaded. A program embedding the collector that starts a JDK HttpServer of its own
 * earlier must pass them with {@code -D} itself.
 */
public final class HttpListenerDefaults {
  /** Seconds a request's line, headers and body may take to arrive ({@code sun.net.httpserver.maxReqTime}). */
  public static final long MAX_REQ_TIME_S = 10;
  /** Seconds a client may take to read a response ({@code sun.net.httpserver.maxRspTime}). */
  public static final long MAX_RSP_TIME_S = 30;
  /** Open connections, idle ones included ({@code jdk.httpserver.maxConnections}). */
  public static final int MAX_CONNECTIONS = 512;

  private HttpListenerDefaults() {}

  /** Sets the defaults of the properties that are not set yet. Idempotent. */
  public static synchronized void apply() {
    setIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQ_TIME_S));
    setIfAbsent("sun.net.httpserver.maxRspTime", String.valueOf(MAX_RSP_TIME_S));
    setIfAbsent("jdk.httpserver.maxConnections", String.valueOf(MAX_CONNECTIONS));
  }

  /** The request timeout in force, in seconds (what {@link #apply()} or the command line set). */
  public static long maxReqTimeSeconds() {
    return Long.getLong("sun.net.httpserver.maxReqTime", MAX_REQ_TIME_S);
  }

  private static void setIfAbsent(String name, String value) {
    if (System.getProperty(name) == null) {
      System.setProperty(name, value);
    }
  }
}
