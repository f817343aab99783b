package io.sluice.examples.golden;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.TextFormat;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.KafkaFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The golden round trip's fixed parts: a topic and a collector that take records of several MiB, a consumer that
 * reads a topic back in order, and the exact comparison of decoded records with expected ones. Expected values are
 * written out here with the protobuf builders, never produced by the appenders' own mapping code.
 */
final class Golden {
  /** Large enough for the 1 MiB message, whose record also carries it as its template (about 2 MiB). */
  static final int MAX_MESSAGE_BYTES = 16 << 20;

  /** The environment the examples' failsafe sets for every IT (see examples/pom.xml). */
  static final String SERVICE_VERSION = "1.4.2";

  private Golden() {}

  /** A fresh single-partition topic (one partition keeps the records in the order they were logged). */
  static String topic(EmbeddedKafka kafka) {
    String topic = "golden-" + UUID.randomUUID().toString().substring(0, 8);
    try {
      kafka.admin().createTopics(List.of(new NewTopic(topic, 1, (short) 1)
          .configs(Map.of("max.message.bytes", String.valueOf(MAX_MESSAGE_BYTES))))).all().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("could not create " + topic, e.getCause());
    }
    return topic;
  }

  /** A collector publishing to {@code topic} in {@code format}, with a producer that accepts the large records. */
  static Collector collector(EmbeddedKafka kafka, String topic, KafkaFormat format) {
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(kafka.bootstrapServers())
            .kafkaFormat(format)
            .topic(topic).createTopic(false).producerOverride("max.request.size", String.valueOf(MAX_MESSAGE_BYTES))
            .maxRecordBytes(MAX_MESSAGE_BYTES) // the collector's own cap (dead-letters larger records) must let them pass
            .build();
    try {
      return Collector.start(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static EmbeddedKafka kafka() {
    return EndToEnd.kafka();
  }

  /** The first {@code count} records of the topic, decoded, in order; fails after {@code timeout}. */
  static List<LogRecord> consume(EmbeddedKafka kafka, String topic, int count, Duration timeout) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
    props.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(MAX_MESSAGE_BYTES));
    List<LogRecord> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      TopicPartition partition = new TopicPartition(topic, 0);
      consumer.assign(List.of(partition));
      consumer.seekToBeginning(List.of(partition));
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          EndToEnd.lines(r).forEach(line -> out.add(line.record())); // either Kafka record format
        }
      }
    }
    assertThat(out).as("records read back from %s", topic).hasSize(count);
    return out;
  }

  /**
   * Asserts that {@code actual} is exactly {@code expected}, field by field, after two normalisations: the
   * observed time (the wall clock when the appender mapped the event) must lie in [{@code from}, {@code to}] and is
   * then ignored, and attributes are compared as a set of keys (MDC maps have no order of their own). Every other
   * field, down to each frame of each exception, must be equal.
   */
  static void assertRecord(String label, LogRecord actual, LogRecord expected, Instant from, Instant to) {
    long observed = actual.getObservedTimeUnixNano();
    assertThat(observed).as("%s: observed_time_unix_nano", label).isBetween(nanos(from), nanos(to));
    LogRecord a = normalize(actual);
    LogRecord e = normalize(expected);
    for (FieldDescriptor f : LogRecord.getDescriptor().getFields()) {
      Object av = a.getField(f);
      Object ev = e.getField(f);
      if (!av.equals(ev)) {
        fail(label + ": field " + f.getName() + " differs\n expected: " + shorten(ev) + "\n actual:   " + shorten(av));
      }
    }
    assertThat(a).as(label).isEqualTo(e);
  }

  private static LogRecord normalize(LogRecord r) {
    List<KeyValue> attributes = new ArrayList<>(r.getAttributesList());
    attributes.sort(Comparator.comparing(KeyValue::getKey));
    return r.toBuilder().setObservedTimeUnixNano(0).clearAttributes().addAllAttributes(attributes).build();
  }

  private static String shorten(Object value) {
    String s = value instanceof com.google.protobuf.MessageOrBuilder m ? TextFormat.printer().printToString(m)
        : String.valueOf(value);
    return s.length() <= 4000 ? s : s.substring(0, 4000) + "... (" + s.length() + " chars)";
  }

  static long nanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  // ------------------------------------------------------------------------------------------ expected values

  static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  static AnyValue i64(long n) {
    return AnyValue.newBuilder().setIntValue(n).build();
  }

  static AnyValue f64(double d) {
    return AnyValue.newBuilder().setDoubleValue(d).build();
  }

  static AnyValue bool(boolean b) {
    return AnyValue.newBuilder().setBoolValue(b).build();
  }

  static KeyValue kv(String key, AnyValue value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  static ByteString bytes(byte[] b) {
    return ByteString.copyFrom(b);
  }

  /**
   * The resource every record carries once the collector has folded it into the attributes as {@code resource.*}:
   * service name and version, the configured extra attribute, k8s names from the environment failsafe sets, and
   * the host name as sdk-core finds it ({@code $HOSTNAME}, else {@code /etc/hostname}).
   */
  static List<KeyValue> resource(String serviceName, String environment) {
    return List.of(
        kv("resource.service.name", str(serviceName)),
        kv("resource.service.version", str(SERVICE_VERSION)),
        kv("resource.deployment.environment", str(environment)),
        kv("resource.k8s.pod.name", str("golden-pod-7f9c")),
        kv("resource.k8s.namespace.name", str("golden-ns")),
        kv("resource.k8s.node.name", str("golden-node")),
        kv("resource.host.name", str(hostName())));
  }

  private static String hostName() {
    String h = System.getenv("HOSTNAME");
    if (h != null && !h.isBlank()) return h.trim();
    try {
      return Files.readString(Paths.get("/etc/hostname")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** {@code t} with its own frames and nothing nested (callers add causes and suppressed). */
  static ExceptionInfo.Builder exception(Throwable t) {
    ExceptionInfo.Builder b = ExceptionInfo.newBuilder().setType(t.getClass().getName());
    if (t.getMessage() != null) b.setMessage(t.getMessage());
    for (StackTraceElement f : t.getStackTrace()) {
      StackFrame.Builder fb = StackFrame.newBuilder().setClassName(f.getClassName()).setMethodName(f.getMethodName())
          .setLineNumber(f.getLineNumber());
      if (f.getFileName() != null) fb.setFileName(f.getFileName());
      if (f.getModuleName() != null) fb.setModule(f.getModuleName());
      b.addFrames(fb);
    }
    return b;
  }

  /** The failure with causes and suppressed exceptions every golden run logs. */
  static IllegalStateException failure() {
    IllegalStateException outer = new IllegalStateException("payment failed: card declined",
        new java.io.IOException("gateway timed out", new java.net.SocketTimeoutException("read timed out")));
    outer.addSuppressed(new IllegalArgumentException("rollback failed"));
    return outer;
  }

  /** Expected shape of {@link #failure()}: suppressed under the top, the causes one flat list. */
  static ExceptionInfo expectedFailure(IllegalStateException outer) {
    Throwable io = outer.getCause();
    Throwable socket = io.getCause();
    return exception(outer).addSuppressed(exception(outer.getSuppressed()[0]))
        .addCauses(exception(io)).addCauses(exception(socket)).build();
  }

  /**
   * A chain of {@code depth} throwables, the logged one first; each has one frame of its own (with a module, as
   * frames from named modules have) so the record stays small.
   */
  static Throwable deepChain(int depth) {
    Throwable t = null;
    for (int i = depth - 1; i >= 0; i--) {
      t = new RuntimeException("level " + i, t);
      t.setStackTrace(new StackTraceElement[] {
          new StackTraceElement("app", "golden.deep", "1.0", "golden.Deep", "level" + i, "Deep.java", 100 + i)});
    }
    return t;
  }

  /**
   * What a chain of {@code depth} becomes with the default depth limit: complete, the top with every other link in
   * its flat {@code causes} list (one nesting level, so the whole batch parses with protobuf's default limits).
   */
  static ExceptionInfo expectedDeepChain(Throwable top, int depth) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = top; t != null; t = t.getCause()) chain.add(t);
    assertThat(chain).hasSize(depth);
    ExceptionInfo.Builder head = null;
    for (int i = 0; i < depth; i++) {
      ExceptionInfo.Builder b = ExceptionInfo.newBuilder().setType("java.lang.RuntimeException")
          .setMessage(chain.get(i).getMessage())
          .addFrames(StackFrame.newBuilder().setClassName("golden.Deep").setMethodName("level" + i)
              .setFileName("Deep.java").setLineNumber(100 + i).setModule("golden.deep"));
      if (head == null) head = b;
      else head.addCauses(b);
    }
    return head.build();
  }

  /** {@code length} characters of deterministic, poorly compressible ASCII text. */
  static String text(int length) {
    Random random = new Random(42);
    StringBuilder sb = new StringBuilder(length);
    String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:-";
    for (int i = 0; i < length; i++) sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
    return sb.toString();
  }

  /** Text in several scripts, with a surrogate pair, a combining accent and right-to-left text. */
  static final String UNICODE = "Grüße, 世界! Привет — مرحبا — 🚀🧵 — e\u0301 — \u00a0ǅ";
}
