package io.sluice.collector.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.Publisher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * Two collectors watch one ZooKeeper node (a real server: Curator's TestingServer). A document written there
 * reaches both: a new tenant's API key is let in by both over HTTP ingest; an invalid document is rejected by both,
 * counted in configReloadFailures, and the configuration in force stays.
 */
class ZooKeeperConfigIT {
  private static final String NODE = "/sluice/collector/config";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @Test
  void everyCollectorWatchingTheNodeAppliesTheSameChangeAndRejectsAnInvalidOne() throws Exception {
    try (TestingServer zk = new TestingServer(true);
        CuratorFramework admin = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100))) {
      admin.start();
      admin.create().creatingParentsIfNeeded().forPath(NODE, yaml(tenant("alpha")));
      // the static part, as collector.yaml would give it; alpha also stands in the file, so the collector can start
      CollectorConfig config = CollectorConfig.builder().listen("127.0.0.1:0").httpListen("127.0.0.1:0")
          .kafkaBootstrap("unused:9092").shutdownTimeout(Duration.ofSeconds(1))
          .tenant(new TenantConfig("alpha", List.of(Authenticator.sha256Hex("alpha-key")), List.of(), List.of(), null))
          .zookeeperConnect(zk.getConnectString()).zookeeperPath(NODE).build();
      try (Collector c1 = Collector.start(config, new AcceptingPublisher());
          Collector c2 = Collector.start(config, new AcceptingPublisher())) {
        for (Collector c : List.of(c1, c2)) {
          assertThat(post(c, "alpha-key")).isEqualTo(200);
          assertThat(post(c, "beta-key")).isEqualTo(401);
        }

        admin.setData().forPath(NODE, yaml(tenant("alpha") + tenant("beta")));
        for (Collector c : List.of(c1, c2)) {
          await("beta admitted by " + c.port()).atMost(Duration.ofSeconds(10)).until(() -> post(c, "beta-key") == 200);
          assertThat(post(c, "alpha-key")).isEqualTo(200);
        }

        // an API key written in clear text instead of its digest: the whole document is refused
        admin.setData().forPath(NODE, ("tenants:\n  gamma:\n    apiKeys: [gamma-key]\n")
            .getBytes(StandardCharsets.UTF_8));
        for (Collector c : List.of(c1, c2)) {
          await("rejection counted by " + c.port()).atMost(Duration.ofSeconds(10))
              .until(() -> c.metrics().configReloadFailures() == 1);
          assertThat(post(c, "beta-key")).as("the previous configuration stays").isEqualTo(200);
          assertThat(post(c, "alpha-key")).isEqualTo(200);
          assertThat(post(c, "gamma-key")).isEqualTo(401);
        }
      }
    }
  }

  private static String tenant(String name) {
    return "  " + name + ":\n    apiKeys: [\"sha256:" + Authenticator.sha256Hex(name + "-key") + "\"]\n";
  }

  private static byte[] yaml(String tenants) {
    return ("tenants:\n" + tenants).getBytes(StandardCharsets.UTF_8);
  }

  /** The HTTP status of one record sent to the collector's HTTP/JSON ingest with {@code apiKey}. */
  private static int post(Collector c, String apiKey) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.httpPort() + "/v1/sluice/logs"))
        .header("Content-Type", "application/json").header("x-api-key", apiKey)
        .POST(HttpRequest.BodyPublishers.ofString("{\"records\": [{\"body\": \"zk\"}]}")).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  /** Acknowledges at once: this test is about who is let in, not about Kafka. */
  private static final class AcceptingPublisher implements Publisher {
    @Override
    public CompletableFuture<Void> publish(PublishBatch batch) {
      return CompletableFuture.completedFuture(null);
    }

    @Override
    public void close(Duration timeout) {}
  }
}
