package io.sluice.collector.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import java.io.File;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's {@code prometheus}, installed by .ci/run) scrapes the collector's /metrics, and
 * its query API returns the published-record counter. Skipped when the binary is missing.
 */
class PrometheusScrapeIT {
  static final String BINARY = "/usr/bin/prometheus";

  @Test
  void prometheusScrapesTheCollector(@TempDir Path dir) throws Exception {
    Assumptions.assumeTrue(new File(BINARY).canExecute(), "prometheus is not installed (apt-get install prometheus)");
    String topic = SharedKafka.newTopic("prom", 1);
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
            .topic(topic).createTopic(false).build();
    try (Collector collector = Collector.start(config);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("prom-client", 1));
      for (int seq = 1; seq <= 4; seq++) {
        s.send(Frames.zstdBatch(seq, Frames.logBatch("p" + seq, 5)));
        assertThat(s.next().hasAck()).isTrue();
      }
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Files.writeString(dir.resolve("prometheus.yml"), """
          global:
            scrape_interval: 1s
          scrape_configs:
            - job_name: sluice-collector
              static_configs:
                - targets: ['127.0.0.1:%d']
          """.formatted(collector.httpPort()));
      Process prom = new ProcessBuilder(BINARY, "--config.file=" + dir.resolve("prometheus.yml"),
          "--web.listen-address=127.0.0.1:" + port, "--storage.tsdb.path=" + dir.resolve("data"),
          "--web.console.templates=/nonexistent", "--web.console.libraries=/nonexistent")
          .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
      try {
        String query = "http://127.0.0.1:" + port + "/api/v1/query?query="
            + URLEncoder.encode("sluice_collector_records_published_total{job=\"sluice-collector\"}",
                StandardCharsets.UTF_8);
        ObjectMapper json = new ObjectMapper();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
          JsonNode r = json.readTree(Http.get(query).body());
          JsonNode result = r.path("data").path("result");
          return result.size() == 1 && result.get(0).path("value").get(1).asText().equals("20");
        });
      } finally {
        prom.destroy();
        if (!prom.waitFor(10, TimeUnit.SECONDS)) {
          prom.destroyForcibly();
        }
      }
    }
  }
}
