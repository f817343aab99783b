package io.sluice.backend.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.UndecodableRecordException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Live tail: one Kafka consumer (no group, nothing committed) reading the log topic from its end at the moment the
 * first client joined, fanning each decoded record (the record format, schema v1) out to the clients of its tenant
 * whose filter matches, from the partitions' end offsets at the moment each client joined (taken by the consumer
 * thread, so a line written before a client joined never reaches it, however far the consumer lags). Bounded: at most {@code maxClients} clients (the next is refused, counted
 * {@code too_many_clients}), each with a buffer of {@code bufferBytes} of encoded lines; a client whose buffer is full
 * is dropped (counted {@code slow_client}) instead of slowing the others or growing memory. Lines already buffered are
 * still delivered before the client is told why it was dropped. The consumer thread never blocks on a client.
 * Thread-safe.
 */
final class TailHub implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Why a client stopped receiving lines. */
  enum DropReason {
    /** Its buffer was full: it read slower than the topic was written. Paid by that client only. */
    SLOW_CLIENT,
    /** Refused at connect: {@code limits.tailMaxClients} clients were connected already. */
    TOO_MANY_CLIENTS,
    /** The client closed the connection (or writing to it failed). */
    CLIENT_GONE,
    /** The service is shutting down. */
    SHUTDOWN;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final String bootstrap;
  private final String topic;
  private final int maxClients;
  private final long bufferBytes;
  private final QueryMetrics metrics;
  private final List<Client> clients = new CopyOnWriteArrayList<>();
  private final java.util.concurrent.ConcurrentLinkedQueue<Client> joining =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger admitted = new java.util.concurrent.atomic.AtomicInteger();
  private List<TopicPartition> partitions;
  private KafkaConsumer<byte[], byte[]> consumer;
  private Thread thread;
  private volatile boolean closed;

  TailHub(String bootstrap, String topic, int maxClients, long bufferBytes, QueryMetrics metrics) {
    this.bootstrap = bootstrap;
    this.topic = topic;
    this.maxClients = maxClients;
    this.bufferBytes = bufferBytes;
    this.metrics = metrics;
  }

  /**
   * Registers a client and returns once the consumer thread has taken the partitions' end offsets for it: exactly
   * the lines written to the topic after those offsets reach it (never one written before it joined, however far
   * the shared consumer lags).
   */
  Client join(String tenant, Predicate<LogEvent> filter) throws HttpError {
    synchronized (this) {
      if (closed) {
        throw new HttpError(503, null, "the service is shutting down");
      }
      if (admitted.get() >= maxClients) {
        metrics.tailDropped(DropReason.TOO_MANY_CLIENTS);
        throw new HttpError(429, null, "too many live-tail clients (limits.tailMaxClients = " + maxClients
            + "); close one or retry later");
      }
      admitted.incrementAndGet();
      if (thread == null) {
        start();
      }
    }
    Client c = new Client(tenant, filter, bufferBytes);
    joining.add(c);
    KafkaConsumer<byte[], byte[]> current;
    synchronized (this) {
      current = consumer;
    }
    if (current != null) {
      current.wakeup(); // the consumer thread takes it now rather than after its poll
    }
    try {
      if (!c.started.await(30, TimeUnit.SECONDS)) {
        leave(c, DropReason.SHUTDOWN);
        throw new HttpError(503, null, "the live tail's Kafka consumer did not take the client within 30 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      leave(c, DropReason.SHUTDOWN);
      throw new HttpError(503, null, "interrupted while joining the live tail");
    }
    metrics.tailClients.increment();
    return c;
  }

  void leave(Client c, DropReason reason) {
    boolean joined = clients.remove(c);
    if (joined || joining.remove(c)) {
      admitted.decrementAndGet();
      if (joined) {
        metrics.tailClients.decrement();
      }
      c.drop(reason);
      metrics.tailDropped(reason);
    }
  }

  int clients() {
    return admitted.get();
  }

  private void start() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-query-tail");
    KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
    List<TopicPartition> parts = new ArrayList<>();
    c.partitionsFor(topic, Duration.ofSeconds(10)).forEach(i -> parts.add(new TopicPartition(topic,
        i.partition())));
    c.assign(parts);
    c.seekToEnd(parts);
    parts.forEach(tp -> c.position(tp, Duration.ofSeconds(10)));
    partitions = parts;
    consumer = c;
    thread = new Thread(this::run, "sluice-query-tail");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    try {
      while (!closed) {
        try {
          for (Client joined; (joined = joining.peek()) != null;) {
            // this client's "now": lines at or after these offsets are its; the consumer may still be behind them
            Map<TopicPartition, Long> end = c.endOffsets(partitions, Duration.ofSeconds(10));
            for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
              joined.startOffsets.put(e.getKey().partition(), e.getValue());
            }
            joining.remove(joined);
            clients.add(joined);
            joined.started.countDown();
          }
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
            fanOut(r);
          }
        } catch (WakeupException e) {
          // a client joined (wakeup() may land in any blocking call, not only poll), or close()
        }
      }
    } catch (RuntimeException e) {
      // Kafka failed under us: every client is told (dropped), the failure counted, and the next join starts afresh
      metrics.engineError("kafka", "tail_failed");
      synchronized (this) {
        thread = null;
        consumer = null;
      }
      for (Client client : clients) {
        leave(client, DropReason.SHUTDOWN);
      }
      for (Client client : joining) {
        leave(client, DropReason.SHUTDOWN);
      }
    } finally {
      c.close(Duration.ofSeconds(1));
    }
  }

  private void fanOut(ConsumerRecord<byte[], byte[]> r) {
    if (clients.isEmpty()) {
      return;
    }
    Map<String, byte[]> headers = new HashMap<>();
    for (Header h : r.headers()) {
      headers.put(h.key(), h.value());
    }
    List<LogEvent> events;
    try {
      // either Kafka record format: a batch-format record holds many lines
      events = LogEvents.decode(new RawRecord(r.topic(), r.key(), headers,
          r.value() == null ? new byte[0] : r.value(), r.timestamp()));
    } catch (UndecodableRecordException ex) {
      metrics.tailUndecodable();
      return;
    }
    for (LogEvent e : events) {
      fanOut(r, e);
    }
  }

  private void fanOut(ConsumerRecord<byte[], byte[]> r, LogEvent e) {
    byte[] json = null;
    for (Client c : clients) {
      if (r.offset() >= c.startOffsets.getOrDefault(r.partition(), Long.MAX_VALUE) && c.tenant.equals(e.tenant())
          && c.filter.test(e)) {
        if (json == null) {
          try {
            json = JSON.writeValueAsBytes(LogLines.fromEvent(e));
          } catch (java.io.IOException ex) {
            throw new IllegalStateException(ex);
          }
        }
        if (!c.offer(json)) {
          leave(c, DropReason.SLOW_CLIENT);
        } else {
          metrics.tailLine();
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    for (Client c : clients) {
      leave(c, DropReason.SHUTDOWN);
    }
    for (Client c : joining) {
      leave(c, DropReason.SHUTDOWN);
    }
    KafkaConsumer<byte[], byte[]> c;
    Thread t;
    synchronized (this) {
      c = consumer;
      t = thread;
    }
    if (c != null) {
      c.wakeup();
    }

    if (t != null) {
      try {
        t.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** One connected client: a queue of encoded lines bounded in bytes. */
  static final class Client {
    final String tenant;
    final Predicate<LogEvent> filter;
    private final long capacity;
    private final AtomicLong bytes = new AtomicLong();
    private final LinkedBlockingQueue<byte[]> lines = new LinkedBlockingQueue<>();
    final Map<Integer, Long> startOffsets = new java.util.concurrent.ConcurrentHashMap<>();
    final java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    private volatile DropReason dropped;

    Client(String tenant, Predicate<LogEvent> filter, long capacity) {
      this.tenant = tenant;
      this.filter = filter;
      this.capacity = capacity;
    }

    /** False when the line does not fit: the caller drops this client. */
    boolean offer(byte[] line) {
      if (bytes.addAndGet(line.length) > capacity) {
        bytes.addAndGet(-line.length);
        return false;
      }
      lines.add(line);
      return true;
    }

    /** The next line, or null after {@code wait} (a keep-alive is due) or once dropped and drained. */
    byte[] next(Duration wait) throws InterruptedException {
      byte[] line = dropped == null ? lines.poll(wait.toMillis(), TimeUnit.MILLISECONDS) : lines.poll();
      if (line != null) {
        bytes.addAndGet(-line.length);
      }
      return line;
    }

    void drop(DropReason reason) {
      if (dropped == null) {
        dropped = reason;
      }
      lines.offer(new byte[0]); // wakes a waiting next()
    }

    DropReason dropped() {
      return dropped;
    }
  }
}
