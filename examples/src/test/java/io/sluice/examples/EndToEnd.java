package io.sluice.examples;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.logback.SluiceAppender;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Shared parts of the end-to-end tests: one broker per test JVM, collectors, Logback contexts, a counting consumer. */
public final class EndToEnd {
  private static EmbeddedKafka shared;

  private EndToEnd() {}

  /** One in-process KRaft broker for the whole test JVM, closed at exit. */
  public static synchronized EmbeddedKafka kafka() {
    if (shared == null) {
      try {
        Path dir = Files.createTempDirectory("sluice-e2e-kafka");
        shared = EmbeddedKafka.builder().baseDir(dir).start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EmbeddedKafka k = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(k::close, "e2e-kafka-close"));
    }
    return shared;
  }

  public static String newTopic() {
    return "e2e-" + UUID.randomUUID().toString().substring(0, 8);
  }

  public static CollectorConfig.Builder collectorConfig(String bootstrap, String topic) {
    // HTTP on any free port too: a restart that names the gRPC port would otherwise default HTTP to the fixed 4418
    return CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").httpListen("127.0.0.1:0")
        .kafkaBootstrap(bootstrap).topic(topic).topicPartitions(3).topicReplicationFactor(1);
  }

  public static Collector startCollector(CollectorConfig config) {
    try {
      return Collector.start(config);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A Logback context whose logger {@code app} writes only to a started SluiceAppender. */
  public record App(LoggerContext context, SluiceAppender appender, Logger logger) implements AutoCloseable {
    @Override
    public void close() {
      context.stop();
    }
  }

  public static App app(String endpoint, Path spoolDir, Map<String, String> extra) {
    LoggerContext context = new LoggerContext();
    context.setName("e2e-" + UUID.randomUUID());
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // what Logback's SLF4J provider does
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.setEndpoint(endpoint);
    appender.setServiceName("e2e-app");
    appender.setSpoolDir(spoolDir.toString());
    appender.setLingerMs("20");
    appender.setReconnectMinMs("20");
    appender.setReconnectMaxMs("300");
    appender.setCloseTimeoutMs("2s");
    extra.forEach((k, v) -> {
      switch (k) {
        case "spoolMaxBytes" -> appender.setSpoolMaxBytes(v);
        case "closeTimeoutMs" -> appender.setCloseTimeoutMs(v);
        case "whenFull" -> appender.setWhenFull(v);
        case "tenant" -> appender.setTenant(v);
        case "serviceName" -> appender.setServiceName(v);
        default -> throw new IllegalArgumentException(k);
      }
    });
    appender.start();
    if (!appender.isStarted()) {
      throw new IllegalStateException("appender did not start: " + context.getStatusManager().getCopyOfStatusList());
    }
    Logger logger = context.getLogger("app");
    logger.setAdditive(false);
    logger.addAppender(appender);
    return new App(context, appender, logger);
  }

  static void log(App app, int from, int to) {
    for (int i = from; i < to; i++) app.logger().atInfo().addKeyValue("seq", i).log("record {}", i);
  }

  /** What a topic holds: how often each seq arrived, and the identity headers seen. */
  public static final class Arrivals {
    public final Map<Long, Integer> bySeq = new ConcurrentHashMap<>();
    public final Set<String> identities = ConcurrentHashMap.newKeySet();
    long total;

    public long duplicates() {
      return total - bySeq.size();
    }

    /** Counts each line of {@code r}, in either Kafka record format. */
    void add(ConsumerRecord<byte[], byte[]> r) {
      for (io.sluice.wire.kafka.KafkaLine line : lines(r)) {
        total++;
        bySeq.merge(seqOf(line.record()), 1, Integer::sum);
        identities.add(line.source() + "/" + line.epoch() + "/" + line.sequence() + "/" + line.index());
      }
    }

    public boolean containsExactly(long from, long to) {
      if (bySeq.size() != to - from) return false;
      for (long i = from; i < to; i++) if (!bySeq.containsKey(i)) return false;
      return true;
    }
  }

  /** Reads the topic from the start until {@code expected} distinct seqs arrived or {@code timeout} passed. */
  public static Arrivals consume(String bootstrap, String topic, int expected, Duration timeout) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    Arrivals a = new Arrivals();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (a.bySeq.size() < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          a.add(r);
        }
      }
      // Whatever else is already there (late duplicates) within a short grace period.
      long grace = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
      while (System.nanoTime() < grace) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          a.add(r);
        }
      }
    }
    return a;
  }

  /** The lines of a Kafka record of either format (io.sluice.wire.kafka), with their identities. */
  public static java.util.List<io.sluice.wire.kafka.KafkaLine> lines(ConsumerRecord<byte[], byte[]> r) {
    try {
      return new io.sluice.wire.kafka.KafkaRecordReader().read(name -> {
        org.apache.kafka.common.header.Header h = r.headers().lastHeader(name);
        return h == null ? null : h.value();
      }, r.value());
    } catch (io.sluice.wire.kafka.KafkaFormatException e) {
      throw new AssertionError("record at offset " + r.offset() + " is not a Sluice record: " + e.getMessage(), e);
    }
  }

  static long seqOf(LogRecord record) {
    for (KeyValue kv : record.getAttributesList()) {
      if (kv.getKey().equals("seq")) return kv.getValue().getIntValue();
    }
    throw new AssertionError("record without seq: " + record);
  }

  static long seqOf(byte[] value) {
    try {
      LogRecord record = LogRecord.parseFrom(value);
      for (KeyValue kv : record.getAttributesList()) {
        if (kv.getKey().equals("seq")) return kv.getValue().getIntValue();
      }
      throw new AssertionError("record without seq: " + record);
    } catch (IOException e) {
      throw new AssertionError("value is not a LogRecord", e);
    }
  }

  /** source/epoch/sequence/index from the Kafka headers. */
  static String identity(ConsumerRecord<byte[], byte[]> r) {
    Map<String, byte[]> h = new HashMap<>();
    for (Header header : r.headers()) h.put(header.key(), header.value());
    byte[] source = h.get("sluice.source");
    byte[] epoch = h.get("sluice.epoch");
    byte[] seq = h.get("sluice.seq");
    byte[] idx = h.get("sluice.idx");
    if (source == null || epoch == null || seq == null || idx == null) {
      throw new AssertionError("record without identity headers: " + h.keySet());
    }
    return new String(source, java.nio.charset.StandardCharsets.UTF_8) + "/" + ByteBuffer.wrap(epoch).getLong()
        + "/" + ByteBuffer.wrap(seq).getLong() + "/" + ByteBuffer.wrap(idx).getInt();
  }
}
