package io.sluice.backend.job;

import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.streaming.StreamingSinks;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wraps each of a job's sinks so that the test sees how often each item was written: after the real sink's
 * {@code write} returns (the items are durable), every item's key is counted under the sink's name. An item
 * counted twice was written twice — a replay — so a store that still holds it once proves the sink idempotent.
 *
 * <p>The counts live in a static map of this JVM: the Flink cluster must run in the test JVM and load the job's
 * classes from the test's class loader (the job stages no jars). Thread-safe.
 */
final class CountingSinks {
  private static final Map<String, Map<String, Integer>> WRITES = new ConcurrentHashMap<>();

  private CountingSinks() {}

  /**
   * The same outputs as {@code sinks}, each counted under its name (events_0, events_1, ... for plain then batched
   * event outputs, as the pipeline numbers them; aggregates, fingerprints).
   */
  static StreamingSinks wrap(StreamingSinks sinks) {
    StreamingSinks.Builder b = StreamingSinks.builder();
    int i = 0;
    for (SinkFactory<LogEvent> events : sinks.events()) {
      b.addEvents(new Counted<>("events_" + i++, events, Kind.EVENT));
    }
    for (StreamingSinks.BatchedEvents batched : sinks.batchedEvents()) {
      b.addBatchedEvents(new Counted<>("events_" + i++, batched.factory(), Kind.EVENT), batched.batching());
    }
    sinks.aggregates().ifPresent(f -> b.aggregates(new Counted<>("aggregates", f, Kind.AGGREGATE)));
    sinks.fingerprints().ifPresent(f -> b.fingerprints(new Counted<>("fingerprints", f, Kind.FINGERPRINT)));
    sinks.alerts().ifPresent(b::alerts);
    sinks.rules().ifPresent(b::rules);
    return b.build();
  }

  /** key → times written, for the sink {@code name} (a live view). */
  static Map<String, Integer> writes(String name) {
    return WRITES.computeIfAbsent(name, n -> new ConcurrentHashMap<>());
  }

  /** Items written in total to {@code name}, replays included. */
  static long total(String name) {
    return writes(name).values().stream().mapToLong(Integer::longValue).sum();
  }

  /** How an item is named in the counts: record identity, or the aggregate's row key. */
  enum Kind {
    EVENT,
    AGGREGATE,
    FINGERPRINT;

    String key(Object item) {
      return switch (this) {
        case EVENT -> ((LogEvent) item).identity().key();
        case AGGREGATE -> {
          MinuteAggregate a = (MinuteAggregate) item;
          yield a.tenant() + "|" + a.service() + "|" + a.severity() + "|" + a.minuteStartMillis();
        }
        case FINGERPRINT -> {
          ErrorFingerprint f = (ErrorFingerprint) item;
          yield f.tenant() + "|" + f.service() + "|" + f.fingerprint() + "|" + f.firstSeenMillis() / 60_000L;
        }
      };
    }
  }

  private record Counted<T>(String name, SinkFactory<T> delegate, Kind kind) implements SinkFactory<T> {
    private static final long serialVersionUID = 1L;

    @Override
    public Sink<T> open() throws Exception {
      Sink<T> sink = delegate.open();
      Map<String, Integer> counts = writes(name);
      return new Sink<>() {
        @Override
        public void write(List<T> items) throws Exception {
          sink.write(items);
          for (T item : items) {
            counts.merge(kind.key(item), 1, Integer::sum);
          }
        }

        @Override
        public void close() throws Exception {
          sink.close();
        }
      };
    }
  }
}
