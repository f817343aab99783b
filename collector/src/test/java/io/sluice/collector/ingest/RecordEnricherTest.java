package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.DecodedBatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The spliced Kafka values parse to exactly the records the re-building enrichment produces. */
class RecordEnricherTest {
  /** Resource keys, so that records' own {@code resource.*} attributes collide with them often. */
  private static final List<String> KEYS = List.of("service.name", "host.name", "pod", "zone", "");

  @Property(tries = 300)
  void splicedValuesParseToTheEnrichedRecords(@ForAll("batches") LogBatch batch,
      @ForAll("resources") Map<String, AnyValue> hello) throws Exception {
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(
        hello.entrySet().stream().map(e -> KeyValue.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build())
            .toList(),
        batch.getResourceList());
    byte[] bytes = batch.toByteArray();
    DecodedBatch decoded = DecodedBatch.scan(bytes, batch.getRecordsCount());

    byte[][] values = RecordEnricher.spliceValues(decoded, resource);
    // the same bytes as when the columns come from the parsed records
    assertThat(values).isDeepEqualTo(
        RecordEnricher.spliceValues(DecodedBatch.of(bytes, LogBatch.parseFrom(bytes)), resource));
    List<LogRecord> expected = RecordEnricher.enrich(batch, resource);

    assertThat(values.length).isEqualTo(expected.size());
    for (int i = 0; i < values.length; i++) {
      assertThat(LogRecord.parseFrom(values[i])).isEqualTo(expected.get(i));
      // a canonical encoder's records splice to exactly the size of the re-encoded record (limits.maxRecordBytes)
      assertThat(values[i].length).isEqualTo(expected.get(i).getSerializedSize());
    }
  }

  @Test
  void addsOnlyTheResourceAttributesARecordLacks() throws Exception {
    LogRecord own = LogRecord.newBuilder().setLogger("l")
        .addAttributes(kv("resource.host.name", "mine")).setThreadName("t").build();
    LogBatch batch = LogBatch.newBuilder().addResource(kv("service.name", "shop")).addResource(kv("host.name", "h1"))
        .addRecords(own).addRecords(LogRecord.newBuilder().setLogger("other")).build();
    Map<String, AnyValue> resource = RecordEnricher.mergeResource(List.of(), batch.getResourceList());
    byte[] bytes = batch.toByteArray();

    byte[][] values = RecordEnricher.spliceValues(DecodedBatch.of(bytes, LogBatch.parseFrom(bytes)), resource);

    assertThat(LogRecord.parseFrom(values[0]).getAttributesList())
        .containsExactly(kv("resource.host.name", "mine"), kv("resource.service.name", "shop"));
    assertThat(LogRecord.parseFrom(values[1]).getAttributesList())
        .containsExactly(kv("resource.service.name", "shop"), kv("resource.host.name", "h1"));
  }

  @Provide
  Arbitrary<LogBatch> batches() {
    Arbitrary<List<KeyValue>> resource = keyValues(KEYS).list().ofMaxSize(4);
    return Combinators.combine(resource, records().list().ofMaxSize(8))
        .as((r, recs) -> LogBatch.newBuilder().addAllResource(r).addAllRecords(recs).build());
  }

  @Provide
  Arbitrary<Map<String, AnyValue>> resources() {
    return Arbitraries.maps(Arbitraries.of(KEYS), values()).ofMaxSize(4).map(LinkedHashMap::new);
  }

  private static Arbitrary<LogRecord> records() {
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(20);
    List<String> attributeKeys = List.of("k", "resource.service.name", "resource.host.name", "resource.pod",
        "resource.", "service.name", "resource.zone.x");
    return Combinators.combine(
        Arbitraries.longs(), Arbitraries.integers().between(0, 24), text,
        keyValues(attributeKeys).list().ofMaxSize(5), Arbitraries.bytes().array(byte[].class).ofMaxSize(16),
        Arbitraries.of(true, false), text, Arbitraries.longs())
        .as((time, severity, body, attributes, trace, withException, logger, threadId) -> {
          LogRecord.Builder b = LogRecord.newBuilder().setTimeUnixNano(time).setSeverityNumberValue(severity)
              .setBody(AnyValue.newBuilder().setStringValue(body)).addAllAttributes(attributes)
              .setTraceId(ByteString.copyFrom(trace)).setLogger(logger).setThreadId(threadId)
              .addMarkers(logger).setTruncated(withException);
          if (withException) {
            b.setException(ExceptionInfo.newBuilder().setType("java.lang.IllegalStateException").setMessage(body)
                .addFrames(StackFrame.newBuilder().setClassName("a.B").setMethodName("m").setLineNumber(3)));
          }
          return b.build();
        });
  }

  private static Arbitrary<KeyValue> keyValues(List<String> keys) {
    return Combinators.combine(Arbitraries.of(keys), values())
        .as((k, v) -> KeyValue.newBuilder().setKey(k).setValue(v).build());
  }

  private static Arbitrary<AnyValue> values() {
    return Arbitraries.oneOf(
        Arbitraries.strings().ofMaxLength(12).map(s -> AnyValue.newBuilder().setStringValue(s).build()),
        Arbitraries.longs().map(l -> AnyValue.newBuilder().setIntValue(l).build()),
        Arbitraries.of(true, false).map(x -> AnyValue.newBuilder().setBoolValue(x).build()));
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }
}
