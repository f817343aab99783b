package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.Http;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.config.CollectorConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The ops endpoints answer their exact paths and GET/HEAD only: {@code DELETE /livez} or {@code /livez/../..} used
 * to answer 200 (any method, any path under a prefix). Unknown paths are 404, other methods 405 with {@code Allow},
 * both counted.
 */
class OpsEndpointsIT {
  @Test
  void opsEndpointsTakeExactPathsAndGetOrHeadOnly() throws Exception {
    CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap("127.0.0.1:9").shutdownTimeout(Duration.ofSeconds(2)).build(); // a ManualPublisher: no Kafka
    try (Collector collector = Collector.start(config, new ManualPublisher())) {
      int port = collector.httpPort();
      for (String path : List.of("/livez", "/readyz", "/metrics", "/openapi.yaml")) {
        assertThat(RawHttp.send(port, "GET", path).status()).as("GET " + path).isEqualTo(200);
        RawHttp.Response head = RawHttp.send(port, "HEAD", path);
        assertThat(head.status()).as("HEAD " + path).isEqualTo(200);
        assertThat(head.body()).as("HEAD " + path).isEmpty();
        for (String method : List.of("DELETE", "POST", "PUT", "PATCH", "OPTIONS")) {
          RawHttp.Response r = RawHttp.send(port, method, path);
          assertThat(r.status()).as(method + " " + path).isEqualTo(405);
          assertThat(r.head()).as(method + " " + path).containsIgnoringCase("\r\nAllow: GET, HEAD");
        }
      }
      for (String path : List.of("/livez/../..", "/livez/", "/livez/x", "/livezz", "/readyz/../metrics",
          "/metrics/x", "/", "/v1/logs/x", "/%2e%2e/livez", "/openapi.yaml/x")) {
        assertThat(RawHttp.send(port, "GET", path).status()).as("GET " + path).isEqualTo(404);
      }
      assertThat(RawHttp.send(port, "DELETE", "/livez/../..").status()).isEqualTo(404);
      // the ingest endpoints keep their own method rule (405 from their handlers)
      assertThat(RawHttp.send(port, "GET", "/v1/logs").status()).isEqualTo(405);
      assertThat(RawHttp.send(port, "GET", "/v1/sluice/logs").status()).isEqualTo(405);

      String metrics = Http.get("http://127.0.0.1:" + port + "/metrics").body();
      assertThat(metrics).contains("sluice_collector_http_requests_rejected_total{status=\"404\"} 11.0")
          .contains("sluice_collector_http_requests_rejected_total{status=\"405\"} 20.0");
    }
  }
}
