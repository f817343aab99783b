package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestRecords;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.values.TimestampedValue;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Late data through the whole graph on the DirectRunner, with event time, the watermark and processing time driven
 * by a {@link TestStream}, so the hours a backlog spends in a spool pass in no time and the outcome never depends on
 * the machine's speed or clock. Each element's timestamp is its Kafka timestamp (the collector's send time), as
 * KafkaIO gives it; the job moves each record back to its own event time.
 */
class LateDataTest {
  private static final String TOPIC = "sluice.logs";
  // any instant: the stream's clock is the test's
  private static final long NOW = java.time.Instant.parse("2031-06-01T12:00:00Z").toEpochMilli();
  private static final long HOUR = 3_600_000L;

  @Test
  void aBacklogTwoHoursOldArrivingAfterCurrentDataLandsInItsOwnMinutesAndCorrectsWrittenRows() {
    List<RawRecord> current = TestRecords.generate(1, 400, 20, NOW - 5 * 60_000L, 5 * 60_000L, 0, TOPIC, 1).records();
    List<RawRecord> backlog = TestRecords.generate(2, 400, 20, NOW - 2 * HOUR, 5 * 60_000L, 0, TOPIC, 2).records();
    // stragglers for the current minutes from a third shipper: their rows were already written when they arrive
    List<RawRecord> stragglers =
        TestRecords.generate(3, 100, 20, NOW - 5 * 60_000L, 5 * 60_000L, 0, TOPIC, 3).records();

    TestStream<RawRecord> stream =
        add(
            add(TestStream.create(RawRecordCoder.of()), live(current))
                .advanceWatermarkTo(new Instant(NOW + 10_000))
                .advanceProcessingTime(Duration.standardSeconds(5)) // the current minutes are written
                .advanceWatermarkTo(new Instant(NOW + 2 * HOUR)) // the job runs on; one shipper's spool waits
                .advanceProcessingTime(Duration.standardHours(2)),
            stamped(backlog, NOW + 2 * HOUR),
            stamped(stragglers, NOW + 2 * HOUR))
            .advanceProcessingTime(Duration.standardSeconds(5))
            .advanceWatermarkToInfinity();
    Run run = run(stream, StreamingConfig.builder().build());

    List<RawRecord> all = new ArrayList<>(current);
    all.addAll(backlog);
    all.addAll(stragglers);
    assertThat(run.lastWrites()).isEqualTo(new Truth(all).minuteCounts());
    // the current minutes were written before the stragglers came, then rewritten with the corrected totals
    Map<String, List<Long>> beforeBacklog = new Truth(current).minuteCounts();
    Map<String, List<Long>> afterwards = new Truth(all).minuteCounts();
    long corrected =
        beforeBacklog.keySet().stream().filter(k -> !beforeBacklog.get(k).equals(afterwards.get(k))).count();
    assertThat(corrected).as("current minutes the stragglers changed").isPositive();
    assertThat(run.counter("aggregates_corrected")).isGreaterThanOrEqualTo(corrected);
    assertThat(run.writesOf(beforeBacklog.keySet())).containsAll(beforeBacklog.entrySet());
    // a record is late when it reached Kafka over a minute after it happened: the backlog and the stragglers
    assertThat(run.counter(DecodeFn.LATE)).isEqualTo(backlog.size() + stragglers.size());
    assertThat(run.counter("droppedDueToLateness")).isZero();
  }

  @Test
  void resentBatchesOlderThanTheDedupTtlCountTwiceWhileYoungerOnesCountOnce() throws Exception {
    TestRecords.Generated generated = TestRecords.generate(4, 300, 20, NOW - 60_000L, 60_000L, 0, TOPIC, 1);
    List<RawRecord> first = generated.records();
    List<RawRecord> resentSoon = first.subList(0, 20); // one whole batch, resent 30 minutes later
    List<RawRecord> resentLate = first.subList(20, 40); // the next batch, resent after the 1 h TTL
    TestStream<RawRecord> stream =
        add(
            add(
                add(TestStream.create(RawRecordCoder.of()), stamped(first, NOW))
                    .advanceProcessingTime(Duration.standardMinutes(30)),
                stamped(resentSoon, NOW + HOUR / 2))
                .advanceProcessingTime(Duration.standardMinutes(45)), // 75 min after the first copies
            stamped(resentLate, NOW + 75 * 60_000L))
            .advanceProcessingTime(Duration.standardSeconds(5))
            .advanceWatermarkToInfinity();
    Run run = run(stream, StreamingConfig.builder().dedupTtl(java.time.Duration.ofHours(1)).build());

    // the documented bound: a copy arriving after the TTL is a new record to the job, in every output
    List<RawRecord> countedOnce = new ArrayList<>(first);
    Map<String, List<Long>> expected = new Truth(countedOnce).minuteCounts();
    for (RawRecord r : resentLate) {
      LogEvent e = io.sluice.backend.common.LogEvents.decode(r).get(0); // record format: one line
      List<Long> v = expected.get(e.tenant() + "|" + e.service() + "|" + e.severity() + "|" + e.minuteStartMillis());
      expected.put(
          e.tenant() + "|" + e.service() + "|" + e.severity() + "|" + e.minuteStartMillis(),
          List.of(v.get(0) + 1, v.get(1) + e.sizeBytes()));
    }
    assertThat(run.lastWrites()).isEqualTo(expected);
    assertThat(run.counter(DedupFn.DUPLICATES)).isEqualTo(resentSoon.size());
  }

  @Test
  void aTotalForgottenAfterItsTtlRestartsFromZero() {
    List<RawRecord> records = TestRecords.generate(5, 200, 20, NOW - 60_000L, 60_000L, 0, TOPIC, 1).records();
    List<RawRecord> early = records.subList(0, 180);
    List<RawRecord> afterTtl = records.subList(180, 200);
    TestStream<RawRecord> stream =
        add(
            add(TestStream.create(RawRecordCoder.of()), stamped(early, NOW))
                .advanceProcessingTime(Duration.standardSeconds(5))
                .advanceProcessingTime(Duration.standardHours(3)), // past --totals-ttl PT2H
            stamped(afterTtl, NOW + 3 * HOUR))
            .advanceProcessingTime(Duration.standardSeconds(5))
            .advanceWatermarkToInfinity();
    Run run =
        run(stream, StreamingConfig.builder().dedupTtl(java.time.Duration.ofHours(1))
            .totalsTtl(java.time.Duration.ofHours(2)).build());

    // the documented lateness bound, as it behaves: the rows the late records touch hold only the late records
    assertThat(run.counter("aggregates_expired")).isEqualTo(new Truth(early).minuteCounts().size());
    Map<String, List<Long>> expected = new TreeMap<>(new Truth(early).minuteCounts());
    expected.putAll(new Truth(afterTtl).minuteCounts());
    assertThat(run.lastWrites()).isEqualTo(expected);
    assertThat(run.lastWrites()).isNotEqualTo(new Truth(records).minuteCounts());
  }

  private static List<TimestampedValue<RawRecord>> stamped(List<RawRecord> records, long kafkaTimestamp) {
    List<TimestampedValue<RawRecord>> out = new ArrayList<>(records.size());
    for (RawRecord r : records) {
      out.add(
          TimestampedValue.of(
              new RawRecord(r.topic(), r.key(), r.headers(), r.value(), kafkaTimestamp), new Instant(kafkaTimestamp)));
    }
    return out;
  }

  /** Each record sent a second after it happened (its generated Kafka timestamp is its event time). */
  private static List<TimestampedValue<RawRecord>> live(List<RawRecord> records) {
    List<TimestampedValue<RawRecord>> out = new ArrayList<>(records.size());
    for (RawRecord r : records) {
      long sent = r.timestampMs() + 1_000;
      out.add(TimestampedValue.of(new RawRecord(r.topic(), r.key(), r.headers(), r.value(), sent), new Instant(sent)));
    }
    return out;
  }

  /** {@code builder.addElements} over lists. */
  @SafeVarargs
  private static TestStream.Builder<RawRecord> add(
      TestStream.Builder<RawRecord> builder, List<TimestampedValue<RawRecord>>... parts) {
    List<TimestampedValue<RawRecord>> all = new ArrayList<>();
    for (List<TimestampedValue<RawRecord>> p : parts) {
      all.addAll(p);
    }
    @SuppressWarnings("unchecked")
    TimestampedValue<RawRecord>[] rest = all.subList(1, all.size()).toArray(new TimestampedValue[0]);
    return builder.addElements(all.get(0), rest);
  }

  private static Run run(TestStream<RawRecord> stream, StreamingConfig config) {
    InMemorySinks.Store<MinuteAggregate> aggregates = InMemorySinks.create();
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    StreamingPipeline.expand(
        p.apply(stream), config, StreamingSinks.builder().aggregates(aggregates.factory()).build());
    PipelineResult result = p.run();
    result.waitUntilFinish();
    return new Run(result, aggregates.items());
  }

  /** A finished run: its metrics and every aggregate write in order. */
  private record Run(PipelineResult result, List<MinuteAggregate> writes) {
    /** tenant|service|severity|minute → {count, bytes} of the last write per row: what an upserting store holds. */
    Map<String, List<Long>> lastWrites() {
      Map<String, List<Long>> out = new TreeMap<>();
      for (MinuteAggregate a : writes) {
        out.put(key(a), List.of(a.count(), a.bytes()));
      }
      return out;
    }

    /** Every (row, value) written for the given rows, in order. */
    List<Map.Entry<String, List<Long>>> writesOf(java.util.Set<String> rows) {
      List<Map.Entry<String, List<Long>>> out = new ArrayList<>();
      for (MinuteAggregate a : writes) {
        if (rows.contains(key(a))) {
          out.add(Map.entry(key(a), List.of(a.count(), a.bytes())));
        }
      }
      return out;
    }

    long counter(String name) {
      long sum = 0;
      MetricsFilter.Builder filter = MetricsFilter.builder();
      filter.addNameFilter(
          name.equals("droppedDueToLateness")
              ? MetricNameFilter.named("org.apache.beam.runners.core.LateDataDroppingDoFnRunner", name)
              : MetricNameFilter.named(DecodeFn.NAMESPACE, name));
      for (MetricResult<Long> c : result.metrics().queryMetrics(filter.build()).getCounters()) {
        sum += c.getAttempted();
      }
      return sum;
    }

    private static String key(MinuteAggregate a) {
      return a.tenant() + "|" + a.service() + "|" + a.severity() + "|" + a.minuteStartMillis();
    }
  }
}
