package io.sluice.backend.alerts;

import io.sluice.backend.common.Alert;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers each alert of the alerts topic once to a Mattermost-compatible webhook.
 *
 * <p>Only one instance sends at a time: every instance joins a Curator {@link LeaderLatch} at
 * {@link NotifierConfig#leaderPath()}, and only the leader consumes. The leader reads every partition of the topic
 * (manual assignment), posts each alert, retries a 5xx, 429 or connection failure with exponential backoff and
 * jitter for as long as it leads, and commits the record's offset (consumer group {@link NotifierConfig#groupId()})
 * right after the webhook accepted it. A 4xx other than 429 will not improve with retries: the alert is counted as
 * rejected, logged and committed.
 *
 * <p>Copies of an alert (a replayed pipeline publishes the same {@link Alert#id()} again, to the same partition) are
 * dropped by id. A new leader learns which ids were delivered by re-reading up to {@link NotifierConfig#dedupRecords()}
 * records per partition before the committed offset, so the memory survives a leader change without a store of its
 * own. {@link #close()} finishes (or abandons, uncommitted) the alert in hand before it leaves the election, so a
 * clean hand-over delivers nothing twice; a crash or a ZooKeeper session loss between a post and its commit may
 * deliver that one alert again (the webhook has no idempotency key).
 *
 * <p>Threads: one named daemon worker ({@code sluice-notifier-<instance>}) started by {@link #start()}, plus
 * Curator's and Kafka's own. Memory: the remembered ids, bounded by {@code dedupRecords} × partitions.
 */
public final class Notifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Notifier.class);
  private static final Duration POLL = Duration.ofMillis(200);

  private final NotifierConfig config;
  private final WebhookClient webhook;
  private final CuratorFramework zk;
  private final LeaderLatch latch;
  private final Thread worker;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition stopped = lock.newCondition();
  private volatile boolean running;
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private final AtomicLong undecodable = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong terms = new AtomicLong();

  public Notifier(NotifierConfig config) {
    this.config = config;
    this.webhook = new WebhookClient(config.webhookUrl(), Duration.ofSeconds(5), config.requestTimeout());
    this.zk = CuratorFrameworkFactory.newClient(config.zookeeper(), new ExponentialBackoffRetry(500, 5));
    this.latch = new LeaderLatch(zk, config.leaderPath(), config.instanceId());
    this.worker = new Thread(this::run, "sluice-notifier-" + config.instanceId());
    this.worker.setDaemon(true);
  }

  /** Connects to ZooKeeper, joins the election and starts the worker; returns at once. */
  public void start() throws Exception {
    if (closed.get()) {
      throw new IllegalStateException("notifier " + config.instanceId() + " is closed; create a new one");
    }
    running = true;
    zk.start();
    latch.start();
    worker.start();
  }

  /** Whether this instance currently holds the leadership. */
  public boolean isLeader() {
    return latch.hasLeadership();
  }

  /** Alerts the webhook accepted (2xx) while this instance led. */
  public long delivered() {
    return delivered.get();
  }

  /** Records skipped because an alert with the same id was already delivered. */
  public long duplicates() {
    return duplicates.get();
  }

  /** Alerts the webhook refused with a 4xx other than 429 (committed, not retried). */
  public long rejected() {
    return rejected.get();
  }

  /** Records that were not alerts (committed, skipped). */
  public long undecodable() {
    return undecodable.get();
  }

  /** Webhook attempts that failed with a 5xx, 429 or no response and were retried. */
  public long retries() {
    return retries.get();
  }

  /** How many times this instance became leader. */
  public long leadershipTerms() {
    return terms.get();
  }

  /**
   * Stops the worker (the alert in hand is either delivered and committed, or left uncommitted for the next leader),
   * then leaves the election and closes the ZooKeeper client. Waits up to the request timeout plus 10 s.
   */
  @Override
  public void close() throws Exception {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    running = false;
    lock.lock();
    try {
      stopped.signalAll();
    } finally {
      lock.unlock();
    }
    // no consumer.wakeup(): it could abort the commit of an alert already posted, which the next leader would
    // then post again; the worker notices within one poll (200 ms) or one webhook request instead
    worker.join(config.requestTimeout().toMillis() + 10_000);
    if (worker.isAlive()) {
      log.warn("notifier {}: worker did not stop in time; leaving the election anyway", config.instanceId());
    }
    try {
      latch.close();
    } finally {
      zk.close();
    }
    log.info("notifier {} closed: delivered={} duplicates={} rejected={} undecodable={} retries={}",
        config.instanceId(), delivered(), duplicates(), rejected(), undecodable(), retries());
  }

  private void run() {
    while (running) {
      try {
        if (latch.await(POLL.toMillis(), TimeUnit.MILLISECONDS) && running) {
          terms.incrementAndGet();
          log.info("notifier {} leads: delivering from {}", config.instanceId(), config.topic());
          lead();
          log.info("notifier {} stopped leading", config.instanceId());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        log.warn("notifier {}: leadership term failed, retrying: {}", config.instanceId(), e.toString());
        pause(config.initialBackoff());
      }
    }
  }

  private boolean leading() {
    return running && latch.hasLeadership();
  }

  /** One leadership term: consume every partition from the committed offsets until leadership or running ends. */
  private void lead() {
    try (KafkaConsumer<byte[], byte[]> c = newConsumer()) {
      List<TopicPartition> partitions = partitions(c);
      if (partitions.isEmpty()) {
        return;
      }
      c.assign(partitions);
      Map<TopicPartition, OffsetAndMetadata> committed = c.committed(new HashSet<>(partitions));
      Map<TopicPartition, Long> beginning = c.beginningOffsets(partitions);
      Map<TopicPartition, Long> resumeAt = new HashMap<>();
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata om = committed.get(tp);
        long begin = beginning.getOrDefault(tp, 0L);
        long resume = om == null ? begin : Math.max(begin, om.offset());
        resumeAt.put(tp, resume);
        c.seek(tp, Math.max(begin, resume - config.dedupRecords()));
      }
      Seen seen = new Seen(config.dedupRecords() * partitions.size());
      while (leading()) {
        ConsumerRecords<byte[], byte[]> records = c.poll(POLL);
        for (TopicPartition tp : records.partitions()) {
          for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
            if (!handle(c, tp, r, resumeAt.get(tp), seen)) {
              return; // leadership or running ended with this alert undelivered: the next leader sends it
            }
          }
        }
      }
    }
  }

  /** Returns false when the alert was not delivered because this instance stops leading. */
  private boolean handle(
      KafkaConsumer<byte[], byte[]> c, TopicPartition tp, ConsumerRecord<byte[], byte[]> r, long resumeAt,
      Seen seen) {
    String id = r.key() == null ? "" : new String(r.key(), StandardCharsets.UTF_8);
    if (r.offset() < resumeAt) {
      seen.add(id); // delivered by an earlier term: only remembered
      return true;
    }
    if (!id.isEmpty() && seen.contains(id)) {
      duplicates.incrementAndGet();
      commit(c, tp, r.offset());
      return true;
    }
    Alert alert;
    try {
      alert = AlertJson.decode(r.value());
    } catch (IOException | RuntimeException e) {
      undecodable.incrementAndGet();
      log.warn("notifier: {}@{} is not an alert, skipped: {}", tp, r.offset(), e.getMessage());
      commit(c, tp, r.offset());
      return true;
    }
    if (!deliver(alert)) {
      return false;
    }
    seen.add(id.isEmpty() ? alert.id() : id);
    commit(c, tp, r.offset());
    return true;
  }

  /** Posts until accepted or refused for good; false when leadership or running ended first. */
  private boolean deliver(Alert alert) {
    byte[] payload = MattermostPayload.of(alert, config.username());
    Duration backoff = config.initialBackoff();
    while (leading()) {
      String failure;
      try {
        HttpResponse<String> response = webhook.post(payload);
        int status = response.statusCode();
        if (status / 100 == 2) {
          delivered.incrementAndGet();
          return true;
        }
        if (status / 100 == 4 && status != 429) {
          rejected.incrementAndGet();
          log.warn("notifier: webhook refused alert {} with HTTP {} (not retried): {}", alert.id(), status,
              abbreviate(response.body()));
          return true;
        }
        failure = "HTTP " + status;
      } catch (IOException e) {
        failure = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      retries.incrementAndGet();
      log.debug("notifier: alert {} failed ({}), retrying in {} ms", alert.id(), failure, backoff.toMillis());
      pause(jitter(backoff));
      backoff = backoff.multipliedBy(2).compareTo(config.maxBackoff()) > 0
          ? config.maxBackoff()
          : backoff.multipliedBy(2);
    }
    return false;
  }

  private void commit(KafkaConsumer<byte[], byte[]> c, TopicPartition tp, long offset) {
    c.commitSync(Map.of(tp, new OffsetAndMetadata(offset + 1)));
  }

  private List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> c) {
    while (leading()) {
      List<PartitionInfo> infos = c.partitionsFor(config.topic(), Duration.ofSeconds(10));
      if (infos != null && !infos.isEmpty()) {
        List<TopicPartition> out = new ArrayList<>();
        for (PartitionInfo p : infos) {
          out.add(new TopicPartition(p.topic(), p.partition()));
        }
        return out;
      }
      log.warn("notifier: topic {} does not exist yet; create it (the alert sink's topic) — checking again",
          config.topic());
      pause(config.maxBackoff());
    }
    return List.of();
  }

  private KafkaConsumer<byte[], byte[]> newConsumer() {
    Map<String, Object> props = new HashMap<>(config.consumerProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-notifier-" + config.instanceId());
    return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Waits {@code d} or until close(). */
  private void pause(Duration d) {
    lock.lock();
    try {
      if (running) {
        stopped.await(d.toNanos(), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  private static Duration jitter(Duration d) {
    long half = Math.max(1, d.toNanos() / 2);
    return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(half));
  }

  private static String abbreviate(String s) {
    return s == null || s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** The ids delivered lately, oldest forgotten first. Worker thread only. */
  private static final class Seen {
    private final LinkedHashMap<String, Boolean> ids;

    Seen(int capacity) {
      this.ids = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > capacity;
        }
      };
    }

    void add(String id) {
      ids.put(id, Boolean.TRUE);
    }

    boolean contains(String id) {
      return ids.containsKey(id);
    }
  }
}
