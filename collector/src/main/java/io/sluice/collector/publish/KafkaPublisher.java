package io.sluice.collector.publish;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Publishes each LogRecord of a batch as one Kafka record (value = the encoded LogRecord, key = the batch's
 * partition key, headers from {@link KafkaHeaders}) with an idempotent {@code acks=all} producer.
 *
 * <p>Threads: {@code producer.send} can block (metadata wait up to {@code max.block.ms}, a full
 * {@code buffer.memory}), so it runs on one named daemon thread, {@code sluice-publish}, never on the caller's; one
 * thread also keeps the batches of a stream in order. Its queue holds batches that the ingest side already counts
 * against its in-flight byte bounds, so it is bounded by those. Thread-safe.
 */
public final class KafkaPublisher implements Publisher {
  /** Defaults under the user's overrides: durable, ordered, compressed. */
  public static Map<String, Object> producerDefaults(String bootstrap) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // lz4, not zstd: with zstd Kafka writes every varint of every record through a synchronized
    // BufferedOutputStream.write(int) in front of the compressor; DecodeProduceBench measured 4.9 us of publish-thread
    // CPU per record with zstd against 3.0 us with lz4, and 27 against 16 us for the whole process with the broker
    // (which decompresses to validate). zstd compresses better: set compression.type where Kafka disk matters more.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // A client's records share one key, so one partition: with Kafka's 16 KiB default only ~100 small records fit a
    // request and 5 in-flight requests cap a partition at a few 10k records/s. A collector aggregates: batch big.
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(1 << 20));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(128L << 20));
    // Waiting for metadata while every broker is down stalls all streams; give up sooner and let clients retry.
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "10000");
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "sluice-collector");
    return p;
  }

  private static final Header SCHEMA_HEADER = new RecordHeader(KafkaHeaders.SCHEMA,
      KafkaHeaders.SCHEMA_VERSION.getBytes(StandardCharsets.UTF_8));

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final ThreadPoolExecutor sender;

  /**
   * @param producerProperties complete producer configuration (see {@link #producerDefaults}); serializers are set
   *     here
   * @param topic where records go whose batch names no topic of their own
   */
  public KafkaPublisher(Map<String, Object> producerProperties, String topic) {
    Map<String, Object> p = new HashMap<>(producerProperties);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(p);
    this.topic = topic;
    this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "sluice-publish");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public CompletableFuture<Void> publish(PublishBatch batch) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (batch.size() == 0) {
      done.complete(null);
      return done;
    }
    try {
      sender.execute(new SendTask(batch, done));
    } catch (RejectedExecutionException e) {
      done.completeExceptionally(new IllegalStateException("publisher is closed"));
    }
    return done;
  }

  private void send(PublishBatch batch, CompletableFuture<Void> done) {
    int n = batch.size();
    AtomicInteger remaining = new AtomicInteger(n);
    Callback callback = (metadata, error) -> {
      if (error != null) {
        done.completeExceptionally(error);
      } else if (remaining.decrementAndGet() == 0) {
        done.complete(null);
      }
    };
    byte[] key = batch.partitionKey().getBytes(StandardCharsets.UTF_8);
    // Headers are read, never changed, once handed to the producer: the five that are the same for every record of
    // the batch are built once and shared; only sluice.idx (and sluice.reason) is per record.
    Header source = new RecordHeader(KafkaHeaders.SOURCE, batch.source().getBytes(StandardCharsets.UTF_8));
    Header epoch = new RecordHeader(KafkaHeaders.EPOCH, KafkaHeaders.int64(batch.epoch()));
    Header seq = new RecordHeader(KafkaHeaders.SEQ, KafkaHeaders.int64(batch.sequence()));
    Header tenant = new RecordHeader(KafkaHeaders.TENANT, batch.tenant().getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < n; i++) {
      if (done.isDone()) {
        return; // an earlier record failed: the whole batch will be resent, don't add more duplicates
      }
      Header idx = new RecordHeader(KafkaHeaders.IDX, KafkaHeaders.int32(i));
      String reason = batch.reason(i);
      Header[] headers = reason.isEmpty()
          ? new Header[] {source, epoch, seq, idx, tenant, SCHEMA_HEADER}
          : new Header[] {source, epoch, seq, idx, tenant, SCHEMA_HEADER,
              new RecordHeader(KafkaHeaders.REASON, reason.getBytes(StandardCharsets.UTF_8))};
      String target = batch.topic(i);
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(target == null ? topic : target, null, key,
          batch.value(i), new RecordHeaders(headers));
      try {
        producer.send(rec, callback);
      } catch (RuntimeException e) {
        // e.g. TimeoutException waiting for metadata, or the producer was closed
        done.completeExceptionally(e);
        return;
      }
    }
  }

  @Override
  public void close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    sender.shutdown();
    try {
      if (!sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        failUnsent(sender.shutdownNow());
      }
    } catch (InterruptedException e) {
      failUnsent(sender.shutdownNow());
      Thread.currentThread().interrupt();
    }
    // close() flushes what is buffered, then fails what is still unacknowledged at the deadline
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  private static void failUnsent(List<Runnable> unsent) {
    for (Runnable r : unsent) {
      if (r instanceof SendTask task) {
        task.done.completeExceptionally(new IllegalStateException("publisher closed before the batch was sent"));
      }
    }
  }

  /** One batch to send; kept as a type so that close() can fail the futures of batches it never sent. */
  private final class SendTask implements Runnable {
    final PublishBatch batch;
    final CompletableFuture<Void> done;

    SendTask(PublishBatch batch, CompletableFuture<Void> done) {
      this.batch = batch;
      this.done = done;
    }

    @Override
    public void run() {
      send(batch, done);
    }
  }

  /** Number of batches waiting for the publishing thread (a gauge). */
  public int queuedBatches() {
    return sender.getQueue().size();
  }
}
