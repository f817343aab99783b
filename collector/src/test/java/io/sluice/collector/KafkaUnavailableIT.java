package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.Nack;
import io.sluice.proto.v1.ServerFrame;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** No broker at the bootstrap address: batches are nacked as retryable, the collector stays up. */
class KafkaUnavailableIT {
  @Test
  void unreachableKafkaGivesRetryableNacksWithoutCrashing() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort(); // nothing listens here once closed
    }
    CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap("127.0.0.1:" + deadPort).createTopic(false)
        .producerOverride("max.block.ms", "1000")
        .producerOverride("request.timeout.ms", "500")
        .producerOverride("delivery.timeout.ms", "1500")
        .retryAfterMs(750)
        .shutdownTimeout(Duration.ofSeconds(5)).build();
    try (Collector collector = Collector.start(config);
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("c", 1));
      for (int seq = 1; seq <= 2; seq++) {
        s.send(Frames.zstdBatch(seq, Frames.logBatch("r" + seq, 2)));
        ServerFrame f = s.next();
        assertThat(f.hasNack()).as("%s", f).isTrue();
        Nack n = f.getNack();
        assertThat(n.getSequence()).isEqualTo(seq);
        assertThat(n.getRetryable()).isTrue();
        assertThat(n.getRetryAfterMs()).isEqualTo(750);
        assertThat(n.getReason()).startsWith("KAFKA_FAILED: Kafka did not acknowledge");
      }
      assertThat(s.closed).isNotDone();
      assertThat(collector.metrics().nacked(NackReason.KAFKA_FAILED)).isEqualTo(2);
    }
  }
}
