package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RecordIdentity;
import io.sluice.backend.common.Severity;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.TestStream;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.jupiter.api.Test;

/** {@link DedupFn} alone on the DirectRunner, processing time driven by a {@link TestStream}: per-batch state. */
class DedupFnTest {
  private static final Duration TTL = Duration.standardHours(1);
  private static final Instant T0 = new Instant(java.time.Instant.parse("2031-06-01T12:00:00Z").toEpochMilli());
  private static final Queue<String> EMITTED = new ConcurrentLinkedQueue<>();

  @Test
  void perBatchStateDropsExactlyTheIndexesSeenWithinTheTtl() {
    EMITTED.clear();
    TestStream<KV<String, LogEvent>> stream =
        TestStream.create(KvCoder.of(StringUtf8Coder.of(), LogEventCoder.of()))
            // a batch split across two arrivals; a whole batch; a batch that will be resent after the TTL
            .addElements(first(batch("a", 1, 0, 5)), rest(batch("a", 1, 0, 5)))
            .addElements(first(batch("b", 1, 7, 10)), rest(batch("b", 1, 7, 10)))
            .addElements(first(batch("c", 1, 3, 6)), rest(batch("c", 1, 3, 6)))
            .addElements(first(batch("d", 2, 9, 4)), rest(batch("d", 2, 9, 4)))
            // indexes outside the bitset: negative, past the dense limit, the largest int
            .addElements(event("e", 1, 1, -1), event("e", 1, 1, SeenIndexes.DENSE_LIMIT),
                event("e", 1, 1, Integer.MAX_VALUE))
            .advanceProcessingTime(Duration.standardMinutes(10))
            .addElements(first(range("a", 1, 0, 5, 10)), rest(range("a", 1, 0, 5, 10))) // the rest of batch a
            .addElements(first(batch("b", 1, 7, 10)), rest(batch("b", 1, 7, 10))) // batch b resent whole
            .addElements(first(range("c", 1, 3, 3, 9)), rest(range("c", 1, 3, 3, 9))) // c: 3..5 again, 6..8 new
            .addElements(event("e", 1, 1, -1), event("e", 1, 1, SeenIndexes.DENSE_LIMIT),
                event("e", 1, 1, Integer.MAX_VALUE))
            // same source and seq, other epoch: another batch
            .addElements(first(batch("d", 3, 9, 4)), rest(batch("d", 3, 9, 4)))
            .advanceProcessingTime(Duration.standardMinutes(40))
            .addElements(first(batch("b", 1, 7, 10)), rest(batch("b", 1, 7, 10))) // b again, 50 min after: dropped
            .advanceProcessingTime(Duration.standardMinutes(20)) // 70 min: a, b, c, d/2, e forgotten
            .addElements(first(batch("d", 2, 9, 4)), rest(batch("d", 2, 9, 4))) // resent after the TTL: counts twice
            .addElements(first(batch("b", 1, 7, 10)), rest(batch("b", 1, 7, 10)))
            .advanceWatermarkToInfinity();

    PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(DirectRunner.class);
    Pipeline p = Pipeline.create(options);
    p.apply(stream)
        .apply(ParDo.of(new DedupFn(TTL)))
        .setCoder(LogEventCoder.of())
        .apply(ParDo.of(new Collect()));
    PipelineResult result = p.run();
    result.waitUntilFinish();

    List<String> expected = new ArrayList<>();
    keys(expected, "a", 1, 0, 0, 10); // all ten, in two arrivals
    keys(expected, "b", 1, 7, 0, 10); // once, then after the TTL once more
    keys(expected, "b", 1, 7, 0, 10);
    keys(expected, "c", 1, 3, 0, 9); // 0..5, then 6..8
    keys(expected, "d", 2, 9, 0, 4); // twice: the resend came after the TTL
    keys(expected, "d", 2, 9, 0, 4);
    keys(expected, "d", 3, 9, 0, 4);
    expected.addAll(List.of("e/1/1/-1", "e/1/1/" + SeenIndexes.DENSE_LIMIT, "e/1/1/" + Integer.MAX_VALUE));
    assertThat(new ArrayList<>(EMITTED)).containsExactlyInAnyOrderElementsOf(expected);
    // b resent twice within the TTL (20), c's overlap (3), e's three indexes once
    assertThat(counter(result, DedupFn.DUPLICATES)).isEqualTo(20 + 3 + 3);
  }

