package io.sluice.backend.common;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.BatchValueWriter;
import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaHeaders;
import io.sluice.wire.kafka.RecordSlices;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Realistic collector output for backend tests: records from a few tenants, services and sources, with the identity
 * headers the collector writes, a mix of severities, templated messages and exceptions, timestamps spread over a
 * given span — plus, on request, whole batches resent (the duplicates at-least-once delivery creates).
 * Deterministic for a seed.
 */
public final class TestRecords {
  public static final List<String> TENANTS = List.of("acme", "globex");
  public static final List<String> SERVICES = List.of("checkout", "payments", "search");
  private static final String[] SOURCES = {"app-1", "app-2", "agent-7"};
  private static final SeverityNumber[] LEVELS = {
      SeverityNumber.SEVERITY_NUMBER_DEBUG,
      SeverityNumber.SEVERITY_NUMBER_INFO,
      SeverityNumber.SEVERITY_NUMBER_INFO,
      SeverityNumber.SEVERITY_NUMBER_INFO,
      SeverityNumber.SEVERITY_NUMBER_WARN,
      SeverityNumber.SEVERITY_NUMBER_ERROR
  };
  private static final String[] EXCEPTIONS = {
      "java.lang.IllegalStateException", "java.io.UncheckedIOException", "java.util.concurrent.TimeoutException"
  };

  /**
   * What a test produced: every Kafka record in send order (duplicates included) and the distinct count of lines
   * (in the batch format a Kafka record holds a whole batch of lines).
   */
  public record Generated(List<RawRecord> records, int distinct) {}

  private TestRecords() {}

  /**
   * {@code distinct} records in batches of {@code batchSize} per source, event times spread evenly over
   * [{@code startMillis}, {@code startMillis + spanMillis}); then {@code resentBatches} randomly chosen batches are
   * sent again in full (with identical identity headers and values).
   */
  public static Generated generate(
      long seed, int distinct, int batchSize, long startMillis, long spanMillis, int resentBatches, String topic) {
    return generate(seed, distinct, batchSize, startMillis, spanMillis, resentBatches, topic, 1);
  }

  /**
   * As above, from shippers in spool epoch {@code epoch}: record identities of different epochs never collide, so
   * several generated sets can share one topic.
   */
  public static Generated generate(
      long seed, int distinct, int batchSize, long startMillis, long spanMillis, int resentBatches, String topic,
      long epoch) {
    return generate(seed, distinct, batchSize, startMillis, spanMillis, resentBatches, topic, epoch,
        KafkaFormat.RECORD);
  }

