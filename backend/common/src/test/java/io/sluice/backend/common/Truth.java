package io.sluice.backend.common;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The expected answers for a list of Kafka records, computed the slow obvious way (decode each, keep the first of
 * each identity): what every backend job's output is checked against.
 */
public final class Truth {
  /** Aggregation key without the sums. */
  public record Key(String tenant, String service, Severity severity, long minuteStartMillis) {}

  private Truth() {}

  /** Distinct events in first-seen order. */
  public static List<LogEvent> distinctEvents(List<RawRecord> records) {
    Map<RecordIdentity, LogEvent> seen = new LinkedHashMap<>();
    for (RawRecord r : records) {
      try {
        for (LogEvent e : LogEvents.decode(r)) {
          seen.putIfAbsent(e.identity(), e);
        }
      } catch (UndecodableRecordException e) {
        throw new IllegalArgumentException(e);
      }
    }
    return List.copyOf(seen.values());
  }

  /** count per (tenant, service, severity, minute) after de-duplication, sorted for readable diffs. */
  public static Map<Key, Long> minuteCounts(List<RawRecord> records) {
    Map<Key, Long> counts = new TreeMap<>(
        java.util.Comparator.comparing(Key::tenant).thenComparing(Key::service).thenComparing(Key::severity)
            .thenComparingLong(Key::minuteStartMillis));
    for (LogEvent e : distinctEvents(records)) {
      counts.merge(new Key(e.tenant(), e.service(), e.severity(), e.minuteStartMillis()), 1L, Long::sum);
    }
    return counts;
  }

  /** count per (tenant, service, severity) over all time after de-duplication. */
  public static Map<String, Long> countsByServiceAndSeverity(List<RawRecord> records) {
    Map<String, Long> counts = new TreeMap<>();
    for (LogEvent e : distinctEvents(records)) {
      counts.merge(e.tenant() + "/" + e.service() + "/" + e.severity(), 1L, Long::sum);
    }
    return counts;
  }
}