  @Test
  void seenIndexesRoundTripAndStaySmall() throws Exception {
    SeenIndexes s = SeenIndexes.EMPTY;
    for (int i = 0; i < 100; i++) {
      s = s.with(i);
    }
    assertThat(s.with(42)).isSameAs(s);
    assertThat(encode(s)).hasSize(1 + 2 * 8 + 1); // a 100-record batch: two words
    SeenIndexes mixed = s.with(-7).with(SeenIndexes.DENSE_LIMIT).with(Integer.MAX_VALUE).with(8191);
    assertThat(mixed.size()).isEqualTo(104);
    assertThat(s.size()).as("immutable").isEqualTo(100);
    for (int i : new int[] {-7, 0, 99, 8191, SeenIndexes.DENSE_LIMIT, Integer.MAX_VALUE}) {
      assertThat(mixed.contains(i)).as("contains %d", i).isTrue();
    }
    for (int i : new int[] {-1, 100, 8190, SeenIndexes.DENSE_LIMIT - 1, Integer.MIN_VALUE}) {
      assertThat(mixed.contains(i)).as("contains %d", i).isFalse();
    }
    byte[] bytes = encode(mixed);
    assertThat(SeenIndexes.Coder.of().decode(new ByteArrayInputStream(bytes))).isEqualTo(mixed);
    // one huge index does not grow the bitset
    assertThat(encode(SeenIndexes.EMPTY.with(Integer.MAX_VALUE))).hasSize(1 + 1 + 4);
  }

  private static byte[] encode(SeenIndexes s) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    SeenIndexes.Coder.of().encode(s, out);
    return out.toByteArray();
  }

  private static final class Collect extends DoFn<LogEvent, Void> {
    @ProcessElement
    public void process(@Element LogEvent e) {
      EMITTED.add(e.identity().key());
    }
  }

  private static long counter(PipelineResult result, String name) {
    long sum = 0;
    MetricsFilter filter =
        MetricsFilter.builder().addNameFilter(MetricNameFilter.named(DecodeFn.NAMESPACE, name)).build();
    for (MetricResult<Long> c : result.metrics().queryMetrics(filter).getCounters()) {
      sum += c.getAttempted();
    }
    return sum;
  }

  private static void keys(List<String> out, String source, long epoch, long seq, int from, int to) {
    IntStream.range(from, to).forEach(i -> out.add(new RecordIdentity(source, epoch, seq, i).key()));
  }

  private static List<KV<String, LogEvent>> batch(String source, long epoch, long seq, int size) {
    return range(source, epoch, seq, 0, size);
  }

  private static List<KV<String, LogEvent>> range(String source, long epoch, long seq, int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> event(source, epoch, seq, i)).toList();
  }

  private static KV<String, LogEvent> first(List<KV<String, LogEvent>> events) {
    return events.get(0);
  }

  @SuppressWarnings("unchecked")
  private static KV<String, LogEvent>[] rest(List<KV<String, LogEvent>> events) {
    return events.subList(1, events.size()).toArray(new KV[0]);
  }

  private static KV<String, LogEvent> event(String source, long epoch, long seq, int idx) {
    RecordIdentity id = new RecordIdentity(source, epoch, seq, idx);
    LogEvent e =
        new LogEvent(id, "t", "sluice.logs", T0.getMillis() * 1_000_000L, "svc", "", Severity.INFO, "INFO",
            "line " + idx, "", "l", "main", "", "", "", "", "", "", Map.of(), 10);
    return KV.of(id.batchKey(), e);
  }
}
