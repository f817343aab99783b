package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.LogRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --embedded-kafka-dir} across a restart: the second collector reopens the directory the first formatted
 * (it used to fail with "Failed to format node"), the records published before are still there, and new ones
 * publish into the same topic.
 */
class EmbeddedDirReuseIT {
  @Test
  @Timeout(180)
  void embeddedBrokerReopensItsDirectoryAndKeepsItsRecords(@TempDir Path dir) throws Exception {
    Path data = dir.resolve("kafka");
    publish(data, "before", 1);
    List<String> bodies = publish(data, "after", 2);
    assertThat(bodies).containsExactlyInAnyOrder("before-0", "before-1", "before-2", "after-0", "after-1", "after-2");
  }

  /** Starts a collector with its embedded broker on {@code data}, publishes 3 records, reads the topic, stops. */
  private static List<String> publish(Path data, String prefix, long epoch) throws Exception {
    CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").embeddedKafka(true)
        .embeddedKafkaDir(data).topic("reuse").topicPartitions(1).shutdownTimeout(Duration.ofSeconds(5)).build();
    try (Collector collector = Collector.start(config);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("reuse-" + prefix, epoch));
      s.send(Frames.zstdBatch(1, Frames.logBatch(prefix, 3)));
      assertThat(s.next(Duration.ofSeconds(60)).getAck().getSequence()).isEqualTo(1);
      List<String> bodies = new ArrayList<>();
      int expected = prefix.equals("before") ? 3 : 6;
      for (ConsumerRecord<byte[], byte[]> r : KafkaRecords.read(collector.bootstrapServers(), "reuse", expected,
          Duration.ofSeconds(30))) {
        bodies.add(LogRecord.parseFrom(r.value()).getBody().getStringValue());
      }
      return bodies;
    }
  }
}
