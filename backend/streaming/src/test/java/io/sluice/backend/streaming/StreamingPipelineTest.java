package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertEvaluator;
import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.AlertRuleSource;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.TestRecords;
import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaHeaders;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole graph on the DirectRunner with in-memory sinks, fed with collector-like records incl. resent batches,
 * once in each Kafka record format: the answers must be the same.
 */
@ParameterizedClass
@EnumSource(KafkaFormat.class)
class StreamingPipelineTest {
  private static final long START = Instant.parse("2026-01-05T10:00:00Z").toEpochMilli();
  private static final long ERROR_WINDOW_SECONDS = 120;
  private static final List<AlertRule> RULES =
      List.of(
          new AlertRule("new-errors", AlertRule.NEW_FINGERPRINT, "*", "*", 0, 0, 0),
          new AlertRule("error-rate", AlertRule.ERROR_RATE, "*", "*", ERROR_WINDOW_SECONDS, 0.12, 20));

  private static TestRecords.Generated generated;
  private static List<RawRecord> input;
  private static PipelineResult result;
  private static InMemorySinks.Store<MinuteAggregate> aggregates;
  private static InMemorySinks.Store<ErrorFingerprint> fingerprints;
  private static InMemorySinks.Store<Alert> alerts;
  private static InMemorySinks.Store<LogEvent> events;
  private static InMemorySinks.Store<LogEvent> events2;
  /** Lines in the input, resent copies included. */
  private static long lines;

  @Parameter
  KafkaFormat format;

  @BeforeParameterizedClassInvocation
  static void runPipeline(KafkaFormat format) throws Exception {
    generated = TestRecords.generate(11, 800, 20, START, 4 * 60_000L, 8, "sluice.logs", 1, format);
    lines = 0;
    for (RawRecord r : generated.records()) {
      lines += io.sluice.backend.common.LogEvents.decode(r).size();
    }
    input = new ArrayList<>(generated.records());
    RawRecord good = input.get(0);
    Map<String, byte[]> noSeq = new HashMap<>(good.headers());
    noSeq.remove(KafkaHeaders.SEQ);
    input.add(new RawRecord("sluice.logs", null, noSeq, good.value(), good.timestampMs()));
    Map<String, byte[]> otherIdentity = new HashMap<>(good.headers());
    otherIdentity.put(KafkaHeaders.SOURCE, KafkaHeaders.utf8("garbage-source"));
    input.add(new RawRecord("sluice.logs", null, otherIdentity, new byte[] {(byte) 0xff, 1, 2}, good.timestampMs()));
    input.add(new RawRecord("sluice.logs", null, otherIdentity, new byte[] {(byte) 0xff, 7}, good.timestampMs()));

    aggregates = InMemorySinks.create();
    fingerprints = InMemorySinks.create();
    alerts = InMemorySinks.create();
    events = InMemorySinks.create();
    events2 = InMemorySinks.create();
    List<AlertRule> rules = RULES;
    AlertRuleSource source = () -> rules;
    StreamingSinks sinks =
        StreamingSinks.builder()
            .aggregates(aggregates.factory())
            .fingerprints(fingerprints.factory())
            .alerts(alerts.factory())
            .rules(source)
            .addEvents(events.factory())
            .addEvents(events2.factory())
            .build();
    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    StreamingPipeline.expand(
        p.apply(Create.of(input).withCoder(RawRecordCoder.of())),
        StreamingConfig.builder().maxBatch(100).build(),
        sinks);
    result = p.run();
    result.waitUntilFinish();
  }

  @Test
  void minuteAggregatesEqualTheDistinctRecordsExactly() {
    // the sink upserts: a key's last write is its value; every write is a full value, so none may shrink
    Map<String, List<Long>> got = new TreeMap<>();
    for (MinuteAggregate a : aggregates.items()) {
      List<Long> previous =
          got.put(
              a.tenant() + "|" + a.service() + "|" + a.severity() + "|" + a.minuteStartMillis(),
              List.of(a.count(), a.bytes()));
      if (previous != null) {
        assertThat(a.count()).as("a later write of a running total").isGreaterThanOrEqualTo(previous.get(0));
      }
    }
    Truth truth = new Truth(input);
    assertThat(truth.distinct).hasSize(generated.distinct());
    assertThat(got).isEqualTo(truth.minuteCounts());
    assertThat(got.values().stream().mapToLong(v -> v.get(0)).sum()).isEqualTo(generated.distinct());
  }

