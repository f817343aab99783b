package io.sluice.backend.alerts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server (JDK) standing in for Mattermost: counts accepted posts per alert id, answers 503 to the first
 * attempt of chosen alerts, 400 to others, and can hold the n-th accepted post until released.
 */
final class TestWebhook implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Map<String, AtomicInteger> accepted = new ConcurrentHashMap<>();
  final List<JsonNode> bodies = new CopyOnWriteArrayList<>();
  final AtomicInteger attempts = new AtomicInteger();
  final Set<String> failFirstAttempt = ConcurrentHashMap.newKeySet();
  final Set<String> refuse = ConcurrentHashMap.newKeySet();
  private final Set<String> failedOnce = ConcurrentHashMap.newKeySet();
  private final AtomicInteger acceptedPosts = new AtomicInteger();
  volatile int holdAcceptedPost = -1;
  final CountDownLatch holding = new CountDownLatch(1);
  final CountDownLatch release = new CountDownLatch(1);
  private final HttpServer server;
  private final java.util.concurrent.ExecutorService executor = Executors.newFixedThreadPool(4);

  TestWebhook() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hooks/test", this::handle);
    server.setExecutor(executor);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/test";
  }

  int acceptedCount(String id) {
    AtomicInteger n = accepted.get(id);
    return n == null ? 0 : n.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      attempts.incrementAndGet();
      JsonNode body = JSON.readTree(exchange.getRequestBody());
      String id = body.path("props").path("sluice_alert_id").asText();
      if (failFirstAttempt.contains(id) && failedOnce.add(id)) {
        respond(exchange, 503, "try later");
        return;
      }
      if (refuse.contains(id)) {
        respond(exchange, 400, "bad payload");
        return;
      }
      if (acceptedPosts.incrementAndGet() == holdAcceptedPost) {
        holding.countDown();
        try {
          release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      bodies.add(body);
      accepted.computeIfAbsent(id, k -> new AtomicInteger()).incrementAndGet();
      respond(exchange, 200, "ok");
    }
  }

  private static void respond(HttpExchange exchange, int status, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    release.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
