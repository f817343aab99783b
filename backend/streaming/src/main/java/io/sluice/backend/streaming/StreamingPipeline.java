package io.sluice.backend.streaming;

import io.sluice.backend.common.Alert;
import io.sluice.backend.common.AlertRule;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.SinkFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.io.kafka.KafkaIO;
import org.apache.beam.sdk.io.kafka.KafkaRecord;
import org.apache.beam.sdk.options.ExperimentalOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.AfterPane;
import org.apache.beam.sdk.transforms.windowing.AfterProcessingTime;
import org.apache.beam.sdk.transforms.windowing.AfterWatermark;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Repeatedly;
import org.apache.beam.sdk.transforms.windowing.SlidingWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.TypeDescriptor;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.joda.time.Duration;

/**
 * The streaming job's graph:
 *
 * <pre>
 * Kafka ─▶ decode (undecodable counted, skipped) ─▶ de-duplicate by record identity ─┬▶ event sinks (batched)
 *   ├▶ running totals per tenant/service/severity/minute ─▶ aggregate sink (full value, upsert)
 *   ├▶ running totals per tenant/service/fingerprint/minute ─▶ fingerprint sink ─▶ first per fingerprint ─▶ alerts
 *   └▶ sliding windows per rule window length, per tenant/service ─▶ error-rate alerts ─▶ alert sink
 * </pre>
 *
 * Aggregates and fingerprints are keyed by their minute in the global window ({@link RunningTotalFn}), not
 * event-time windows: they never depend on the watermark, so a record counts in its own minute however late it
 * arrives (within {@code totalsTtl} of its minute's last change), and each emission is the key's full value, so a
 * sink that upserts stays exact and a replay rewrites the same rows. Error-rate alerts need a complete window to be
 * judged, so they keep event-time sliding windows: they fire when the watermark passes the window's end and again
 * (accumulated) for records up to {@code allowedLateness} late.
 */
public final class StreamingPipeline {
  private static final Duration MINUTE = Duration.standardMinutes(1);

  private StreamingPipeline() {}

  /** Builds the whole job on {@code pipeline}: Kafka in, every configured sink out. */
  public static void build(Pipeline pipeline, StreamingConfig config, StreamingSinks sinks) {
    config.requireKafka();
    // KafkaIO's legacy reader (its default on every runner but Dataflow, and whenever maxNumRecords is set) calls
    // Consumer.poll(long), which kafka-clients 4.x removed: its poll thread dies with NoSuchMethodError and the read
    // stalls silently (seen here). The splittable-DoFn reader polls with a Duration.
    ExperimentalOptions.addExperiment(pipeline.getOptions().as(ExperimentalOptions.class), "use_sdf_read");
    PCollection<RawRecord> raw = pipeline.apply("ReadKafka", readKafka(config));
    expand(raw, config, sinks);
  }

  /** Kafka records as {@link RawRecord}s, unbounded (needs the {@code use_sdf_read} experiment, see {@link #build}). */
  public static PTransform<PBegin, PCollection<RawRecord>> readKafka(StreamingConfig config) {
    return new PTransform<>() {
      @Override
      public PCollection<RawRecord> expand(PBegin begin) {
        KafkaIO.Read<byte[], byte[]> read =
            KafkaIO.<byte[], byte[]>read()
                .withBootstrapServers(config.bootstrapServers())
                .withTopics(config.topics())
                .withKeyDeserializer(ByteArrayDeserializer.class)
                .withValueDeserializer(ByteArrayDeserializer.class)
                .withConsumerConfigUpdates(
                    Map.of("group.id", config.groupId(), "auto.offset.reset", "earliest"))
                .withCreateTime(Duration.millis(config.watermarkDelay().toMillis()))
                .commitOffsetsInFinalize();
        return begin
            .apply(read)
            .apply("ToRawRecord", ParDo.of(new ToRawRecordFn()))
            .setCoder(RawRecordCoder.of());
      }
    };
  }

