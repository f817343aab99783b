package io.sluice.collector.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The HTTP listener (JDK HttpServer, or HttpsServer with {@code http.tls}): {@code /livez} (200 while the process
 * can work, else 503 with the reason: see {@link Liveness}), {@code /readyz} (200 when it should get traffic, else
 * 503 with the reason: Kafka metadata unavailable, shutting down), {@code /metrics} (Prometheus text format 0.0.4),
 * and the ingest endpoints added with {@link #addContext}. Paths match exactly (no prefixes, no {@code ..}): anything
 * else is 404; the ops endpoints take GET and HEAD only (405 with {@code Allow} otherwise).
 *
 * <p>Bounded against slow and many clients (slowloris):
 * <ul>
 *   <li>threads: at most {@code maxConcurrentRequests} requests are read and handled at once, a quarter of that more
 *       wait; a request beyond is refused by closing its connection ({@code sluice_collector_http_requests_refused_total});
 *   <li>time: a request's line, headers and body must arrive within {@value HttpListenerDefaults#MAX_REQ_TIME_S} s
 *       and a response be taken within {@value HttpListenerDefaults#MAX_RSP_TIME_S} s, else the JDK server closes the
 *       connection (a thread blocked reading it is freed); closes before a handler ran are counted in
 *       {@code sluice_collector_http_requests_timed_out_total};
 *   <li>connections: at most {@value HttpListenerDefaults#MAX_CONNECTIONS} open, idle keep-alive ones closed after
 *       30 s; a connection beyond the cap is closed at once.
 * </ul>
 * The time and connection bounds are the JDK server's own ({@link HttpListenerDefaults}: JVM-wide system properties,
 * read once), so an {@code -D} on the command line wins. Why the JDK server still: the handlers are written against
 * its API, no other HTTP server is on the classpath (gRPC's Netty is shaded, without its HTTP/1 codec), and these
 * bounds close every dripping connection. What it cannot do: it reads a request on a pool thread, so more dripping
 * clients at once than threads plus queue make the others wait or be refused (counted) for up to the timeout.
 * Responses of the ops endpoints are built in memory (the
 * metrics one is a few KB per tenant). Thread-safe; {@link #close()} stops the listener.
 */
public final class OpsHttpServer implements AutoCloseable {
  static {
    HttpListenerDefaults.apply(); // before the JDK server classes read them
  }

  private final HttpServer server;
  private final ThreadPoolExecutor pool;
  private final Map<String, Route> routes = new ConcurrentHashMap<>();
  private final ThreadLocal<boolean[]> handled = ThreadLocal.withInitial(() -> new boolean[1]);
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  private final AtomicLong notFound = new AtomicLong();
  private final AtomicLong badMethod = new AtomicLong();
  private final AtomicInteger busy = new AtomicInteger();
  private final long requestTimeoutNanos;

  private record Route(HttpHandler handler, Set<String> methods, String allow) {}

  /**
   * @param tls HTTPS with this context, or null for plain HTTP
   * @param needClientAuth with {@code tls}: refuse clients without a certificate (else certificates are optional)
   * @param maxConcurrentRequests requests read and handled at once (threads)
   * @param notLiveReason null while live, else why not ({@code /livez})
   * @param notReadyReason null when ready, else why not ({@code /readyz})
   */
  public OpsHttpServer(String host, int port, javax.net.ssl.SSLContext tls, boolean needClientAuth,
      int maxConcurrentRequests, PrometheusRegistry registry, Supplier<String> notLiveReason,
      Supplier<String> notReadyReason) throws IOException {
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } else {
      com.sun.net.httpserver.HttpsServer https =
          com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 64);
      https.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls) {
        @Override
        public void configure(com.sun.net.httpserver.HttpsParameters params) {
          javax.net.ssl.SSLParameters p = getSSLContext().getDefaultSSLParameters();
          if (needClientAuth) {
            p.setNeedClientAuth(true);
          }
          params.setSSLParameters(p);
        }
      });
      server = https;
    }
    long timeoutS = HttpListenerDefaults.maxReqTimeSeconds();
    // the JDK's timer closes a connection at its first 1 s tick after the timeout, counted from a moment just before
    // our execute(): an exchange that ended unhandled after (timeout - 0.5 s) was closed by it (<= 0: no timeout)
    requestTimeoutNanos = timeoutS > 0 ? TimeUnit.SECONDS.toNanos(timeoutS) - TimeUnit.SECONDS.toNanos(1) / 2
        : Long.MAX_VALUE;
    AtomicInteger n = new AtomicInteger();
    pool = new ThreadPoolExecutor(maxConcurrentRequests, maxConcurrentRequests, 30, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(Math.max(1, maxConcurrentRequests / 4)), r -> {
          Thread t = new Thread(r, "sluice-http-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true); // threads exist only while there is work
    server.setExecutor(this::execute);
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    addContext("/livez", ex -> {
      String reason = notLiveReason.get();
      respond(ex, reason == null ? 200 : 503, "text/plain", reason == null ? "ok\n" : reason + "\n");
    }, "GET", "HEAD");
    addContext("/readyz", ex -> {
      String reason = notReadyReason.get();
      respond(ex, reason == null ? 200 : 503, "text/plain", reason == null ? "ready\n" : reason + "\n");
    }, "GET", "HEAD");
    addContext("/metrics", ex -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
      writer.write(out, registry.scrape());
      respond(ex, 200, writer.getContentType(), out.toByteArray());
    }, "GET", "HEAD");
    server.createContext("/", this::dispatch);
    register(registry);
    server.start();
  }

  /**
   * Serves exactly {@code path} with {@code handler} (the ingest endpoints share this listener); with
   * {@code methods}, other methods get 405 and an {@code Allow} header before the handler runs.
   */
  public void addContext(String path, HttpHandler handler, String... methods) {
    routes.put(path, new Route(handler, Set.of(methods), String.join(", ", methods)));
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Hands the JDK server's exchange (read the request, run the handler) to the bounded pool, counting the outcome. */
  private void execute(Runnable exchange) {
    long start = System.nanoTime(); // the JDK started the request's clock just before this call
    try {
      pool.execute(() -> {
        boolean[] reached = handled.get();
        reached[0] = false;
        busy.incrementAndGet();
        try {
          exchange.run();
        } finally {
          busy.decrementAndGet();
          // the JDK server closed the connection before a complete request reached a handler, after the timeout
          if (!reached[0] && System.nanoTime() - start >= requestTimeoutNanos) {
            timedOut.incrementAndGet();
          }
        }
      });
    } catch (RejectedExecutionException e) {
      refused.incrementAndGet(); // the JDK server closes the connection when execute throws
      throw e;
    }
  }

  private void dispatch(HttpExchange ex) throws IOException {
    handled.get()[0] = true;
    Route route = routes.get(ex.getRequestURI().getPath());
    if (route == null) {
      notFound.incrementAndGet();
      respond(ex, 404, "text/plain", "no such path; the paths are " + new java.util.TreeSet<>(routes.keySet()) + "\n");
      return;
    }
    if (!route.methods.isEmpty() && !route.methods.contains(ex.getRequestMethod())) {
      badMethod.incrementAndGet();
      ex.getResponseHeaders().set("Allow", route.allow);
      respond(ex, 405, "text/plain", ex.getRequestMethod() + " is not allowed here; use " + route.allow + "\n");
      return;
    }
    route.handler.handle(ex);
  }

  private void register(PrometheusRegistry registry) {
    CounterWithCallback.builder().name("sluice_collector_http_requests_refused")
        .help("HTTP requests refused unanswered (connection closed): every listener thread busy and the queue full")
        .callback(cb -> cb.call(refused.get())).register(registry);
    CounterWithCallback.builder().name("sluice_collector_http_requests_timed_out")
        .help("HTTP connections closed because a request did not arrive completely within the request timeout")
        .callback(cb -> cb.call(timedOut.get())).register(registry);
    CounterWithCallback.builder().name("sluice_collector_http_requests_rejected")
        .help("HTTP requests answered 404 (unknown path) or 405 (method not allowed)").labelNames("status")
        .callback(cb -> {
          cb.call(notFound.get(), "404");
          cb.call(badMethod.get(), "405");
        }).register(registry);
    GaugeWithCallback.builder().name("sluice_collector_http_busy_threads")
        .help("HTTP listener threads reading or handling a request now")
        .callback(cb -> cb.call(busy.get())).register(registry);
  }

  private static void respond(HttpExchange ex, int status, String type, String body) throws IOException {
    respond(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void respond(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", type);
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(status, head ? -1 : body.length);
      if (!head) {
        try (OutputStream os = ex.getResponseBody()) {
          os.write(body);
        }
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
