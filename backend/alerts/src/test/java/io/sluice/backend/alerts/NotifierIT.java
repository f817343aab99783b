package io.sluice.backend.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.apache.curator.test.TestingServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two notifiers elect a sender through a real ZooKeeper (Curator's TestingServer), read a real Kafka broker and post
 * to a real HTTP server: every alert arrives exactly once, through 5xx retries, copies of alerts, and the leader
 * being closed while a post is in flight.
 */
class NotifierIT {
  private static TestingServer zookeeper;
  private static TestKafka kafka;

  @BeforeAll
  static void start() throws Exception {
    zookeeper = new TestingServer(true);
    kafka = TestKafka.shared();
  }

  @AfterAll
  static void stop() throws Exception {
    zookeeper.close();
  }

  @Test
  void deliversEachAlertOnceWhileTheLeaderChangesMidStream() throws Exception {
    String topic = "alerts-failover";
    kafka.createTopic(topic, 3);
    List<Alert> first = alerts("r1", 0, 30);
    List<Alert> second = alerts("r2", 0, 20);
    try (TestWebhook webhook = new TestWebhook();
        Sink<Alert> sink = new KafkaAlertSinkFactory(kafka.bootstrapServers(), topic).open()) {
      for (int i = 0; i < first.size(); i += 4) {
        webhook.failFirstAttempt.add(first.get(i).id()); // 8 alerts need a retry
      }
      webhook.holdAcceptedPost = 12; // the leader is closed while this post is in flight
      sink.write(first);
      sink.write(first.subList(0, 10)); // a replayed pipeline: copies, in the same partitions

      Notifier a = notifier(topic, webhook, "a");
      Notifier b = notifier(topic, webhook, "b");
      a.start();
      b.start();
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> webhook.holding.getCount() == 0);
        Notifier leader = a.isLeader() ? a : b;
        Notifier follower = leader == a ? b : a;
        assertThat(follower.isLeader()).isFalse();
        assertThat(follower.delivered()).isZero();

        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
          try {
            leader.close();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
        webhook.release.countDown();
        closing.get();
        assertThat(leader.delivered()).isGreaterThanOrEqualTo(12);

        await().atMost(Duration.ofSeconds(30)).until(follower::isLeader);
        sink.write(second);
        sink.write(first.subList(0, 30)); // copies of alerts the closed leader delivered

        List<Alert> all = new ArrayList<>(first);
        all.addAll(second);
        awaitCaughtUp(topic, "group-failover");
        Set<String> expected = all.stream().map(Alert::id).collect(Collectors.toSet());
        assertThat(webhook.accepted.keySet()).isEqualTo(expected);
        assertThat(expected).allSatisfy(id -> assertThat(webhook.acceptedCount(id)).as(id).isEqualTo(1));
        assertThat(leader.delivered() + follower.delivered()).isEqualTo(50);
        assertThat(leader.retries() + follower.retries()).isGreaterThanOrEqualTo(8);
        assertThat(leader.duplicates() + follower.duplicates()).isEqualTo(40);
        assertThat(follower.leadershipTerms()).isEqualTo(1);
      } finally {
        closeQuietly(a);
        closeQuietly(b);
      }
    }
  }

  @Test
  void postsMattermostPayloadsAndSkipsAlertsTheWebhookRefuses() throws Exception {
    String topic = "alerts-refused";
    kafka.createTopic(topic, 1);
    List<Alert> alerts = alerts("r3", 100, 3);
    try (TestWebhook webhook = new TestWebhook();
        Sink<Alert> sink = new KafkaAlertSinkFactory(kafka.bootstrapServers(), topic).open();
        Notifier n = notifier(topic, webhook, "solo")) {
      webhook.refuse.add(alerts.get(1).id());
      n.start();
      sink.write(alerts);
      await().atMost(Duration.ofSeconds(60)).until(() -> n.delivered() + n.rejected() == 3);

      assertThat(n.rejected()).isEqualTo(1);
      assertThat(n.retries()).isZero();
      assertThat(webhook.accepted.keySet()).containsExactlyInAnyOrder(alerts.get(0).id(), alerts.get(2).id());
      var body = webhook.bodies.stream()
          .filter(b -> b.path("props").path("sluice_alert_id").asText().equals(alerts.get(0).id()))
          .findFirst().orElseThrow();
      assertThat(body.path("username").asText()).isEqualTo("sluice-test");
      assertThat(body.path("text").asText()).contains(alerts.get(0).text());
      assertThat(body.path("attachments").get(0).path("fields")).hasSize(8);
      assertThat(body.path("attachments").get(0).path("title").asText()).isEqualTo("error_rate on acme/svc-100");
    }
  }

  private Notifier notifier(String topic, TestWebhook webhook, String id) {
    return new Notifier(NotifierConfig.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .topic(topic)
        .groupId("group-" + topic.substring("alerts-".length()))
        .webhookUrl(webhook.url())
        .username("sluice-test")
        .zookeeper(zookeeper.getConnectString())
        .leaderPath("/sluice/test/" + topic)
        .instanceId(id)
        .initialBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(100))
        .build());
  }

  private static List<Alert> alerts(String rule, int from, int n) {
    List<Alert> out = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      out.add(new Alert(rule, "error_rate", "acme", "svc-" + i, "svc-" + i, 1_700_000_000_000L + i * 60_000L,
          0.25, 0.05, "acme/svc-" + i + ": 25.0% errors"));
    }
    return out;
  }

  /** Waits until the notifiers' group has committed every partition's end offset: nothing is left to send. */
  private static void awaitCaughtUp(String topic, String group) throws Exception {
    try (Admin admin = kafka.admin()) {
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions();
        Map<TopicPartition, OffsetSpec> latest = partitions.stream()
            .collect(Collectors.toMap(p -> new TopicPartition(topic, p.partition()), p -> OffsetSpec.latest()));
        var ends = admin.listOffsets(latest).all().get();
        return ends.entrySet().stream().allMatch(e -> {
          OffsetAndMetadata c = committed.get(e.getKey());
          return c != null && c.offset() == e.getValue().offset();
        });
      });
    }
  }

  private static void closeQuietly(Notifier n) {
    try {
      n.close();
    } catch (Exception e) {
      // already closed or failing on the way down; the assertions above decide the test
    }
  }
}
