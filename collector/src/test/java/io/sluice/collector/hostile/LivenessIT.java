package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.config.CollectorConfig;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * /livez fails when the collector can no longer work even though the JVM is up: after an OutOfMemoryError, or when
 * a thread it depends on has died. Such a collector used to answer /livez 200 for ever (with /readyz 503, or stale),
 * so the orchestrator never restarted it. A thread is made to die here as an OutOfMemoryError would end it: an Error
 * thrown in it ({@code Thread.stop}, Java 17), which Kafka's loops do not catch.
 */
class LivenessIT {
  @Test
  @Timeout(60)
  void deathOfTheProducerNetworkThreadFailsLiveness() throws Exception {
    assertLivenessFailsWhenThreadDies("kafka-producer-network-thread", false);
  }

  @Test
  @Timeout(60)
  void deathOfTheAdminClientThreadBehindReadyzFailsLiveness() throws Exception {
    assertLivenessFailsWhenThreadDies("kafka-admin-client-thread | sluice-collector-health", false);
  }

  @Test
  @Timeout(120)
  void deathOfAnEmbeddedBrokerThreadFailsLiveness() throws Exception {
    // the broker's Raft I/O thread: the broker follows the metadata log through it (a dead request handler would do
    // as well, but then the broker can never shut down: its shutdown waits for every handler)
    // (the broker's fatal-fault handler records it first: the answer names that)
    assertLivenessFailsWhenThreadDies("kafka-0-raft-io-thread", true);
  }

  @Test
  @Timeout(60)
  void anOutOfMemoryErrorInAnyThreadFailsLiveness() throws Exception {
    try (Collector collector = Collector.start(config(SharedKafka.newTopic("live", 1), false))) {
      String livez = "http://127.0.0.1:" + collector.httpPort() + "/livez";
      assertThat(Http.get(livez).status()).isEqualTo(200);
      Thread t = new Thread(() -> {
        throw new OutOfMemoryError("Java heap space (thrown by LivenessIT)");
      }, "worker-that-runs-out-of-memory");
      t.start();
      t.join();
      Http.Response r = Http.get(livez);
      assertThat(r.status()).isEqualTo(503);
      assertThat(r.body()).contains("OutOfMemoryError").contains("worker-that-runs-out-of-memory");
      assertThat(Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body())
          .contains("sluice_collector_live 0.0");
    }
  }

  @SuppressWarnings("removal")
  private static void assertLivenessFailsWhenThreadDies(String threadPrefix, boolean embedded) throws Exception {
    Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
    CollectorConfig config = config(embedded ? "live" : SharedKafka.newTopic("live", 1), embedded);
    try (Collector collector = Collector.start(config)) {
      String livez = "http://127.0.0.1:" + collector.httpPort() + "/livez";
      assertThat(Http.get(livez).status()).isEqualTo(200);
      List<Thread> victims = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> !before.contains(t) && t.getName().startsWith(threadPrefix)).toList();
      assertThat(victims).as("threads of this collector named " + threadPrefix).isNotEmpty();
      Thread victim = victims.get(0);
      victim.stop(); // an Error (ThreadDeath) in that thread, as an OutOfMemoryError would be
      // a thread blocked in a native poll sees it when it wakes up: a publish wakes the producer's
      try (IngestClient client = new IngestClient(collector.port())) {
        client.open().send(Frames.hello("live", 1)).send(Frames.zstdBatch(1, Frames.logBatch("wake", 1)));
        victim.join(10_000);
      }
      assertThat(victim.isAlive()).isFalse();
      await().atMost(Duration.ofSeconds(10)).until(() -> Http.get(livez).status() == 503);
      assertThat(Http.get(livez).body()).contains(embedded ? "embedded Kafka" : victim.getName());
      assertThat(Http.get("http://127.0.0.1:" + collector.httpPort() + "/metrics").body())
          .contains("sluice_collector_live 0.0");
    }
  }

  private static CollectorConfig config(String topic, boolean embedded) {
    CollectorConfig.Builder b = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").topic(topic)
        .shutdownTimeout(Duration.ofSeconds(2)).producerOverride("max.block.ms", "2000");
    if (embedded) {
      b.embeddedKafka(true).topicPartitions(1);
    } else {
      b.kafkaBootstrap(SharedKafka.bootstrap()).createTopic(false);
    }
    return b.build();
  }
}
