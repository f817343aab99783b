package io.sluice.bench.e2e;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One measured run of one setup. Rates are over the run's own window: from the first intended send to the last
 * Kafka arrival (to the file being closed, for the file floor). CPU is the whole process's (broker, collector,
 * receiver, load threads — everything is in this JVM) minus the harness's consumer thread, per million delivered
 * records. Latency is from the intended send time to the consumer's poll; -1 where not measured. {@code kafkaFormat}
 * is the collector's Kafka record format ({@code batch} or {@code record}), "-" for a setup without the collector.
 */
public record RunResult(String scenario, int threads, int recordBytes, String rate, double offeredPerSecond,
    long sent, long delivered, long duplicates, long lost, long droppedBySetup, double seconds,
    double recordsPerSecond, double mibPerSecond, double cpuSecondsPerMillion, double callerNanosPerRecord,
    double p50Ms, double p99Ms, double p999Ms, double maxMs, String kafkaFormat) {

  /** Every field, in report order; the smoke test checks that all are present. */
  public static final List<String> FIELDS = List.of("scenario", "threads", "recordBytes", "rate",
      "offeredPerSecond", "sent", "delivered", "duplicates", "lost", "droppedBySetup", "seconds", "recordsPerSecond",
      "mibPerSecond", "cpuSecondsPerMillion", "callerNanosPerRecord", "p50Ms", "p99Ms", "p999Ms", "maxMs",
      "kafkaFormat");

  public Map<String, String> fields() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("scenario", scenario);
    m.put("threads", Integer.toString(threads));
    m.put("recordBytes", Integer.toString(recordBytes));
    m.put("rate", rate);
    m.put("offeredPerSecond", fmt(offeredPerSecond, 0));
    m.put("sent", Long.toString(sent));
    m.put("delivered", Long.toString(delivered));
    m.put("duplicates", Long.toString(duplicates));
    m.put("lost", Long.toString(lost));
    m.put("droppedBySetup", Long.toString(droppedBySetup));
    m.put("seconds", fmt(seconds, 2));
    m.put("recordsPerSecond", fmt(recordsPerSecond, 0));
    m.put("mibPerSecond", fmt(mibPerSecond, 1));
    m.put("cpuSecondsPerMillion", fmt(cpuSecondsPerMillion, 2));
    m.put("callerNanosPerRecord", fmt(callerNanosPerRecord, 0));
    m.put("p50Ms", fmt(p50Ms, 1));
    m.put("p99Ms", fmt(p99Ms, 1));
    m.put("p999Ms", fmt(p999Ms, 1));
    m.put("maxMs", fmt(maxMs, 1));
    m.put("kafkaFormat", kafkaFormat);
    return m;
  }

  /** The scenario and, for a setup through the collector, its Kafka record format: how charts name a series. */
  public String label() {
    return kafkaFormat.equals("-") ? scenario : scenario + " (" + kafkaFormat + ")";
  }

  private static String fmt(double v, int decimals) {
    if (v < 0) return "n/a";
    return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
  }
}
