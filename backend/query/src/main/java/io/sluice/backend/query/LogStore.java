package io.sluice.backend.query;

import java.util.Map;

/** Where the service finds log lines: OpenSearch in production ({@link OpenSearchLogs}). */
interface LogStore extends AutoCloseable {
  /** The engine's name in errors and metrics. */
  String engine();

  /** {@code {total, hits: [line], next: cursor|null}}, newest first, restricted to the query's tenant. */
  Map<String, Object> search(LogQuery q) throws Exception;

  /** {@code {from, to, intervalMs, total, buckets: [{start, count, bySeverity}]}} over [from, to). */
  Map<String, Object> histogram(LogQuery q, long from, long to, long intervalMs) throws Exception;
}
