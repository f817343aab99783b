package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.Diagnostics;
import io.sluice.sdk.pipeline.Pipeline;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * The client's keepalive and the collector's permit agree: a real collector with its default
 * {@code permitKeepAliveTime} and an sdk-core pipeline pinging every 10 s (gRPC's floor; the default is 30 s) keep one
 * idle stream open for 35 s, three and a half ping intervals. With gRPC's 5-minute default permit the third ping
 * (at ~30 s) earns {@code GOAWAY too_many_pings} and the stream closes.
 *
 * <p>Concurrent with the other ITs (see the failsafe configuration in the pom): it waits on gRPC's 10 s ping floor,
 * not on the CPU, and owns its collector and topic; the others still run one at a time.
 */
@Execution(ExecutionMode.CONCURRENT)
class KeepAliveIT {
  @Test
  void anIdleStreamOutlivesThreeKeepalivePings(@TempDir Path dir) throws Exception {
    String topic = SharedKafka.newTopic("keepalive", 1);
    CollectorConfig cc = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).shutdownTimeout(Duration.ofSeconds(5)).build();
    assertThat(cc.permitKeepAliveTime()).isLessThanOrEqualTo(Duration.ofSeconds(10));
    try (Collector collector = Collector.start(cc);
        Pipeline p = Pipeline.start(PipelineConfig.builder().endpoint("http://127.0.0.1:" + collector.port())
            .serviceName("keepalive").spoolDir(dir.resolve("spool")).lingerMs(20).keepAliveTimeMs(10_000)
            .diagnostics(Diagnostics.NONE).build())) {
      p.offer(LogRecord.newBuilder().setTimeUnixNano(1).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 1);
      // Idle from here on: only keepalive pings cross the connection.
      await().during(Duration.ofSeconds(35)).atMost(Duration.ofSeconds(60)).until(() -> {
        PipelineStats s = p.stats();
        return s.connected() && s.reconnects() == 0;
      });
      p.offer(LogRecord.newBuilder().setTimeUnixNano(2).build());
      await().atMost(Duration.ofSeconds(30)).until(() -> p.stats().acknowledged() == 2);
      assertThat(p.stats().reconnects()).isZero();
    }
  }
}
