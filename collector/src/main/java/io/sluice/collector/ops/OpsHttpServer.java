package io.sluice.collector.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * The operations listener (JDK HttpServer, or HttpsServer with {@code http.tls}; two named daemon threads): {@code GET /livez} (200 while the process
 * serves), {@code GET /readyz} (200 when it should get traffic, else 503 with the reason: Kafka metadata
 * unavailable, shutting down), {@code GET /metrics} (Prometheus text format 0.0.4). Bounded: responses are built in
 * memory, the metrics one is a few KB per tenant.
 */
public final class OpsHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  /**
   * @param notReadyReason null when ready, else why not
   */
  public OpsHttpServer(String host, int port, PrometheusRegistry registry, Supplier<String> notReadyReason)
      throws IOException {
    this(host, port, null, false, registry, notReadyReason);
  }

  /**
   * @param tls HTTPS with this context, or null for plain HTTP
   * @param needClientAuth with {@code tls}: refuse clients without a certificate (else certificates are optional)
   * @param notReadyReason null when ready, else why not
   */
  public OpsHttpServer(String host, int port, javax.net.ssl.SSLContext tls, boolean needClientAuth,
      PrometheusRegistry registry, Supplier<String> notReadyReason) throws IOException {
    if (tls == null) {
      server = HttpServer.create(new InetSocketAddress(host, port), 16);
    } else {
      com.sun.net.httpserver.HttpsServer https =
          com.sun.net.httpserver.HttpsServer.create(new InetSocketAddress(host, port), 16);
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
    executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "sluice-ops-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    server.createContext("/livez", ex -> respond(ex, 200, "text/plain", "ok\n"));
    server.createContext("/readyz", ex -> {
      String reason = notReadyReason.get();
      respond(ex, reason == null ? 200 : 503, "text/plain", reason == null ? "ready\n" : reason + "\n");
    });
    server.createContext("/metrics", ex -> {
      ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
      writer.write(out, registry.scrape());
      respond(ex, 200, writer.getContentType(), out.toByteArray());
    });
    server.start();
  }

  /** Serves {@code path} with {@code handler} too (the HTTP ingest endpoints share this listener). */
  public void addContext(String path, com.sun.net.httpserver.HttpHandler handler) {
    server.createContext(path, handler);
  }

  public int port() {
    return server.getAddress().getPort();
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
    executor.shutdownNow();
  }
}