  /** The job from decoded input on: what unit tests drive with in-memory records and sinks. */
  public static void expand(PCollection<RawRecord> raw, StreamingConfig config, StreamingSinks sinks) {
    PCollection<LogEvent> decoded =
        raw.apply("Decode", ParDo.of(new DecodeFn())).setCoder(LogEventCoder.of());
    PCollection<LogEvent> events =
        decoded
            .apply(
                "KeyByBatch",
                MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(LogEvent.class)))
                    .via(e -> KV.of(e.identity().batchKey(), e)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), LogEventCoder.of()))
            .apply("Dedup", ParDo.of(new DedupFn(Duration.millis(config.dedupTtl().toMillis()))))
            .setCoder(LogEventCoder.of());

    int i = 0;
    for (SinkFactory<LogEvent> factory : sinks.events()) {
      events.apply("WriteEvents" + i, ParDo.of(new WriteToSinkFn<>("events_" + i, factory, config.maxBatch())));
      i++;
    }
    for (StreamingSinks.BatchedEvents batched : sinks.batchedEvents()) {
      events.apply("WriteEventBatches" + i, new WriteInBatches("events_" + i, batched.factory(), batched.batching()));
      i++;
    }

    sinks.aggregates().ifPresent(
        factory -> aggregates(events, config)
            .apply("WriteAggregates", ParDo.of(new WriteToSinkFn<>("aggregates", factory, config.maxBatch()))));

    boolean alerting = sinks.rules().isPresent() && sinks.alerts().isPresent();
    if (sinks.fingerprints().isEmpty() && !alerting) {
      return;
    }
    PCollection<ErrorFingerprint> fingerprints = fingerprints(events, config);
    sinks.fingerprints().ifPresent(
        factory -> fingerprints.apply(
            "WriteFingerprints", ParDo.of(new WriteToSinkFn<>("fingerprints", factory, config.maxBatch()))));
    if (!alerting) {
      return;
    }
    List<PCollection<Alert>> alerts = new ArrayList<>();
    alerts.add(
        fingerprints
            .apply("FingerprintsGlobal", everyElementGlobally())
            .apply(
                "KeyByFingerprint",
                MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(ErrorFingerprint.class)))
                    .via(f -> KV.of(Keys.join(f.tenant(), f.service(), f.fingerprint()), f)))
            .setCoder(KvCoder.of(StringUtf8Coder.of(), ErrorFingerprintCoder.of()))
            .apply("NewFingerprints", ParDo.of(new NewFingerprintFn(sinks.rules().get(), config.ruleReload())))
            .setCoder(SerializableCoder.of(Alert.class)));
    for (long seconds : errorRateWindows(sinks)) {
      alerts.add(errorRates(events, seconds, sinks, config));
    }
    PCollectionList.of(alerts)
        .apply("AllAlerts", Flatten.pCollections())
        .apply(
            "WriteAlerts",
            ParDo.of(new WriteToSinkFn<>("alerts", sinks.alerts().get(), config.maxBatch())));
  }

  /**
   * Per tenant/service/severity/minute: the running (count, bytes) of the distinct records, emitted as the full value
   * whenever it changed (see {@link RunningTotalFn}), whatever the records' lateness.
   */
  private static PCollection<MinuteAggregate> aggregates(PCollection<LogEvent> events, StreamingConfig config) {
    return events
        .apply(
            "KeyByServiceSeverityMinute",
            MapElements.into(
                TypeDescriptors.kvs(
                    TypeDescriptors.strings(),
                    TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs())))
                .via(
                    e -> KV.of(
                        Keys.join(e.tenant(), e.service(), e.severity().name(), Long.toString(e.minuteStartMillis())),
                        KV.of(1L, (long) e.sizeBytes()))))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
        .apply(
            "MinuteTotals",
            ParDo.of(
                new RunningTotalFn<>(
                    "aggregates", new SumPairs(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of()),
                    flushDelay(config), millis(config.totalsTtl()))))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of())))
        .apply("ToAggregate", ParDo.of(new ToAggregateFn()))
        .setCoder(SerializableCoder.of(MinuteAggregate.class));
  }

  /** Per tenant/service/fingerprint/minute: the running occurrences and the earliest example, as for aggregates. */
  private static PCollection<ErrorFingerprint> fingerprints(PCollection<LogEvent> events, StreamingConfig config) {
    return events
        .apply("WithFingerprint", Filter.by(e -> !e.fingerprint().isEmpty()))
        .apply(
            "KeyByFingerprintMinute",
            MapElements.into(
                TypeDescriptors.kvs(TypeDescriptors.strings(), TypeDescriptor.of(ErrorFingerprint.class)))
                .via(
                    e -> KV.of(
                        Keys.join(e.tenant(), e.service(), e.fingerprint(), Long.toString(e.minuteStartMillis())),
                        ErrorFingerprint.of(e))))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ErrorFingerprintCoder.of()))
        .apply(
            "FingerprintTotals",
            ParDo.of(
                new RunningTotalFn<>(
                    "fingerprints", new MergeFingerprints(), ErrorFingerprintCoder.of(),
                    flushDelay(config), millis(config.totalsTtl()))))
        .setCoder(KvCoder.of(StringUtf8Coder.of(), ErrorFingerprintCoder.of()))
        .apply("FingerprintValues", ParDo.of(new NonEmptyValuesFn<ErrorFingerprint>()))
        .setCoder(ErrorFingerprintCoder.of());
  }

  /** The totals' flush delay, or null (emitted once at the end) for a bounded input. */
  private static Duration flushDelay(StreamingConfig config) {
    return config.boundedInput() ? null : millis(config.totalsFlush());
  }

  private static Duration millis(java.time.Duration d) {
    return Duration.millis(d.toMillis());
  }

  /**
   * Error rates per tenant/service over sliding windows of {@code seconds} every minute (or every {@code seconds} if
   * shorter). Streaming: event-time windows judged when the watermark passes their end, re-judged (accumulated) for
   * records up to {@code allowedLateness} late. Bounded input: running totals keyed by window end, judged once when
   * the input ends (complete by construction, whatever the watermark did).
   */
  private static PCollection<Alert> errorRates(
      PCollection<LogEvent> events, long seconds, StreamingSinks sinks, StreamingConfig config) {
    Duration size = Duration.standardSeconds(seconds);
    Duration period = size.isShorterThan(MINUTE) ? size : MINUTE;
    String name = "ErrorRate" + seconds + "s";
    KvCoder<String, KV<Long, Long>> coder =
        KvCoder.of(StringUtf8Coder.of(), KvCoder.of(VarLongCoder.of(), VarLongCoder.of()));
    PCollection<KV<String, KV<Long, Long>>> counts;
    if (config.boundedInput()) {
      long sizeMs = size.getMillis();
      long periodMs = period.getMillis();
      counts =
          events
              .apply(
                  name + "KeyByWindowEnd",
                  ParDo.of(
                      new DoFn<LogEvent, KV<String, KV<Long, Long>>>() {
                        @ProcessElement
                        public void process(@Element LogEvent e, OutputReceiver<KV<String, KV<Long, Long>>> out) {
                          KV<Long, Long> one = KV.of(e.severity().isError() ? 1L : 0L, 1L);
                          // the sliding windows [start, start + size) holding this event, as SlidingWindows assigns
                          long t = e.timeMillis();
                          long lastStart = t - Math.floorMod(t, periodMs);
                          for (long start = lastStart; start > t - sizeMs; start -= periodMs) {
                            out.output(KV.of(Keys.join(e.tenant(), e.service(), Long.toString(start + sizeMs)), one));
                          }
                        }
                      }))
              .setCoder(coder)
              .apply(
                  name + "Totals",
                  ParDo.of(
                      new RunningTotalFn<>(
                          "error_rate_" + seconds + "s", new SumPairs(),
                          KvCoder.of(VarLongCoder.of(), VarLongCoder.of()),
                          null, millis(config.totalsTtl()))))
              .setCoder(coder);
    } else {
      counts =
          events
              .apply(
                  name + "Windows",
                  Window.<LogEvent>into(SlidingWindows.of(size).every(period))
                      .triggering(
                          AfterWatermark.pastEndOfWindow()
                              .withLateFirings(
                                  AfterProcessingTime.pastFirstElementInPane()
                                      .plusDelayOf(millis(config.totalsFlush()))))
                      .withAllowedLateness(millis(config.allowedLateness()))
                      .withOnTimeBehavior(Window.OnTimeBehavior.FIRE_IF_NON_EMPTY)
                      .accumulatingFiredPanes())
              .apply(
                  name + "Key",
                  MapElements.into(
                      TypeDescriptors.kvs(
                          TypeDescriptors.strings(),
                          TypeDescriptors.kvs(TypeDescriptors.longs(), TypeDescriptors.longs())))
                      .via(e -> KV.of(Keys.join(e.tenant(), e.service()), KV.of(e.severity().isError() ? 1L : 0L, 1L))))
              .setCoder(coder)
              .apply(name + "Count", Combine.perKey(new SumPairs()));
    }
    return counts
        .apply(name + "Evaluate", ParDo.of(new ErrorRateFn(sinks.rules().get(), config.ruleReload(), seconds)))
        .setCoder(SerializableCoder.of(Alert.class))
        .apply(name + "Global", everyElementGlobally());
  }

  /**
   * The distinct error-rate window lengths, read once from the rules when the graph is built: windows are part of
   * the graph, so a rule with a new window length takes effect when the job is restarted (thresholds and scopes
   * reload while it runs).
   */
  static List<Long> errorRateWindows(StreamingSinks sinks) {
    TreeSet<Long> lengths = new TreeSet<>();
    try {
      for (AlertRule rule : sinks.rules().get().load()) {
        if (AlertRule.ERROR_RATE.equals(rule.kind()) && rule.windowSeconds() > 0) {
          lengths.add(rule.windowSeconds());
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(
          "could not load the alert rules to size the error-rate windows: " + e.getMessage()
              + " (check the rule source, or start without --rules)",
          e);
    }
    return List.copyOf(lengths);
  }

  /** Back to the global window, passing each element on at once (alerts and state need no further grouping). */
  private static <T> Window<T> everyElementGlobally() {
    return Window.<T>into(new GlobalWindows())
        .triggering(Repeatedly.forever(AfterPane.elementCountAtLeast(1)))
        .discardingFiredPanes();
  }

  /**
   * The values of a keyed combine, without the nulls a {@link Combine.BinaryCombineFn} yields for a pane with no
   * input (the Flink runner emits such panes; the DirectRunner does not).
   */
  static final class NonEmptyValuesFn<V> extends DoFn<KV<String, V>, V> {
    @ProcessElement
    public void process(@Element KV<String, V> kv, OutputReceiver<V> out) {
      if (kv.getValue() != null) {
        out.output(kv.getValue());
      }
    }
  }

  /** Element-wise sum of (a, b) pairs: (count, bytes) or (errors, total). */
  static final class SumPairs extends Combine.BinaryCombineFn<KV<Long, Long>> {
    @Override
    public KV<Long, Long> identity() {
      return KV.of(0L, 0L);
    }

    @Override
    public KV<Long, Long> apply(KV<Long, Long> left, KV<Long, Long> right) {
      return KV.of(left.getKey() + right.getKey(), left.getValue() + right.getValue());
    }
  }

  /** The earliest occurrence (its time and example) with the summed count. */
  static final class MergeFingerprints extends Combine.BinaryCombineFn<ErrorFingerprint> {
    @Override
    public ErrorFingerprint apply(ErrorFingerprint a, ErrorFingerprint b) {
      ErrorFingerprint first = a.firstSeenMillis() <= b.firstSeenMillis() ? a : b;
      return new ErrorFingerprint(
          first.tenant(), first.service(), first.fingerprint(), first.exceptionType(), first.topFrame(),
          first.template(), first.exampleMessage(), first.firstSeenMillis(), a.count() + b.count());
    }
  }

  /** (tenant␟service␟severity␟minute, (count, bytes)) → {@link MinuteAggregate}. */
  static final class ToAggregateFn extends DoFn<KV<String, KV<Long, Long>>, MinuteAggregate> {
    @ProcessElement
    public void process(@Element KV<String, KV<Long, Long>> e, OutputReceiver<MinuteAggregate> out) {
      if (e.getValue() == null || e.getValue().getKey() == 0) {
        return;
      }
      String[] k = Keys.split(e.getKey());
      out.output(
          new MinuteAggregate(
              k[0], k[1], io.sluice.backend.common.Severity.valueOf(k[2]), Long.parseLong(k[3]),
              e.getValue().getKey(), e.getValue().getValue()));
    }
  }

  static final class ToRawRecordFn extends DoFn<KafkaRecord<byte[], byte[]>, RawRecord> {
    @ProcessElement
    public void process(@Element KafkaRecord<byte[], byte[]> r, OutputReceiver<RawRecord> out) {
      Map<String, byte[]> headers = new HashMap<>();
      if (r.getHeaders() != null) {
        for (Header h : r.getHeaders()) {
          headers.put(h.key(), h.value()); // last value per name wins, as RawRecord documents
        }
      }
      out.output(
          new RawRecord(r.getTopic(), r.getKV().getKey(), headers, r.getKV().getValue(), r.getTimestamp()));
    }
  }
}
