package io.sluice.examples.apps;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.Collector;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code examples/spring-boot}: a Spring Boot 3 application configured by {@code logback-spring.xml}, built with
 * Maven and started as its own JVM against a real collector and Kafka. Its orders and Spring's own start-up lines
 * must arrive.
 */
class SpringBootExampleIT {
  private static final int ORDERS = 200;

  @TempDir
  Path dir;

  @Test
  void aSpringBootApplicationShipsItsStartupLinesAndItsOrders() throws Exception {
    ExampleProject app = ExampleProject.build("spring-boot",
        ExampleProject.appenderJar("appender-logback", "shaded"), dir.resolve("build.log"));
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = EndToEnd.newTopic();
    try (Collector collector = EndToEnd.startCollector(
        EndToEnd.collectorConfig(kafka.bootstrapServers(), topic).topicPartitions(1).build())) {
      Path out = dir.resolve("app.out");
      Process p = app.start("com.example.shop.ShopApplication", out,
          "--sluice.endpoint=127.0.0.1:" + collector.port(), "--sluice.spool-dir=" + dir.resolve("spool"),
          "--shop.orders=" + ORDERS);
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("app finished:%n%s", ExampleProject.read(out)).isTrue();
      String output = ExampleProject.read(out);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output).containsPattern("acknowledged (\\d+) of \\1").doesNotContain("acknowledged 0 of");

      List<LogRecord> records = readUntilOrders(kafka.bootstrapServers(), topic, Duration.ofSeconds(30));
      Set<Long> seqs = new TreeSet<>();
      for (LogRecord r : records) {
        for (KeyValue kv : r.getAttributesList()) if (kv.getKey().equals("seq")) seqs.add(kv.getValue().getIntValue());
      }
      assertThat(seqs).as("orders in Kafka; app output:%n%s", output).hasSize(ORDERS).first().isEqualTo(0L);
      assertThat(records)
          .anySatisfy(r -> assertThat(r.getBody().getStringValue()).startsWith("Started ShopApplication"));
      assertThat(records).allSatisfy(r -> assertThat(r.getAttributesList()).contains(
          KeyValue.newBuilder().setKey("resource.service.name").setValue(io.sluice.proto.v1.AnyValue.newBuilder()
              .setStringValue("shop")).build()));
    }
  }

  /** Every record of the single-partition topic, read until all orders were seen or {@code timeout} passed. */
  private static List<LogRecord> readUntilOrders(String bootstrap, String topic, Duration timeout) throws Exception {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    List<LogRecord> out = new ArrayList<>();
    Set<Long> seen = new TreeSet<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (seen.size() < ORDERS && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          for (io.sluice.wire.kafka.KafkaLine line : io.sluice.examples.EndToEnd.lines(r)) { // either format
            LogRecord record = line.record();
            out.add(record);
            for (KeyValue kv : record.getAttributesList())
              if (kv.getKey().equals("seq")) seen.add(kv.getValue().getIntValue());
          }
        }
      }
    }
    return out;
  }
}
