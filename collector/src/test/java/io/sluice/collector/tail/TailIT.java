package io.sluice.collector.tail;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.collector.SharedKafka;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.collector.publish.PublishBatch;
import io.sluice.collector.publish.TopicFormats;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.KafkaFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./sluice tail} as a person runs it: the launcher script, in a process of its own, against the in-JVM broker,
 * on a topic that holds a batch-format record, a record that is not Sluice's and a record-format record.
 */
class TailIT {
  @TempDir
  Path dir;

  @Test
  void printsTheLinesOfATopicInEitherFormatHumanReadable() throws Exception {
    String topic = SharedKafka.newTopic("tail", 1);
    LogRecord info = record(1_764_930_000_123_000_000L, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO",
        "order 1001 accepted", "checkout").toBuilder()
        .addAttributes(KeyValue.newBuilder().setKey("order.id").setValue(AnyValue.newBuilder().setIntValue(1001)))
        .build();
    LogRecord multi = record(1_764_930_001_000_000_000L, SeverityNumber.SEVERITY_NUMBER_WARN, "",
        "two\nlines", "checkout");
    LogRecord error = record(1_764_930_002_000_000_000L, SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR",
        "payment failed", "payments").toBuilder()
        .setException(ExceptionInfo.newBuilder().setType("java.lang.IllegalStateException").setMessage("no funds")
            .addFrames(StackFrame.newBuilder().setClassName("shop.Pay").setMethodName("charge")
                .setFileName("Pay.java").setLineNumber(42)))
        .build();
    Map<String, Object> props = KafkaPublisher.producerDefaults(SharedKafka.bootstrap());
    try (KafkaPublisher batch = new KafkaPublisher(props, topic, null, KafkaPublisher.Options.DEFAULTS,
        TopicFormats.all(KafkaFormat.BATCH))) {
      batch.publish(new PublishBatch("app-1", 1, "acme", 1, "k", List.of(info, multi), 100))
          .get(60, TimeUnit.SECONDS);
    }
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(
        Map.<String, Object>of("bootstrap.servers", SharedKafka.bootstrap()),
        new ByteArraySerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>(topic, "not sluice".getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
    }
    try (KafkaPublisher perLine = new KafkaPublisher(props, topic, null, KafkaPublisher.Options.DEFAULTS,
        TopicFormats.all(KafkaFormat.RECORD))) {
      perLine.publish(new PublishBatch("app-2", 1, "acme", 7, "k", List.of(error), 100)).get(60, TimeUnit.SECONDS);
    }

    Path script = Path.of("..", "sluice").toAbsolutePath().normalize();
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p = new ProcessBuilder("bash", script.toString(), "tail", topic, "--bootstrap", SharedKafka.bootstrap(),
        "--from-beginning", "-n", "3", "--identity")
        .directory(script.getParent().toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("tail exits after -n 3 lines").isTrue();
    assertThat(p.exitValue()).as(Files.readString(err)).isZero();
    assertThat(Files.readAllLines(out)).containsExactly(
        "app-1/1/1/0 2025-12-05T10:20:00.123Z INFO  checkout order 1001 accepted  order.id=1001",
        "app-1/1/1/1 2025-12-05T10:20:01Z WARN  checkout two\\nlines",
        "app-2/1/7/0 2025-12-05T10:20:02Z ERROR payments payment failed",
        "    java.lang.IllegalStateException: no funds",
        "        at shop.Pay.charge(Pay.java:42)");
    assertThat(Files.readString(err)).contains("is not a Sluice record, skipped: missing_header");
  }

  private static LogRecord record(long nanos, SeverityNumber severity, String text, String body, String service) {
    return LogRecord.newBuilder().setTimeUnixNano(nanos).setSeverityNumber(severity).setSeverityText(text)
        .setBody(AnyValue.newBuilder().setStringValue(body))
        .addAttributes(KeyValue.newBuilder().setKey("resource.service.name")
            .setValue(AnyValue.newBuilder().setStringValue(service)))
        .build();
  }
}