  @Test
  void everyEventSinkGetsEachDistinctRecordOnce() {
    for (InMemorySinks.Store<LogEvent> store : List.of(events, events2)) {
      List<String> ids = store.items().stream().map(e -> e.identity().key()).toList();
      assertThat(ids).hasSize(generated.distinct()).doesNotHaveDuplicates();
    }
  }

  @Test
  void duplicatesAndUndecodableRecordsAreCounted() {
    assertThat(lines).isGreaterThan(generated.distinct());
    assertThat(counter(DedupFn.DUPLICATES)).isEqualTo(lines - generated.distinct());
    assertThat(counter(DecodeFn.DECODED)).isEqualTo(lines);
    assertThat(counter(DecodeFn.undecodableCounter("missing_header"))).isEqualTo(1);
    assertThat(counter(DecodeFn.undecodableCounter("bad_value"))).isEqualTo(2);
  }

  @Test
  void fingerprintsCarryTheirFirstSeenTimeAndPerMinuteCounts() {
    Truth truth = new Truth(input);
    Map<String, Long> firstSeen = new TreeMap<>();
    Map<String, Long> perMinute = new TreeMap<>();
    for (ErrorFingerprint f : fingerprints.items()) {
      String key = f.tenant() + "|" + f.service() + "|" + f.fingerprint();
      firstSeen.merge(key, f.firstSeenMillis(), Math::min);
      long minute = f.firstSeenMillis() - Math.floorMod(f.firstSeenMillis(), 60_000L);
      perMinute.put(key + "|" + minute, f.count()); // upserted: the last write per minute is its value
    }
    assertThat(firstSeen).isNotEmpty().isEqualTo(truth.firstSeen());
    assertThat(perMinute).isEqualTo(truth.fingerprintMinutes());
  }

  @Test
  void newFingerprintAlertsFireOncePerFingerprint() {
    Truth truth = new Truth(input);
    List<String> subjects =
        alerts.items().stream()
            .filter(a -> a.kind().equals(AlertRule.NEW_FINGERPRINT))
            .map(a -> a.tenant() + "|" + a.service() + "|" + a.subject())
            .toList();
    assertThat(subjects).doesNotHaveDuplicates();
    assertThat(new TreeSet<>(subjects)).isEqualTo(truth.firstSeen().keySet());
  }

  @Test
  void errorRateAlertsMatchTheRulesOverSlidingWindows() {
    // sliding 120 s windows every 60 s: each event falls in the windows starting at its minute and the one before
    Map<String, long[]> windows = new TreeMap<>();
    for (LogEvent e : new Truth(input).distinct) {
      for (long start = e.minuteStartMillis(); start > e.minuteStartMillis() - ERROR_WINDOW_SECONDS * 1000;
          start -= 60_000) {
        long[] c = windows.computeIfAbsent(
            e.tenant() + "\u001f" + e.service() + "\u001f" + (start + ERROR_WINDOW_SECONDS * 1000), k -> new long[2]);
        c[0] += e.severity().isError() ? 1 : 0;
        c[1]++;
      }
    }
    Set<String> expected = new TreeSet<>();
    windows.forEach(
        (k, c) -> {
          String[] p = k.split("\u001f");
          AlertEvaluator.errorRate(RULES, p[0], p[1], ERROR_WINDOW_SECONDS, Long.parseLong(p[2]), c[0], c[1])
              .forEach(a -> expected.add(a.id()));
        });
    Set<String> got =
        alerts.items().stream()
            .filter(a -> a.kind().equals(AlertRule.ERROR_RATE))
            .map(Alert::id)
            .collect(Collectors.toCollection(TreeSet::new));
    assertThat(expected).isNotEmpty();
    assertThat(got).isEqualTo(expected);
  }

  private static long counter(String name) {
    long sum = 0;
    for (MetricResult<Long> c : result.metrics()
        .queryMetrics(
            MetricsFilter.builder().addNameFilter(MetricNameFilter.named(DecodeFn.NAMESPACE, name)).build())
        .getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }
}
