package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the pipeline must compute from a list of Kafka records, computed the obvious way (for assertions). */
final class Truth {
  final List<LogEvent> distinct = new ArrayList<>();

  Truth(List<RawRecord> records) {
    Map<String, LogEvent> byIdentity = new LinkedHashMap<>();
    for (RawRecord r : records) {
      try {
        for (LogEvent e : LogEvents.decode(r)) {
          byIdentity.putIfAbsent(e.identity().key(), e);
        }
      } catch (Exception ignored) {
        // undecodable: the pipeline skips it too
      }
    }
    distinct.addAll(byIdentity.values());
  }

  /** tenant|service|severity|minuteStart → {count, bytes}. */
  Map<String, List<Long>> minuteCounts() {
    Map<String, List<Long>> out = new TreeMap<>();
    for (LogEvent e : distinct) {
      String key = e.tenant() + "|" + e.service() + "|" + e.severity() + "|" + e.minuteStartMillis();
      List<Long> v = out.computeIfAbsent(key, k -> new ArrayList<>(List.of(0L, 0L)));
      v.set(0, v.get(0) + 1);
      v.set(1, v.get(1) + e.sizeBytes());
    }
    return out;
  }

  /** tenant|service|fingerprint → earliest event time (ms). */
  Map<String, Long> firstSeen() {
    Map<String, Long> out = new TreeMap<>();
    for (LogEvent e : distinct) {
      if (!e.fingerprint().isEmpty()) {
        out.merge(e.tenant() + "|" + e.service() + "|" + e.fingerprint(), e.timeMillis(), Math::min);
      }
    }
    return out;
  }

  /** tenant|service|fingerprint|minuteStart → occurrences. */
  Map<String, Long> fingerprintMinutes() {
    Map<String, Long> out = new TreeMap<>();
    for (LogEvent e : distinct) {
      if (!e.fingerprint().isEmpty()) {
        out.merge(e.tenant() + "|" + e.service() + "|" + e.fingerprint() + "|" + e.minuteStartMillis(), 1L, Long::sum);
      }
    }
    return out;
  }
}
