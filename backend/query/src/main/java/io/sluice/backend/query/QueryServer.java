package io.sluice.backend.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sluice.backend.common.LogEvent;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The query service: JSON endpoints under {@code /api/v1} (documented in {@code /openapi.json}), the web UI's
 * static files under {@code /}, Prometheus text at {@code /metrics}, {@code /healthz}. Every {@code /api} request is
 * authenticated ({@link ApiKeys}) and every engine call it makes is restricted to the caller's tenant and bounded by
 * {@link Engines}. Errors are JSON {@code {"error", "parameter"?}}: 400 naming the parameter, 401, 404, 429 (live tail
 * full), 502 (engine failed), 503 (engine not configured or busy), 504 (engine timeout). Threads: a fixed pool of
 * {@code maxConcurrentRequests + tailMaxClients} (a live-tail client holds one for its connection).
 */
public final class QueryServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js",
      "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "json", "application/json", "svg",
      "image/svg+xml");
  private static final long[] INTERVALS = {1_000, 5_000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000,
      3_600_000, 10_800_000, 43_200_000, 86_400_000};
  static final int MAX_BUCKETS = 500;

  private final QueryConfig config;
  private final Clock clock;
  private final QueryMetrics metrics = new QueryMetrics();
  private final ApiKeys keys;
  private final Engines engines;
  private final LogStore logs;
  private final CassandraAggregates aggregates;
  private final KafkaAlerts alerts;
  private final TailHub tail;
  private final HttpServer http;
  private final ExecutorService pool;

  public QueryServer(QueryConfig config, Clock clock) throws IOException {
    this.config = config;
    this.clock = clock;
    this.keys = new ApiKeys(config.apiKeyDigestsByTenant(), config.anonymous(), config.anonymousTenant());
    this.engines = new Engines(config.maxConcurrentRequests(), config.queryTimeout(), metrics);
    this.logs = !config.opensearchUrls().isEmpty()
        ? new OpenSearchLogs(config.opensearchUrls(), config.indexPrefix(), config.queryTimeout().toMillis())
        : config.kafkaScanSearch() && config.kafkaBootstrap() != null
            ? new KafkaScanLogs(config.kafkaBootstrap(), config.kafkaTopic(), config.queryTimeout())
        : null;
    this.aggregates = config.cassandraContactPoints().isEmpty() ? null
        : new CassandraAggregates(config.cassandraContactPoints(), config.cassandraDatacenter(),
            config.cassandraKeyspace(), config.queryTimeout());
    this.alerts = config.kafkaBootstrap() == null || config.alertsTopic() == null ? null
        : new KafkaAlerts(config.kafkaBootstrap(), config.alertsTopic(), config.queryTimeout());
    this.tail = config.kafkaBootstrap() == null ? null
        : new TailHub(config.kafkaBootstrap(), config.kafkaTopic(), config.tailMaxClients(),
            config.tailBufferBytes(), metrics);
    this.http = HttpServer.create(new InetSocketAddress(config.listenHost(), config.listenPort()), 64);
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(config.maxConcurrentRequests() + config.tailMaxClients(), r -> {
      Thread t = new Thread(r, "sluice-query-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    http.setExecutor(pool);
    http.createContext("/", this::handle);
  }

  public QueryServer start() {
    http.start();
    return this;
  }

  public int port() {
    return http.getAddress().getPort();
  }

  public String url() {
    return "http://" + config.listenHost() + ":" + port() + "/";
  }

  QueryMetrics metrics() {
    return metrics;
  }

  private void handle(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    int status = 200;
    try {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        throw new HttpError(405, null, ex.getRequestMethod() + " is not supported here; use GET");
      }
      if (path.startsWith("/api/")) {
        status = api(ex, path);
      } else if (path.equals("/openapi.json")) {
        send(ex, 200, "application/json", resource("/openapi.json"));
      } else if (path.equals("/metrics")) {
        send(ex, 200, "text/plain; version=0.0.4", metrics.prometheus().getBytes(StandardCharsets.UTF_8));
      } else if (path.equals("/healthz")) {
        json(ex, 200, Map.of("status", "ok"));
      } else {
        String file = path.equals("/") ? "index.html" : path.substring(1);
        if (!file.matches("[a-z0-9_-]+\\.(html|js|css|svg)")) {
          throw new HttpError(404, null, "no such page: " + path);
        }
        byte[] body = resource("/ui/" + file);
        if (body == null) {
          throw new HttpError(404, null, "no such page: " + path);
        }
        send(ex, 200, TYPES.get(file.substring(file.lastIndexOf('.') + 1)), body);
      }
    } catch (HttpError e) {
      status = e.status;
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("error", e.getMessage());
      if (e.parameter != null) {
        body.put("parameter", e.parameter);
      }
      json(ex, e.status, body);
    } catch (RuntimeException e) {
      status = 500;
      json(ex, 500, Map.of("error", "internal error: " + e));
    } finally {
      metrics.request(path.startsWith("/api/") ? path : path.equals("/metrics") ? "/metrics" : "/ui", status);
      ex.close();
    }
  }

  private int api(HttpExchange ex, String path) throws HttpError, IOException {
    var h = ex.getRequestHeaders();
    String tenant = keys.tenant(h.getFirst("Authorization"), h.getFirst("X-API-Key"), h.getFirst("Cookie"));
    Map<String, String> p = LogQuery.queryString(ex.getRequestURI().getRawQuery());
    switch (path) {
      case "/api/v1/whoami" -> {
        LogQuery.onlyKnown(p, Set.of());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tenant", tenant);
        m.put("search", logs != null);
        m.put("aggregates", aggregates != null);
        m.put("alerts", alerts != null);
        m.put("tail", tail != null);
        json(ex, 200, m);
      }
      case "/api/v1/search" -> {
        LogQuery.onlyKnown(p, Set.of("q", "service", "severity", "from", "to", "traceId", "limit", "cursor"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        LogStore store = need(logs, "search", "opensearch.urls");
        json(ex, 200, engines.call(store.engine(), () -> store.search(q)));
      }
      case "/api/v1/histogram" -> {
        LogQuery.onlyKnown(p, Set.of("q", "service", "severity", "from", "to", "traceId", "interval"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        long to = q.toMillis() != null ? q.toMillis() : clock.millis();
        long from = q.fromMillis() != null ? q.fromMillis() : to - Duration.ofHours(1).toMillis();
        if (to <= from) {
          throw HttpError.badParameter("from", "must be before to (" + to + " ms)");
        }
        long interval = interval(p.get("interval"), to - from);
        LogStore store = need(logs, "histogram", "opensearch.urls");
        json(ex, 200, engines.call(store.engine(), () -> store.histogram(q, from, to, interval)));
      }
      case "/api/v1/counts" -> {
        LogQuery.onlyKnown(p, Set.of("service", "from", "to"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        long to = q.toMillis() != null ? q.toMillis() : clock.millis();
        long from = q.fromMillis() != null ? q.fromMillis() : to - Duration.ofHours(1).toMillis();
        CassandraAggregates a = need(aggregates, "counts", "cassandra.contactPoints");
        json(ex, 200, engines.call("cassandra", () -> a.counts(tenant, q.service(), from, to)));
      }
      case "/api/v1/fingerprints" -> {
        LogQuery.onlyKnown(p, Set.of("service", "from", "to", "limit"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        CassandraAggregates a = need(aggregates, "fingerprints", "cassandra.contactPoints");
        json(ex, 200, engines.call("cassandra", () -> a.fingerprints(tenant, q.service(), q.fromMillis(),
            q.toMillis(), q.limit())));
      }
      case "/api/v1/alerts" -> {
        LogQuery.onlyKnown(p, Set.of("limit"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        KafkaAlerts a = need(alerts, "alerts", "kafka.alertsTopic");
        json(ex, 200, engines.call("kafka", () -> a.latest(tenant, q.limit())));
      }
      case "/api/v1/tail" -> {
        LogQuery.onlyKnown(p, Set.of("q", "service", "severity", "traceId"));
        LogQuery q = LogQuery.parse(tenant, p, config.maxLimit());
        TailHub hub = need(tail, "tail", "kafka.bootstrap");
        tail(ex, hub, tenant, filter(q));
      }
      default -> throw new HttpError(404, null, "no such endpoint: " + path + " (see /openapi.json)");
    }
    return 200;
  }

  private static Predicate<LogEvent> filter(LogQuery q) {
    String text = q.text().toLowerCase(Locale.ROOT);
    return e -> (q.service().isEmpty() || q.service().equals(e.service()))
        && (q.severities().isEmpty() || q.severities().contains(e.severity()))
        && (q.traceId().isEmpty() || q.traceId().equals(e.traceId()))
        && (text.isEmpty() || e.body().toLowerCase(Locale.ROOT).contains(text)
            || e.exceptionType().toLowerCase(Locale.ROOT).contains(text));
  }

  /** Server-Sent Events: {@code event: ready} once registered, then {@code event: log} per line. */
  private void tail(HttpExchange ex, TailHub hub, String tenant, Predicate<LogEvent> filter) throws HttpError,
      IOException {
    TailHub.Client c;
    try {
      c = hub.join(tenant, filter);
    } catch (RuntimeException e) {
      metrics.engineError("kafka", "error");
      throw new HttpError(502, null, "kafka failed: " + e);
    }
    ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    try {
      ex.sendResponseHeaders(200, 0);
      OutputStream out = ex.getResponseBody();
      out.write("retry: 3000\nevent: ready\ndata: {}\n\n".getBytes(StandardCharsets.UTF_8));
      out.flush();
      while (true) {
        byte[] line = c.next(Duration.ofSeconds(15));
        if (line == null && c.dropped() != null) {
          out.write(("event: dropped\ndata: {\"reason\":\"" + c.dropped().label() + "\"}\n\n")
              .getBytes(StandardCharsets.UTF_8));
          out.flush();
          return;
        }
        if (line == null) {
          out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
        } else if (line.length > 0) {
          out.write("event: log\ndata: ".getBytes(StandardCharsets.UTF_8));
          out.write(line);
          out.write("\n\n".getBytes(StandardCharsets.UTF_8));
        }
        out.flush();
      }
    } catch (IOException e) {
      hub.leave(c, TailHub.DropReason.CLIENT_GONE);
    } catch (InterruptedException e) {
      hub.leave(c, TailHub.DropReason.SHUTDOWN);
      Thread.currentThread().interrupt();
    } finally {
      hub.leave(c, TailHub.DropReason.CLIENT_GONE); // no-op when already gone
    }
  }

  static long interval(String raw, long rangeMs) throws HttpError {
    if (raw != null && !raw.isBlank()) {
      long ms;
      try {
        ms = Long.parseLong(raw.strip());
      } catch (NumberFormatException e) {
        throw HttpError.badParameter("interval", "'" + raw + "' is not a whole number of milliseconds");
      }
      if (ms < 1_000) {
        throw HttpError.badParameter("interval", "at least 1000 ms");
      }
      if (rangeMs / ms > MAX_BUCKETS) {
        throw HttpError.badParameter("interval", "gives " + rangeMs / ms + " buckets; at most " + MAX_BUCKETS);
      }
      return ms;
    }
    for (long i : INTERVALS) {
      if (rangeMs / i <= 60) {
        return i;
      }
    }
    long day = INTERVALS[INTERVALS.length - 1];
    return Math.max(day, (rangeMs / MAX_BUCKETS / day + 1) * day);
  }

  private static <T> T need(T engine, String what, String key) throws HttpError {
    if (engine == null) {
      throw new HttpError(503, null, what + " is not configured on this service; set " + key);
    }
    return engine;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = QueryServer.class.getResourceAsStream(name)) {
      return in == null ? null : in.readAllBytes();
    }
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    send(ex, status, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    if ("HEAD".equals(ex.getRequestMethod())) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, body.length);
    ex.getResponseBody().write(body);
  }

  @Override
  public void close() throws Exception {
    http.stop(0);
    if (tail != null) {
      tail.close();
    }
    pool.shutdownNow();
    engines.close();
    if (logs != null) {
      logs.close();
    }
    if (aggregates != null) {
      aggregates.close();
    }
  }
}
