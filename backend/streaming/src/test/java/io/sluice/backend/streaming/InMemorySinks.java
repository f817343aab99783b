package io.sluice.backend.streaming;

import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Sinks that append every written item to a JVM-wide list (factories are serialized by Beam, so the list is found
 * by a name). Thread-safe.
 */
final class InMemorySinks {
  private static final Map<String, List<Object>> WRITTEN = new ConcurrentHashMap<>();

  private InMemorySinks() {}

  /** A fresh named store and a factory writing to it. */
  static <T> Store<T> create() {
    String name = UUID.randomUUID().toString();
    WRITTEN.put(name, new ArrayList<>());
    return new Store<>(name);
  }

  record Store<T>(String name) implements java.io.Serializable {
    SinkFactory<T> factory() {
      String n = name;
      return () -> new Sink<T>() {
        @Override
        public void write(List<T> items) {
          List<Object> list = WRITTEN.get(n);
          synchronized (list) {
            list.addAll(items);
          }
        }

        @Override
        public void close() {}
      };
    }

    @SuppressWarnings("unchecked")
    List<T> items() {
      List<Object> list = WRITTEN.get(name);
      synchronized (list) {
        return (List<T>) List.copyOf(list);
      }
    }
  }
}
