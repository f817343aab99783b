package io.sluice.backend.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.UndecodableRecordException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Search and histogram without OpenSearch, for the demo ({@code kafka.scanSearch: true}): each request reads the log
 * topic up to its end offsets (at most {@link #MAX_SCAN_RECORDS} newest records per partition), decodes, drops
 * duplicates by record identity (what at-least-once delivery puts into Kafka), keeps the caller's tenant's matching
 * lines, and sorts them newest first. Linear in the topic's size: fine for a demo's topic, not for production (use
 * OpenSearch). Text matches when the message or the exception type contains it (case-insensitive), like the live
 * tail. Cursors have the same shape as {@link OpenSearchLogs}'. Thread-safe (a consumer per call).
 */
final class KafkaScanLogs implements LogStore {
  static final int MAX_SCAN_RECORDS = 200_000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Comparator<LogEvent> NEWEST_FIRST = Comparator.comparingLong(LogEvent::timeUnixNano).reversed()
      .thenComparing(e -> e.identity().source()).thenComparingLong(e -> e.identity().epoch())
      .thenComparingLong(e -> e.identity().seq()).thenComparingInt(e -> e.identity().idx());
  private final String bootstrap;
  private final String topic;
  private final Duration timeout;

  KafkaScanLogs(String bootstrap, String topic, Duration timeout) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.timeout = timeout;
  }

  @Override
  public String engine() {
    return "kafka";
  }

  @Override
  public Map<String, Object> search(LogQuery q) throws Exception {
    List<LogEvent> matches = scan(q, q.fromMillis(), q.toMillis());
    matches.sort(NEWEST_FIRST);
    int start = 0;
    if (q.cursor() != null) {
      JsonNode after = OpenSearchLogs.decodeCursor(q.cursor());
      while (start < matches.size() && !isAfter(matches.get(start), after)) {
        start++;
      }
    }
    List<Map<String, Object>> hits = new ArrayList<>();
    LogEvent last = null;
    for (int i = start; i < matches.size() && hits.size() < q.limit(); i++) {
      last = matches.get(i);
      hits.add(LogLines.fromEvent(last));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("total", (long) matches.size());
    out.put("hits", hits);
    out.put("next", hits.size() == q.limit() && start + hits.size() < matches.size()
        ? OpenSearchLogs.encodeCursor(sortValues(last)) : null);
    return out;
  }

  @Override
  public Map<String, Object> histogram(LogQuery q, long from, long to, long intervalMs) throws Exception {
    List<LogEvent> matches = scan(q, from, to);
    long first = from - Math.floorMod(from, intervalMs);
    Map<Long, Map<String, Long>> buckets = new LinkedHashMap<>();
    for (long b = first; b < to; b += intervalMs) {
      buckets.put(b, new LinkedHashMap<>());
    }
    for (LogEvent e : matches) {
      long b = e.timeMillis() - Math.floorMod(e.timeMillis(), intervalMs);
      buckets.computeIfAbsent(b, k -> new LinkedHashMap<>()).merge(e.severity().name(), 1L, Long::sum);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    buckets.forEach((start, bySeverity) -> {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("start", start);
      m.put("count", bySeverity.values().stream().mapToLong(Long::longValue).sum());
      m.put("bySeverity", bySeverity);
      out.add(m);
    });
    Map<String, Object> result = new LinkedHashMap<>();
    result.put("from", from);
    result.put("to", to);
    result.put("intervalMs", intervalMs);
    result.put("total", (long) matches.size());
    result.put("buckets", out);
    return result;
  }

  private static boolean isAfter(LogEvent e, JsonNode after) {
    return NEWEST_FIRST.compare(e, new LogEvent(new io.sluice.backend.common.RecordIdentity(after.get(1).asText(),
        after.get(2).asLong(), after.get(3).asLong(), after.get(4).asInt()), "", "", after.get(0).asLong(), "", "",
        io.sluice.backend.common.Severity.UNSPECIFIED, "", "", "", "", "", "", "", "", "", "", "", Map.of(), 0)) > 0;
  }

  private static ArrayNode sortValues(LogEvent e) {
    ArrayNode a = JSON.createArrayNode();
    a.add(e.timeUnixNano()).add(e.identity().source()).add(e.identity().epoch()).add(e.identity().seq())
        .add(e.identity().idx());
    return a;
  }

  private List<LogEvent> scan(LogQuery q, Long from, Long to) {
    String text = q.text().toLowerCase(java.util.Locale.ROOT);
    Predicate<LogEvent> match = e -> e.tenant().equals(q.tenant())
        && (q.service().isEmpty() || q.service().equals(e.service()))
        && (q.severities().isEmpty() || q.severities().contains(e.severity()))
        && (q.traceId().isEmpty() || q.traceId().equals(e.traceId()))
        && (from == null || e.timeMillis() >= from) && (to == null || e.timeMillis() < to)
        && (text.isEmpty() || e.body().toLowerCase(java.util.Locale.ROOT).contains(text)
            || e.exceptionType().toLowerCase(java.util.Locale.ROOT).contains(text)
            || e.exceptionMessage().toLowerCase(java.util.Locale.ROOT).contains(text)
            || e.fingerprint().equals(q.text()));
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
    List<LogEvent> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      c.partitionsFor(topic, timeout).forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
      c.assign(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
      Map<TopicPartition, Long> begin = c.beginningOffsets(parts, timeout);
      long remaining = 0;
      for (TopicPartition tp : parts) {
        long start = Math.max(begin.get(tp), end.get(tp) - MAX_SCAN_RECORDS);
        c.seek(tp, start);
        remaining += end.get(tp) - start;
      }
      while (remaining > 0 && !Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) {
            continue;
          }
          remaining--;
          Map<String, byte[]> headers = new HashMap<>();
          for (Header h : r.headers()) {
            headers.put(h.key(), h.value());
          }
          try {
            for (LogEvent e : LogEvents.decode(new RawRecord(r.topic(), r.key(), headers,
                r.value() == null ? new byte[0] : r.value(), r.timestamp()))) {
              if (match.test(e) && seen.add(e.identity().key())) {
                out.add(e);
              }
            }
          } catch (UndecodableRecordException ex) {
            // counted by the job; a search skips it
          }
        }
      }
    }
    return out;
  }

  @Override
  public void close() {}
}
