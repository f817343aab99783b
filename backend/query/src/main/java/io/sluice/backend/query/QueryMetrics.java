package io.sluice.backend.query;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The service's counters, served as Prometheus text at {@code /metrics} (names in backend/query/README.md):
 * {@code sluice_query_requests_total{path,status}}, {@code sluice_query_engine_errors_total{engine,kind}},
 * {@code sluice_query_tail_clients}, {@code sluice_query_tail_dropped_total{reason}},
 * {@code sluice_query_tail_lines_total}, {@code sluice_query_tail_undecodable_total}. Thread-safe.
 */
final class QueryMetrics {
  private final Map<String, LongAdder> counters = new ConcurrentHashMap<>();
  final LongAdder tailClients = new LongAdder();

  void request(String path, int status) {
    inc("sluice_query_requests_total{path=\"" + path + "\",status=\"" + status + "\"}");
  }

  void engineError(String engine, String kind) {
    inc("sluice_query_engine_errors_total{engine=\"" + engine + "\",kind=\"" + kind + "\"}");
  }

  void tailDropped(TailHub.DropReason reason) {
    inc("sluice_query_tail_dropped_total{reason=\"" + reason.label() + "\"}");
  }

  void tailLine() {
    inc("sluice_query_tail_lines_total");
  }

  void tailUndecodable() {
    inc("sluice_query_tail_undecodable_total");
  }

  long get(String key) {
    LongAdder a = counters.get(key);
    return a == null ? 0 : a.sum();
  }

  private void inc(String key) {
    counters.computeIfAbsent(key, k -> new LongAdder()).increment();
  }

  String prometheus() {
    StringBuilder sb = new StringBuilder();
    sb.append("sluice_query_tail_clients ").append(tailClients.sum()).append('\n');
    new TreeMap<>(counters).forEach((k, v) -> sb.append(k).append(' ').append(v.sum()).append('\n'));
    return sb.toString();
  }
}