  /**
   * As above, written in {@code format}: the same lines with the same identities whatever the format, so a test
   * parameterised by format must get the same answers from both.
   */
  public static Generated generate(
      long seed, int distinct, int batchSize, long startMillis, long spanMillis, int resentBatches, String topic,
      long epoch, KafkaFormat format) {
    Random random = new Random(seed);
    List<List<RawRecord>> batches = new ArrayList<>();
    Map<String, long[]> seqBySource = new LinkedHashMap<>();
    List<RawRecord> current = new ArrayList<>();
    String source = SOURCES[0];
    String tenant = TENANTS.get(0);
    String service = SERVICES.get(0);
    for (int i = 0; i < distinct; i++) {
      if (current.size() == batchSize || i == 0) {
        if (!current.isEmpty()) {
          batches.add(current);
        }
        current = new ArrayList<>();
        source = SOURCES[random.nextInt(SOURCES.length)];
        tenant = TENANTS.get(random.nextInt(TENANTS.size()));
        service = SERVICES.get(random.nextInt(SERVICES.size()));
        seqBySource.computeIfAbsent(source, s -> new long[1])[0]++;
      }
      long seq = seqBySource.get(source)[0];
      long timeMs = startMillis + (spanMillis * i) / Math.max(1, distinct);
      LogRecord record = record(random, service, timeMs, i);
      Map<String, byte[]> headers = new LinkedHashMap<>();
      headers.put(KafkaHeaders.SOURCE, KafkaHeaders.utf8(source + "-" + tenant));
      headers.put(KafkaHeaders.EPOCH, KafkaHeaders.int64(epoch));
      headers.put(KafkaHeaders.SEQ, KafkaHeaders.int64(seq));
      headers.put(KafkaHeaders.IDX, KafkaHeaders.int32(current.size()));
      headers.put(KafkaHeaders.TENANT, KafkaHeaders.utf8(tenant));
      headers.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_RECORD));
      current.add(
          new RawRecord(
              topic,
              KafkaHeaders.utf8(service + "/host-1"),
              Collections.unmodifiableMap(headers),
              record.toByteArray(),
              timeMs));
    }
    if (!current.isEmpty()) {
      batches.add(current);
    }
    if (format == KafkaFormat.BATCH) {
      List<List<RawRecord>> asBatches = new ArrayList<>(batches.size());
      for (List<RawRecord> b : batches) {
        asBatches.add(List.of(toBatchRecord(b)));
      }
      batches = asBatches;
    }
    List<RawRecord> out = new ArrayList<>(distinct);
    batches.forEach(out::addAll);
    for (int r = 0; r < resentBatches && !batches.isEmpty(); r++) {
      out.addAll(batches.get(random.nextInt(batches.size())));
    }
    return new Generated(List.copyOf(out), distinct);
  }

  /** The batch-format Kafka record the collector writes for these record-format lines of one client batch. */
  public static RawRecord toBatchRecord(List<RawRecord> lines) {
    RawRecord first = lines.get(0);
    Map<String, byte[]> headers = new LinkedHashMap<>();
    for (String name : List.of(KafkaHeaders.SOURCE, KafkaHeaders.EPOCH, KafkaHeaders.SEQ, KafkaHeaders.TENANT)) {
      headers.put(name, first.headers().get(name));
    }
    headers.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_BATCH));
    headers.put(KafkaHeaders.COUNT, KafkaHeaders.int32(lines.size()));
    int[] indexes = new int[lines.size()];
    boolean positions = true;
    List<byte[]> values = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      indexes[i] = KafkaHeaders.readInt32(lines.get(i).headers().get(KafkaHeaders.IDX));
      positions &= indexes[i] == i;
      values.add(lines.get(i).value());
    }
    if (!positions) {
      headers.put(KafkaHeaders.INDEXES, KafkaHeaders.int32s(indexes));
    }
    byte[] value;
    try (BatchValueWriter w = new BatchValueWriter()) {
      int[] all = new int[lines.size()];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      value = w.write(RecordSlices.ofArrays(values), all);
    }
    return new RawRecord(first.topic(), first.key(), Collections.unmodifiableMap(headers), value,
        lines.get(lines.size() - 1).timestampMs());
  }

  private static LogRecord record(Random random, String service, long timeMs, int i) {
    SeverityNumber level = LEVELS[random.nextInt(LEVELS.length)];
    LogRecord.Builder b =
        LogRecord.newBuilder()
            .setTimeUnixNano(timeMs * 1_000_000L + random.nextInt(1_000_000))
            .setObservedTimeUnixNano(timeMs * 1_000_000L)
            .setSeverityNumber(level)
            .setSeverityText(level.name().substring("SEVERITY_NUMBER_".length()))
            .setLogger("com.example." + service + ".Handler")
            .setThreadName("worker-" + random.nextInt(8))
            .setThreadId(random.nextInt(100))
            .addAttributes(kv("resource.service.name", service))
            .addAttributes(kv("resource.host.name", "host-1"))
            .addAttributes(kv("order.id", Integer.toString(1000 + i)));
    if (random.nextBoolean()) {
      b.setMessageTemplate("order {} processed in {} ms")
          .addMessageArguments(str(Integer.toString(1000 + i)))
          .addMessageArguments(AnyValue.newBuilder().setIntValue(random.nextInt(500)))
          .setBody(str("order " + (1000 + i) + " processed in " + random.nextInt(500) + " ms"));
    } else {
      b.setBody(str("request " + i + " for /api/" + service + " done"));
    }
    if (level == SeverityNumber.SEVERITY_NUMBER_ERROR) {
      String type = EXCEPTIONS[random.nextInt(EXCEPTIONS.length)];
      b.setBody(str("payment for order " + (1000 + i) + " failed"))
          .clearMessageTemplate()
          .clearMessageArguments()
          .setException(
              ExceptionInfo.newBuilder()
                  .setType(type)
                  .setMessage("upstream said no to " + i)
                  .addFrames(
                      StackFrame.newBuilder()
                          .setClassName("com.example." + service + ".Client")
                          .setMethodName("call")
                          .setFileName("Client.java")
                          .setLineNumber(42))
                  .addFrames(
                      StackFrame.newBuilder()
                          .setClassName("com.example." + service + ".Handler")
                          .setMethodName("handle")
                          .setFileName("Handler.java")
                          .setLineNumber(7)));
      if (random.nextInt(4) == 0) {
        b.setTraceId(ByteString.copyFrom(randomBytes(random, 16)))
            .setSpanId(ByteString.copyFrom(randomBytes(random, 8)));
      }
    }
    return b.build();
  }

  private static byte[] randomBytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(str(value)).build();
  }

  private static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }
}
