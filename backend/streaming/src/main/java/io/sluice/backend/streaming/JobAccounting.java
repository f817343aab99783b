package io.sluice.backend.streaming;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;

/**
 * The books of a finished run: what it read, decoded, dropped as duplicates and wrote, from the job's Beam counters
 * (namespace {@code sluice.streaming}), and the identities that must hold when every record read was processed. A
 * bounded run that breaks one exits non-zero instead of reporting success over a partial output.
 *
 * <p>Identities (each checked for the outputs the graph has):
 *
 * <ul>
 *   <li>{@code read} (records the bounded read took from Kafka) = {@code decoded} + every {@code undecodable_*};
 *   <li>each event output's {@code written_events_<i>} = {@code decoded} − {@code duplicates_dropped} (every
 *       distinct record once);
 *   <li>{@code aggregates_input} and {@code fingerprints_input} see every distinct record (fingerprints: those with
 *       an error shape, so at most that many);
 *   <li>{@code written_aggregates} = {@code aggregates_emitted}, {@code written_fingerprints} =
 *       {@code fingerprints_emitted};
 *   <li>no record dropped as late anywhere (Beam's {@code droppedDueToLateness}, any namespace).
 * </ul>
 */
public final class JobAccounting {
  private final Map<String, Long> counters;
  private final long droppedLate;

  private JobAccounting(Map<String, Long> counters, long droppedLate) {
    this.counters = counters;
    this.droppedLate = droppedLate;
  }

  /** The job's counters (attempted values: a runner may not support committed ones), summed over steps. */
  public static JobAccounting of(MetricQueryResults metrics) {
    Map<String, Long> counters = new TreeMap<>();
    long late = 0;
    for (MetricResult<Long> c : metrics.getCounters()) {
      long value = c.getAttempted() == null ? 0 : c.getAttempted();
      if (DecodeFn.NAMESPACE.equals(c.getName().getNamespace())) {
        counters.merge(c.getName().getName(), value, Long::sum);
      } else if (c.getName().getName().equals("droppedDueToLateness")) {
        late += value;
      }
    }
    return new JobAccounting(counters, late);
  }

  /** Books from counters already summed (tests). */
  static JobAccounting of(Map<String, Long> counters, long droppedLate) {
    return new JobAccounting(new TreeMap<>(counters), droppedLate);
  }

  /** The counter's value, 0 if the run never incremented it. */
  public long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  /** Every counter of the job's namespace, for the run's summary line. */
  public Map<String, Long> counters() {
    return Map.copyOf(counters);
  }

  /** Records that reached the de-duplicated stream: decoded less the duplicates dropped. */
  public long distinct() {
    return counter(DecodeFn.DECODED) - counter(DedupFn.DUPLICATES);
  }

  /** {@link #problems(int, boolean, boolean)} for the outputs {@code sinks} configures. */
  public List<String> problems(StreamingSinks sinks) {
    return problems(
        sinks.events().size() + sinks.batchedEvents().size(), sinks.aggregates().isPresent(),
        sinks.fingerprints().isPresent());
  }

  /**
   * The identities this run breaks, each as a sentence naming the counters; empty when the books balance.
   *
   * @param eventSinks how many event outputs the graph has, batched or not (counters {@code written_events_<i>})
   * @param aggregateSink whether per-minute aggregates are written
   * @param fingerprintSink whether fingerprint totals are written (they may also be computed for alerts only)
   */
  public List<String> problems(int eventSinks, boolean aggregateSink, boolean fingerprintSink) {
    List<String> problems = new ArrayList<>();
    long undecodable =
        counters.entrySet().stream()
            .filter(e -> e.getKey().startsWith("undecodable_"))
            .mapToLong(Map.Entry::getValue)
            .sum();
    // Kafka records, not lines: a batch-format record holds many lines (counted in DecodeFn.DECODED)
    long decodedRecords = counter(DecodeFn.DECODED_KAFKA_RECORDS);
    if (counters.containsKey(BOUNDED_READ) && counter(BOUNDED_READ) != decodedRecords + undecodable) {
      problems.add("read " + counter(BOUNDED_READ) + " Kafka records but decoded " + decodedRecords
          + " and found " + undecodable + " undecodable");
    }
    long distinct = distinct();
    for (int i = 0; i < eventSinks; i++) {
      String name = "written_events_" + i;
      if (counter(name) != distinct) {
        problems.add(name + " is " + counter(name) + " but " + distinct + " distinct records were decoded");
      }
    }
    String aggregatesInput = "aggregates_" + RunningTotalFn.INPUT;
    if (aggregateSink && counter(aggregatesInput) != distinct) {
      problems.add("the per-minute totals took " + counter(aggregatesInput) + " records of " + distinct + " distinct");
    }
    String fingerprintsInput = "fingerprints_" + RunningTotalFn.INPUT;
    if (counter(fingerprintsInput) > distinct) {
      problems.add("the fingerprint totals took " + counter(fingerprintsInput) + " records, more than the "
          + distinct + " distinct");
    }
    for (String kind : List.of("aggregates", "fingerprints")) {
      boolean written = kind.equals("aggregates") ? aggregateSink : fingerprintSink;
      if (written && counter("written_" + kind) != counter(kind + "_emitted")) {
        problems.add("written_" + kind + " is " + counter("written_" + kind) + " but " + counter(kind + "_emitted")
            + " totals were emitted");
      }
    }
    if (droppedLate > 0) {
      problems.add(droppedLate + " records were dropped as late (droppedDueToLateness)");
    }
    return problems;
  }

  /** The counter a bounded read increments per record it takes from Kafka. */
  public static final String BOUNDED_READ = "read";

  @Override
  public String toString() {
    return counters + (droppedLate > 0 ? " droppedDueToLateness=" + droppedLate : "");
  }
}
