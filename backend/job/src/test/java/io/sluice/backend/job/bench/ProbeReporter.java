package io.sluice.backend.job.bench;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/**
 * A Flink metric reporter that only remembers the job's Beam counters (namespace {@code sluice.streaming}, which the
 * Beam Flink runner mirrors into Flink counters at the end of every bundle), so a harness in the same JVM can read
 * the job's progress while it runs: the bounded read has no consumer group whose position could be watched.
 * Configured through {@code --flinkConfDir} ({@code metrics.reporter.probe.factory.class}). Counters of finished
 * tasks are kept until {@link #reset()}. Thread-safe.
 */
public final class ProbeReporter implements MetricReporter {
  private static final Map<String, List<Counter>> COUNTERS = new ConcurrentHashMap<>();

  /** The sum over subtasks of every Beam counter whose Flink name ends with {@code name}. */
  public static long sum(String name) {
    long total = 0;
    for (Map.Entry<String, List<Counter>> e : COUNTERS.entrySet()) {
      if (e.getKey().endsWith(name)) {
        for (Counter c : e.getValue()) {
          total += c.getCount();
        }
      }
    }
    return total;
  }

  /** The counter names seen, for the run's log. */
  public static java.util.Set<String> names() {
    return new java.util.TreeSet<>(COUNTERS.keySet());
  }

  public static void reset() {
    COUNTERS.clear();
  }

  @Override
  public void open(MetricConfig config) {}

  @Override
  public void close() {}

  @Override
  public void notifyOfAddedMetric(Metric metric, String metricName, MetricGroup group) {
    if (metric instanceof Counter c && metricName.contains("sluice.streaming")) {
      COUNTERS.computeIfAbsent(metricName, k -> new CopyOnWriteArrayList<>()).add(c);
    }
  }

  @Override
  public void notifyOfRemovedMetric(Metric metric, String metricName, MetricGroup group) {
    // kept: the harness reads the final values after the tasks finished
  }

  /** Found by Flink's ReporterSetup through META-INF/services. */
  public static final class Factory implements MetricReporterFactory {
    @Override
    public MetricReporter createMetricReporter(Properties properties) {
      return new ProbeReporter();
    }
  }
}
