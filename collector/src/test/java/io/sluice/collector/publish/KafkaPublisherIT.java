package io.sluice.collector.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.Frames;
import io.sluice.collector.SharedKafka;
import io.sluice.proto.v1.LogRecord;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The publisher's per-topic lanes against the in-JVM broker (which does not auto-create topics): a batch for a
 * missing topic waits for its lookup in that topic's own lane, which is bounded; batches for other topics do not
 * wait behind it; the missing topic's records end in the dead-letter topic.
 */
class KafkaPublisherIT {
  private static PublishBatch batch(long seq, String topic, int records) {
    List<LogRecord> rs = new java.util.ArrayList<>();
    for (int i = 0; i < records; i++) {
      rs.add(Frames.record("r-" + seq + "-" + i));
    }
    return new PublishBatch("lanes", 1, "t", seq, "k", rs, 100, Collections.nCopies(records, topic), List.of());
  }

  @Test
  void aMissingTopicsLaneIsBoundedAndStallsNoOtherTopic() throws Exception {
    String id = UUID.randomUUID().toString().substring(0, 8);
    String good = SharedKafka.newTopic("lanes-good", 1);
    String dlq = SharedKafka.newTopic("lanes-dlq", 1);
    String missing = "lanes-missing-" + id;
    Map<String, Object> props = KafkaPublisher.producerDefaults(SharedKafka.bootstrap());
    props.put("max.block.ms", "8000");
    KafkaPublisher.Options options = new KafkaPublisher.Options(100, 1, Duration.ofSeconds(30),
        Duration.ofSeconds(60), 1);
    try (KafkaPublisher publisher = new KafkaPublisher(props, good, dlq, options)) {
      CompletableFuture<Void> first = publisher.publish(batch(1, missing, 3));
      await().atMost(Duration.ofSeconds(30)).until(() -> publisher.topicsAwaitingMetadata() == 1);
      // the lane holds at most maxWaitingBytesPerTopic (1 byte here, but always one batch): the next fails at once,
      // retryably, instead of piling up behind the lookup
      CompletableFuture<Void> second = publisher.publish(batch(2, missing, 1));
      assertThat(second).isCompletedExceptionally();
      ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          second::get);
      assertThat(PublishException.retryable(refused.getCause())).isTrue();
      assertThat(refused.getCause()).hasMessageContaining("waiting for its metadata");

      // another topic is published while the missing one's lookup still waits
      publisher.publish(batch(3, good, 5)).get(60, TimeUnit.SECONDS);
      assertThat(first).as("the missing topic's batch is still waiting for its lookup").isNotDone();

      first.get(60, TimeUnit.SECONDS); // dead-lettered, so acknowledged
      assertThat(publisher.deadLetteredByReason()).containsEntry("TOPIC_MISSING", 3L);
      assertThat(publisher.lookupsByResult()).containsEntry("missing", 1L);
      assertThat(publisher.topicsUnusable()).isEqualTo(1);
      // now known missing: dead-lettered without a second lookup
      publisher.publish(batch(4, missing, 2)).get(60, TimeUnit.SECONDS);
      assertThat(publisher.deadLetteredByReason()).containsEntry("TOPIC_MISSING", 5L);
      assertThat(publisher.lookupsByResult()).containsEntry("missing", 1L);
    }
  }
}
