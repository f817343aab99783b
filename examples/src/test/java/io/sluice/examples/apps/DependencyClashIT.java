package io.sluice.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/dependency-clash}: an application that pins protobuf 3.25, gRPC 1.62, Netty 4.1.118 and Jackson
 * 2.17 (Sluice itself runs protobuf 4.36, gRPC 1.85, Jackson 2.18) and logs through the shaded Logback appender to a
 * real collector and Kafka. Its libraries must keep the versions it pinned, and every record must arrive.
 */
class DependencyClashIT {
  private static final int COUNT = 500;

  @TempDir
  Path dir;

  @Test
  void anApplicationPinningOtherProtobufGrpcNettyAndJacksonKeepsThemAndItsLogsArrive() throws Exception {
    ExampleProject app = ExampleProject.build("dependency-clash",
        ExampleProject.appenderJar("appender-logback", "shaded"), dir.resolve("build.log"));
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    try (Collector collector = EndToEnd.startCollector(
        EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).topicPartitions(1).build())) {
      Path out = dir.resolve("app.out");
      Process p = app.start("io.sluice.examples.clash.ClashApp", out, "127.0.0.1:" + collector.port(),
          dir.resolve("spool").toString(), String.valueOf(COUNT));
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("app finished:%n%s", ExampleProject.read(out)).isTrue();
      String output = ExampleProject.read(out);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output)
          .contains("versions protobuf=3.25.5 grpc=1.62.2 netty=4.1.118.Final jackson=2.17.2")
          .contains("protobuf RuntimeVersion visible: false")
          .contains("sluice gRPC relocated: true")
          .contains("acknowledged " + COUNT)
          .doesNotContain("NoSuchMethodError").doesNotContain("NoClassDefFoundError");

      EndToEnd.Arrivals arrivals = EndToEnd.consume(kafka.bootstrapServers(), topic, COUNT, Duration.ofSeconds(30));
      assertThat(arrivals.containsExactly(0, COUNT)).isTrue();
    }
  }
}
