package io.sluice.bench.burst;

import io.sluice.bench.BenchSupport;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import java.nio.file.Path;

/**
 * The far side of the burst benchmark, in its own JVM (as a collector runs in production): a KRaft broker and the
 * real collector (gRPC ingest and the OTLP/HTTP {@code POST /v1/logs} ingest) publishing to topic {@code burst}
 * (3 partitions). Prints {@code READY <bootstrap> <grpc port> <http port>} and runs until its stdin closes.
 */
public final class BurstServer {
  private BurstServer() {}

  public static void main(String[] args) throws Exception {
    Path work = BenchSupport.tempDir("sluice-burst-server");
    EmbeddedKafka kafka = EmbeddedKafka.builder().baseDir(work.resolve("kafka")).start();
    kafka.createTopic(Burst.TOPIC, 3, 1);
    Collector collector = Collector.start(CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
        .httpListen("127.0.0.1:0").kafkaBootstrap(kafka.bootstrapServers()).topic(Burst.TOPIC).createTopic(false)
        .build());
    System.out.println("READY " + kafka.bootstrapServers() + " " + collector.port() + " " + collector.httpPort());
    System.out.flush();
    try {
      while (System.in.read() >= 0) {
        // until the parent closes our stdin (or dies)
      }
    } finally {
      collector.close();
      kafka.close();
      BenchSupport.deleteTree(work);
    }
    System.exit(0);
  }
}
