package io.sluice.collector.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.config.CollectorConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** maxConnectionAge + grace end long-lived connections, so clients reconnect (maybe to another replica). */
class ConnectionAgeTest {
  @Test
  void agedConnectionIsClosedAfterTheGrace() throws Exception {
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap("unused:9092")
            .maxConnectionAge(Duration.ofMillis(500)).maxConnectionAgeGrace(Duration.ofMillis(500))
            .shutdownTimeout(Duration.ofSeconds(1)).build();
    try (Collector collector = Collector.start(config, new ManualPublisher());
        IngestClient client = new IngestClient(collector.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("aged", 1));
      long t0 = System.nanoTime();
      Status status = s.awaitClose();
      assertThat(status.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      // a new stream gets a new connection and works
      IngestClient.Stream again = client.open().send(Frames.hello("aged", 1));
      assertThat(again.closed).isNotDone();
    }
  }
}
