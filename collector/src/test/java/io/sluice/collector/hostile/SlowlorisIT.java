package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Http;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.ops.HttpListenerDefaults;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * Slowloris on the HTTP listener: clients that send a request line and then one header byte at a time. They used to
 * hold the listener's two threads for ever: /livez, /readyz, /metrics and the HTTP ingest stopped answering and none
 * of 50 such connections was ever closed. Now the listener has more threads than that, every dripping connection is
 * closed after the request timeout (counted), and beyond the thread and queue bound a request is refused (counted).
 *
 * <p>Concurrent with the other ITs (see the failsafe configuration in the pom): it mostly waits for the request
 * timeout, and owns its collectors; the others still run one at a time.
 */
@Execution(ExecutionMode.CONCURRENT)
class SlowlorisIT {
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  @Timeout(120)
  void fiftyDrippingConnectionsAreClosedAndEveryEndpointKeepsAnswering() throws Exception {
    String topic = SharedKafka.newTopic("slowloris", 1);
    CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false)
        .shutdownTimeout(Duration.ofSeconds(5)).build();
    try (Collector collector = Collector.start(config);
        Drippers drippers = new Drippers(collector.httpPort(), 50, "POST /v1/sluice/logs HTTP/1.1\r\nHost: x\r\n")) {
      String base = "http://127.0.0.1:" + collector.httpPort();
      await("the 50 connections hold listener threads").atMost(Duration.ofSeconds(30))
          .until(() -> gauge(Http.get(base + "/metrics").body(), "sluice_collector_http_busy_threads") >= 50);
      // while all 50 drip: every endpoint answers (each call has a 10 s timeout, the drippers' own request timeout)
      assertThat(Http.get(base + "/livez").status()).isEqualTo(200);
      assertThat(Http.get(base + "/readyz").status()).isEqualTo(200);
      assertThat(Http.get(base + "/metrics").status()).isEqualTo(200);
      HttpResponse<String> json = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/sluice/logs"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"records\": [{\"body\": \"during the attack\"}]}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(json.statusCode()).as(json.body()).isEqualTo(200);
      HttpResponse<String> otlp = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/v1/logs"))
          .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"resourceLogs\": []}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(otlp.statusCode()).as(otlp.body()).isLessThan(500);

      await("every dripping connection is closed by the collector")
          .atMost(Duration.ofSeconds(HttpListenerDefaults.maxReqTimeSeconds() + 30))
          .until(() -> drippers.open() == 0);
      assertThat(drippers.closedByServer()).isEqualTo(50);
      String metrics = Http.get(base + "/metrics").body();
      assertThat(gauge(metrics, "sluice_collector_http_requests_timed_out_total")).isGreaterThanOrEqualTo(50);
      assertThat(gauge(metrics, "sluice_collector_http_busy_threads")).isLessThan(50);
    }
  }

  @Test
  @Timeout(120)
  void beyondItsThreadsAndQueueTheListenerRefusesAndCounts() throws Exception {
    CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .httpMaxConcurrentRequests(4).kafkaBootstrap("127.0.0.1:9").shutdownTimeout(Duration.ofSeconds(2)).build();
    // 4 threads + a queue of 1: of 12 dripping connections at least 7 are refused at once (closed unanswered)
    try (Collector collector = Collector.start(config, new ManualPublisher());
        Drippers drippers = new Drippers(collector.httpPort(), 12, "GET /livez HTTP/1.1\r\nHost: x\r\n")) {
      await("the requests beyond the bound are refused").atMost(Duration.ofSeconds(30))
          .until(() -> drippers.closedByServer() >= 7);
      await("and the rest time out").atMost(Duration.ofSeconds(HttpListenerDefaults.maxReqTimeSeconds() + 30))
          .until(() -> drippers.open() == 0);
      String metrics = Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body();
      assertThat(gauge(metrics, "sluice_collector_http_requests_refused_total")).isGreaterThanOrEqualTo(7);
      assertThat(gauge(metrics, "sluice_collector_http_requests_timed_out_total")).isGreaterThanOrEqualTo(1);
    }
  }

  private static double gauge(String metrics, String name) {
    for (String line : metrics.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    throw new AssertionError(name + " is not in /metrics");
  }

  /** Connections that send {@code start} and then one header byte every 500 ms, on one thread, until closed. */
  static final class Drippers implements AutoCloseable {
    private final List<Socket> sockets = new ArrayList<>();
    private final List<Boolean> closed = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final Thread thread;
    private volatile int open;
    private volatile int closedByServer;

    Drippers(int port, int n, String start) throws IOException {
      int stillOpen = 0;
      for (int i = 0; i < n; i++) {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(1);
        boolean refused = false;
        try {
          s.getOutputStream().write(start.getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
          s.getOutputStream().write("X-Drip: ".getBytes(StandardCharsets.US_ASCII));
          s.getOutputStream().flush();
        } catch (IOException e) {
          refused = true; // the collector refused it at once (reset)
          closedByServer++;
        }
        sockets.add(s);
        closed.add(refused);
        stillOpen += refused ? 0 : 1;
      }
      open = stillOpen;
      thread = new Thread(this::run, "slowloris");
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      while (!stop.get() && open > 0) {
        int stillOpen = 0;
        for (int i = 0; i < sockets.size(); i++) {
          if (closed.get(i)) {
            continue;
          }
          Socket s = sockets.get(i);
          boolean gone;
          try {
            s.getOutputStream().write('a'); // never the end of the headers
            s.getOutputStream().flush();
            gone = s.getInputStream().read() == -1; // the collector closed it (or answered and closed)
          } catch (SocketTimeoutException e) {
            gone = false; // nothing to read: still open
          } catch (IOException e) {
            gone = true; // reset by the collector
          }
          if (gone) {
            closed.set(i, true);
            closedByServer++;
          } else {
            stillOpen++;
          }
        }
        open = stillOpen;
        LockSupport.parkNanos(500_000_000L); // the attack's pace, not a synchronisation
      }
    }

    int open() {
      return open;
    }

    int closedByServer() {
      return closedByServer;
    }

    @Override
    public void close() throws Exception {
      stop.set(true);
      thread.join(5_000);
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
