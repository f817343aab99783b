package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link WriteInBatches} on the DirectRunner with a sink that records every write as one batch. */
class WriteInBatchesTest {
  private static final long START = Instant.parse("2026-11-23T10:40:00Z").toEpochMilli();
  private static final SerializableFunction<LogEvent, String> HOUR_AND_SERVICE =
      e -> (e.timeMillis() / 3_600_000L) + "/" + e.service();
  /** Longer than any test runs: only size and the end of input close batches, unless the test moves the clock. */
  private static final java.time.Duration NEVER = java.time.Duration.ofHours(6);

  private static List<LogEvent> events;
  private static int largestEvent;

  @BeforeAll
  static void generate() {
    // 40 minutes from 10:40: two hours × three services = six partitions
    events = Truth.distinctEvents(TestRecords.generate(5, 900, 30, START, 40 * 60_000L, 6, "sluice.logs").records());
    largestEvent = events.stream().mapToInt(LogEvent::sizeBytes).max().orElseThrow();
  }

  @Test
  void batchesCloseBySizeAndTheLastOfEachPartitionAtTheEndOfInput() {
    long batchBytes = 12_000;
    List<Batch> batches = run(Create.of(events).withCoder(SerializableCoder.of(LogEvent.class)),
        new EventBatching(HOUR_AND_SERVICE, batchBytes, NEVER, 1, false));

    assertEachEventOnce(batches);
    Map<String, List<Batch>> byPartition = byPartition(batches);
    assertThat(byPartition).hasSize(6);
    byPartition.forEach((partition, list) -> {
      long total = list.stream().mapToLong(Batch::bytes).sum();
      // every batch but the one the end of input closed was closed by size: within one event of the target
      List<Batch> small = list.stream().filter(b -> b.bytes() <= batchBytes - largestEvent).toList();
      assertThat(small).as(partition).hasSizeLessThanOrEqualTo(1);
      assertThat(list).as(partition).allMatch(b -> b.bytes() <= batchBytes);
      assertThat(list.size()).as(partition + ": files for " + total + " bytes")
          .isBetween((int) ((total + batchBytes - 1) / batchBytes), (int) (total / (batchBytes - largestEvent)) + 1);
    });
  }

  @Test
  void shardsSpreadAPartitionOverKeysThatEachFillTheirOwnBatches() {
    long batchBytes = 12_000;
    List<Batch> batches = run(Create.of(events).withCoder(SerializableCoder.of(LogEvent.class)),
        new EventBatching(HOUR_AND_SERVICE, batchBytes, NEVER, 3, false));

    assertEachEventOnce(batches);
    Map<String, List<Batch>> byKey =
        batches.stream().collect(Collectors.groupingBy(Batch::key, TreeMap::new, Collectors.toList()));
    assertThat(byKey.keySet()).hasSize(18).allMatch(k -> k.matches("\\d+/\\w+#[0-2]"));
    byKey.forEach((key, list) -> {
      assertThat(list).as(key)
          .allMatch(b -> b.events().stream().allMatch(e -> key.startsWith(HOUR_AND_SERVICE.apply(e) + "#")));
      assertThat(list.stream().filter(b -> b.bytes() <= batchBytes - largestEvent).count()).as(key)
          .isLessThanOrEqualTo(1);
    });
  }

  @Test
  void aBatchThatWaitedMaxDelayIsWrittenSmall() {
    List<LogEvent> sameHour = events.stream()
        .filter(e -> HOUR_AND_SERVICE.apply(e).equals(HOUR_AND_SERVICE.apply(events.get(0))))
        .limit(30)
        .toList();
    java.time.Duration maxDelay = java.time.Duration.ofMinutes(5);
    TestStream<LogEvent> stream =
        TestStream.create(SerializableCoder.of(LogEvent.class))
            .addElements(sameHour.get(0), sameHour.subList(1, 10).toArray(LogEvent[]::new))
            .advanceProcessingTime(org.joda.time.Duration.standardMinutes(4))
            .addElements(sameHour.get(10), sameHour.subList(11, 20).toArray(LogEvent[]::new))
            // five minutes after the first event: the twenty waiting are written, however few bytes they are
            .advanceProcessingTime(org.joda.time.Duration.standardMinutes(2))
            .addElements(sameHour.get(20), sameHour.subList(21, 30).toArray(LogEvent[]::new))
            .advanceWatermarkToInfinity();

    List<Batch> batches = run(stream, new EventBatching(HOUR_AND_SERVICE, 10_000_000, maxDelay, 1, true));

    assertThat(batches).extracting(b -> b.events().size()).containsExactly(20, 10);
    assertThat(batches.get(0).ids()).isEqualTo(ids(sameHour.subList(0, 20)));
    assertThat(batches.get(1).ids()).isEqualTo(ids(sameHour.subList(20, 30)));
  }

  // --- harness

  record Batch(String key, List<LogEvent> events) {
    long bytes() {
      return events.stream().mapToLong(LogEvent::sizeBytes).sum();
    }

    List<String> ids() {
      return WriteInBatchesTest.ids(events);
    }
  }

  private static List<String> ids(List<LogEvent> events) {
    return events.stream().map(e -> e.identity().key()).sorted().toList();
  }

  private static void assertEachEventOnce(List<Batch> batches) {
    List<String> written = batches.stream().flatMap(b -> b.events().stream()).map(e -> e.identity().key()).toList();
    assertThat(written).doesNotHaveDuplicates().hasSameSizeAs(events);
    assertThat(written).containsExactlyInAnyOrderElementsOf(ids(events));
  }

  private static Map<String, List<Batch>> byPartition(List<Batch> batches) {
    for (Batch b : batches) {
      assertThat(b.events().stream().map(HOUR_AND_SERVICE::apply).distinct()).as("one partition per batch").hasSize(1);
    }
    return batches.stream().collect(Collectors.groupingBy(Batch::key, TreeMap::new, Collectors.toList()));
  }

  private static List<Batch> run(
      org.apache.beam.sdk.transforms.PTransform<org.apache.beam.sdk.values.PBegin,
          org.apache.beam.sdk.values.PCollection<LogEvent>> input,
      EventBatching batching) {
    String store = UUID.randomUUID().toString();
    WRITES.put(store, new ArrayList<>());
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    p.apply(input).apply(new WriteInBatches("test", recording(store, batching), batching));
    p.run().waitUntilFinish();
    List<List<LogEvent>> writes = WRITES.remove(store);
    return writes.stream().map(w -> new Batch(batching.keyOf(w.get(0)), w)).toList();
  }

  /** Each write as one list, in write order, in a JVM-wide map found by name (Beam serializes the factory). */
  private static final Map<String, List<List<LogEvent>>> WRITES = new ConcurrentHashMap<>();

  private static SinkFactory<LogEvent> recording(String store, EventBatching batching) {
    return () -> new Sink<>() {
      @Override
      public void write(List<LogEvent> items) {
        List<List<LogEvent>> writes = WRITES.get(store);
        synchronized (writes) {
          writes.add(List.copyOf(items));
        }
      }

      @Override
      public void close() {}
    };
  }
}
