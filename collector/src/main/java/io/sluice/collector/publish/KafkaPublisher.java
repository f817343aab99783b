package io.sluice.collector.publish;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import io.sluice.wire.kafka.BatchValueWriter;
import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaHeaders;
import io.sluice.wire.kafka.RecordSlices;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the lines of a batch to Kafka with an idempotent {@code acks=all} producer (key = the batch's partition
 * key, headers from {@link KafkaHeaders}), in per-topic lanes so that a missing, slow or refused topic stalls only
 * the batches routed to it. Each topic gets the {@link KafkaFormat} that {@link TopicFormats} names: in the batch
 * format one Kafka record per (batch, topic) holding that topic's lines — a client batch going whole to one topic is
 * the client's zstd frame passed on as it came, with the resource in {@link KafkaHeaders#RESOURCE}; a batch routed to
 * several topics is split by topic, its lines' bytes copied, not re-encoded, and compressed once with zstd level 1 —
 * in the record format one Kafka record per line (the record's bytes and the resource attributes it lacks, spliced
 * when it is sent).
 *
 * <p>Routing and dead-lettering act per line in both formats: a batch-format part is one Kafka record per
 * (topic, dead-letter reason), cut into several when its lines exceed {@code max.request.size} less 16 KiB
 * uncompressed (so a value that does not compress still fits a request); if the broker refuses such a record as too large or invalid, its lines are sent again
 * one Kafka record each (record format), so that only the lines Kafka really refuses are dead-lettered.
 *
 * <p>Per-topic isolation. {@code producer.send} blocks for up to {@code max.block.ms} on a topic whose metadata the
 * producer does not have, so it is only ever called for a topic whose metadata is known ({@code READY}). Every
 * topic has a lane: records for a topic not known yet wait in its lane (bounded: {@code maxWaitingBytesPerTopic},
 * beyond that a retryable failure) while the topic is looked up off the send path: an Admin {@code describeTopics}
 * (asynchronous), then {@code partitionsFor} to load the producer's metadata, on {@code sluice-publish-lookup}
 * (topics the broker reported) or on {@code sluice-publish-lookup-unknown-N} (topics the broker did not report,
 * which may block for {@code max.block.ms} while a broker that auto-creates topics creates them). A lane unused for
 * {@code verifyAfterIdle} is looked up again before its next send (the producer forgets idle topics after
 * {@code metadata.max.idle.ms}, and a deleted topic would otherwise block the send thread).
 *
 * <p>The rule for records Kafka can never take where they were routed: a name Kafka refuses (see
 * {@link io.sluice.collector.route.Router#topicProblem}), a topic that does not exist (the broker reported it
 * unknown and the producer's metadata wait ended without it), a topic the collector may not write, a record the
 * broker refuses as too large or invalid: the records go to the dead-letter topic with a {@code sluice.reason} header
 * ({@code TOPIC_INVALID}, {@code TOPIC_MISSING}, {@code TOPIC_UNAUTHORIZED}, {@code RECORD_TOO_LARGE} (a truncated
 * copy), {@code RECORD_INVALID}; the text names the topic) and the batch is acknowledged once the dead-letter topic
 * acknowledged them, so the client never resends it. Counted in {@link #deadLetteredByReason()}. A topic found
 * missing or refused stays so for {@code missingRecheck}, then is looked up again. If there is no dead-letter topic,
 * or it refuses them too, the batch fails with a non-retryable {@link PublishException}. Any other failure (broker
 * down, timeouts) fails the batch retryably, as before.
 *
 * <p>Threads: one named daemon thread, {@code sluice-publish}, calls {@code producer.send} in the order batches
 * reach a ready lane, so a stream's batches for one topic stay in order. Its queue holds batches that the ingest
 * side already counts against its in-flight byte bounds, so it is bounded by those; the lanes' waiting parts are
 * bounded per topic, the number of lanes by {@code maxTopics}, and the lookups of topics the broker does not know
 * that wait for a thread by {@value #MAX_QUEUED_UNKNOWN_LOOKUPS} (beyond it their batches fail retryably at once).
 * Never blocks the caller. Thread-safe.
 */
public final class KafkaPublisher implements Publisher {
  private static final Logger log = LoggerFactory.getLogger(KafkaPublisher.class);

  /** Defaults under the user's overrides for the default format, {@link TopicFormats#DEFAULT_FORMAT}. */
  public static Map<String, Object> producerDefaults(String bootstrap) {
    return producerDefaults(bootstrap, TopicFormats.DEFAULT_FORMAT);
  }

  /**
   * Defaults under the user's overrides: durable, ordered, and compressed once. With {@code kafka.format} batch the
   * producer does not compress ({@code compression.type=none}): a batch value is a zstd frame already — the client's
   * own frame passed on as it came, or one the collector compressed when it had to split the batch — and compressing
   * it again costs the collector and the broker (which decompresses to validate) CPU for nothing. With {@code record}
   * the producer compresses with lz4.
   */
  public static Map<String, Object> producerDefaults(String bootstrap, KafkaFormat format) {
    Map<String, Object> p = new HashMap<>();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // lz4, not zstd: with zstd Kafka writes every varint of every record through a synchronized
    // BufferedOutputStream.write(int) in front of the compressor; DecodeProduceBench measured 4.9 us of publish-thread
    // CPU per record with zstd against 3.0 us with lz4, and 27 against 16 us for the whole process with the broker
    // (which decompresses to validate). zstd compresses better: set compression.type where Kafka disk matters more.
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, format == KafkaFormat.BATCH ? "none" : "lz4");
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

  /** Dead-letter reasons the publisher itself gives (the {@code sluice.reason} prefix and the metric label). */
  public static final List<String> DEAD_LETTER_REASONS = List.of("TOPIC_INVALID", "TOPIC_MISSING",
      "TOPIC_UNAUTHORIZED", "RECORD_TOO_LARGE", "RECORD_INVALID");
  /** Results of topic lookups (the metric label). */
  public static final List<String> LOOKUP_RESULTS = List.of("ready", "missing", "invalid", "unauthorized", "failed");

  /**
   * Tunables of the per-topic lanes.
   *
   * @param maxTopics most lanes kept (one per topic used); when full, idle ones are forgotten; when none is idle, a
   *     batch for yet another topic fails retryably. Default 10,000
   * @param maxWaitingBytesPerTopic value bytes that may wait in one lane for its topic's metadata; more fail
   *     retryably (the client backs off and resends). At least one batch is always taken. Default 8 MiB
   * @param missingRecheck how long a topic found missing, invalid or unauthorized is dead-lettered without asking
   *     Kafka again. Default 30 s
   * @param verifyAfterIdle a lane unused this long is looked up again before it sends. Default 60 s (below the
   *     producer's metadata.max.idle.ms, 5 min)
   * @param unknownLookupThreads threads that wait for topics the broker did not report (each such wait takes up
   *     to max.block.ms). Default 2
   */
  public record Options(int maxTopics, long maxWaitingBytesPerTopic, Duration missingRecheck,
      Duration verifyAfterIdle, int unknownLookupThreads) {
    public static final Options DEFAULTS = new Options(10_000, 8L << 20, Duration.ofSeconds(30),
        Duration.ofSeconds(60), 2);

    public Options {
      if (maxTopics < 1 || maxWaitingBytesPerTopic < 1 || missingRecheck.isNegative()
          || verifyAfterIdle.isNegative() || unknownLookupThreads < 1) {
        throw new IllegalArgumentException("publisher lane options must be positive: " + maxTopics + ", "
            + maxWaitingBytesPerTopic + ", " + missingRecheck + ", " + verifyAfterIdle + ", " + unknownLookupThreads);
      }
    }
  }

  private static final Header SCHEMA_HEADER = new RecordHeader(KafkaHeaders.SCHEMA,
      KafkaHeaders.SCHEMA_RECORD.getBytes(StandardCharsets.UTF_8));
  private static final Header BATCH_SCHEMA_HEADER = new RecordHeader(KafkaHeaders.SCHEMA,
      KafkaHeaders.SCHEMA_BATCH.getBytes(StandardCharsets.UTF_8));

  private final Producer<byte[], byte[]> producer;
  private final Admin admin;
  private final String topic;
  private final String deadLetterTopic;
  private final Options options;
  private final TopicFormats formats;
  // used on sluice-publish only; closed after that thread ended
  private final BatchValueWriter batchWriter = new BatchValueWriter();
  private final AtomicLong kafkaRecordsSent = new AtomicLong();
  private final AtomicLong batchFallbacks = new AtomicLong();
  // uncompressed bytes of one batch-format value: max.request.size less room for headers and framing
  private final int maxValuePlainBytes;
  private final int lookupTimeoutMs;
  private final ThreadPoolExecutor sender;
  private final ThreadPoolExecutor lookups;
  private final ThreadPoolExecutor unknownLookups;
  private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> deadLettered = new LinkedHashMap<>();
  private final Map<String, AtomicLong> lookupResults = new LinkedHashMap<>();
  private volatile boolean closed;

  /**
   * A publisher without a dead-letter topic: records Kafka refuses for good fail their batch non-retryably.
   *
   * @param producerProperties complete producer configuration (see {@link #producerDefaults}); serializers are set
   *     here
   * @param topic where records go whose batch names no topic of their own
   */
  public KafkaPublisher(Map<String, Object> producerProperties, String topic) {
    this(producerProperties, topic, null, Options.DEFAULTS);
  }

  /** Like {@link #KafkaPublisher(Map, String)}, dead-lettering to {@code deadLetterTopic} (null = none). */
  public KafkaPublisher(Map<String, Object> producerProperties, String topic, String deadLetterTopic) {
    this(producerProperties, topic, deadLetterTopic, Options.DEFAULTS);
  }

  public KafkaPublisher(Map<String, Object> producerProperties, String topic, String deadLetterTopic,
      Options options) {
    this(producerProperties, topic, deadLetterTopic, options, TopicFormats.DEFAULT);
  }

  /** Like {@link #KafkaPublisher(Map, String, String, Options)}, writing each topic in the format {@code formats} names. */
  public KafkaPublisher(Map<String, Object> producerProperties, String topic, String deadLetterTopic,
      Options options, TopicFormats formats) {
    this.formats = java.util.Objects.requireNonNull(formats, "formats");
    int maxRequest = Integer.parseInt(String.valueOf(producerProperties.getOrDefault(
        ProducerConfig.MAX_REQUEST_SIZE_CONFIG, String.valueOf(1 << 20))));
    this.maxValuePlainBytes = Math.max(1024, maxRequest - 16 * 1024);
    Map<String, Object> p = new HashMap<>(producerProperties);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.lookupTimeoutMs = (int) Math.min(Integer.MAX_VALUE,
        Long.parseLong(String.valueOf(p.getOrDefault(ProducerConfig.MAX_BLOCK_MS_CONFIG, "60000"))));
    this.topic = topic;
    this.deadLetterTopic = deadLetterTopic;
    this.options = options;
    for (String r : DEAD_LETTER_REASONS) {
      deadLettered.put(r, new AtomicLong());
    }
    for (String r : LOOKUP_RESULTS) {
      lookupResults.put(r, new AtomicLong());
    }
    // the same connection and security settings as the producer, nothing producer-only
    Map<String, Object> a = new HashMap<>();
    Set<String> adminKeys = AdminClientConfig.configNames();
    p.forEach((k, v) -> {
      if (adminKeys.contains(k)) {
        a.put(k, v);
      }
    });
    a.put(AdminClientConfig.CLIENT_ID_CONFIG, p.getOrDefault(ProducerConfig.CLIENT_ID_CONFIG, "sluice-collector")
        + "-lookup");
    this.producer = new KafkaProducer<>(p);
    try {
      this.admin = Admin.create(a);
    } catch (RuntimeException e) {
      producer.close(Duration.ZERO);
      throw e;
    }
    this.sender = executor(1, "sluice-publish", Integer.MAX_VALUE);
    this.lookups = executor(1, "sluice-publish-lookup", Integer.MAX_VALUE);
    // Each of these waits up to max.block.ms: a client inventing topic names must not queue up lookups (and pin the
    // in-flight bytes of the batches behind them) without bound; beyond this queue they fail retryably at once.
    this.unknownLookups = executor(options.unknownLookupThreads(), "sluice-publish-lookup-unknown",
        MAX_QUEUED_UNKNOWN_LOOKUPS);
  }

  /** Lookups of topics the broker reported unknown that may wait for a thread; more fail retryably. */
  static final int MAX_QUEUED_UNKNOWN_LOOKUPS = 64;

  private static ThreadPoolExecutor executor(int threads, String name, int queueCapacity) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(queueCapacity), r -> {
          Thread t = new Thread(r, threads == 1 ? name : name + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  @Override
  public CompletableFuture<Void> publish(PublishBatch batch) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    int n = batch.size();
    if (n == 0) {
      done.complete(null);
      return done;
    }
    if (closed) {
      done.completeExceptionally(new IllegalStateException("publisher is closed"));
      return done;
    }
    Job job = new Job(batch, done);
    String first = target(batch, 0);
    boolean oneTopic = true;
    for (int i = 1; i < n && oneTopic; i++) {
      String t = target(batch, i);
      oneTopic = t == first || t.equals(first);
    }
    if (oneTopic) {
      int[] all = new int[n];
      long bytes = 0;
      for (int i = 0; i < n; i++) {
        all[i] = i;
        bytes += batch.valueLength(i);
      }
      route(new Part(job, first, all, bytes, null, false, false));
      return done;
    }
    // several topics: one part per topic, each in batch order
    Map<String, int[]> indices = new LinkedHashMap<>();
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(target(batch, i), 1, Integer::sum);
    }
    Map<String, long[]> bytes = new HashMap<>();
    Map<String, Integer> filled = new HashMap<>();
    for (int i = 0; i < n; i++) {
      String t = target(batch, i);
      int[] idx = indices.computeIfAbsent(t, k -> new int[counts.get(k)]);
      int at = filled.merge(t, 1, Integer::sum) - 1;
      idx[at] = i;
      bytes.computeIfAbsent(t, k -> new long[1])[0] += batch.valueLength(i);
    }
    for (Map.Entry<String, int[]> e : indices.entrySet()) {
      route(new Part(job, e.getKey(), e.getValue(), bytes.get(e.getKey())[0], null, false, false));
    }
    return done;
  }

  private String target(PublishBatch batch, int i) {
    String t = batch.topic(i);
    return t == null ? topic : t;
  }

  /** Hands a part to its topic's lane, or dead-letters it at once when the name can never be a topic. */
  private void route(Part part) {
    Lane lane = lanes.get(part.topic);
    if (lane == null) {
      String problem = io.sluice.collector.route.Router.topicProblem(part.topic);
      if (problem != null) {
        lookupResults.get("invalid").incrementAndGet();
        deadLetter(part, "TOPIC_INVALID", problem);
        return;
      }
      lane = newLane(part.topic);
      if (lane == null) {
        part.job.fail(new PublishException("the collector already tracks " + options.maxTopics()
            + " topics waiting for metadata; retry", true));
        return;
      }
    }
    lane.submit(part);
  }

  private Lane newLane(String t) {
    if (lanes.size() >= options.maxTopics()) {
      lanes.values().removeIf(Lane::idle);
      if (lanes.size() >= options.maxTopics()) {
        return null;
      }
    }
    return lanes.computeIfAbsent(t, Lane::new);
  }

  /**
   * Sends {@code part}'s records to the dead-letter topic with {@code reason}, or fails its batch non-retryably if
   * that is impossible (no dead-letter topic, or the part was bound for it already).
   */
  private void deadLetter(Part part, String reason, String detail) {
    String text = reason + ": " + detail;
    if (deadLetterTopic == null) {
      part.job.fail(new PublishException(text + "; no dead-letter topic is configured", false));
      return;
    }
    if (part.topic.equals(deadLetterTopic) || part.reason != null) {
      // why it was being dead-lettered (the record's own reason, or the routed topic's), then why that failed
      String why = part.reason != null ? part.reason
          : part.indices.length > 0 ? part.job.batch.reason(part.indices[0]) : "";
      part.job.fail(new PublishException((why.isEmpty() ? "" : why + "; ") + "the dead-letter topic "
          + deadLetterTopic + " cannot take it either: " + text, false));
      return;
    }
    AtomicLong counter = deadLettered.get(reason);
    if (counter != null) {
      counter.addAndGet(part.indices.length);
    }
    boolean truncate = "RECORD_TOO_LARGE".equals(reason);
    route(new Part(part.job, deadLetterTopic, part.indices, part.bytes, text, truncate, truncate));
  }

  private void toSender(Part part) {
    try {
      sender.execute(new SendTask(part));
    } catch (RejectedExecutionException e) {
      part.job.fail(new IllegalStateException("publisher closed before the batch was sent"));
    }
  }

  /** On {@code sluice-publish}: the lane of {@code part.topic} is ready, so send() does not wait for metadata. */
  private void send(Part part) {
    if (part.perLine || formats.of(part.topic) == KafkaFormat.RECORD) {
      sendPerLine(part);
    } else {
      sendBatches(part);
    }
  }

  /**
   * The batch format: one Kafka record per dead-letter reason of {@code part}'s lines (one record when none is
   * being dead-lettered), value = those lines as a compressed LogBatch.
   */
  private void sendBatches(Part part) {
    Job job = part.job;
    PublishBatch batch = job.batch;
    if (part.reason != null || batch.reasons().isEmpty()) {
      sendBatch(part, part.indices, part.reason);
      return;
    }
    Map<String, List<Integer>> byReason = new LinkedHashMap<>();
    for (int i : part.indices) {
      byReason.computeIfAbsent(batch.reason(i), k -> new ArrayList<>()).add(i);
    }
    if (byReason.size() == 1) {
      String only = byReason.keySet().iterator().next();
      sendBatch(part, part.indices, only.isEmpty() ? null : only);
      return;
    }
    for (Map.Entry<String, List<Integer>> e : byReason.entrySet()) {
      if (job.done.isDone()) {
        return;
      }
      sendBatch(part, e.getValue().stream().mapToInt(Integer::intValue).toArray(),
          e.getKey().isEmpty() ? null : e.getKey());
    }
  }

  /**
   * Sends {@code indices} as batch-format records of at most {@link #maxValuePlainBytes} uncompressed bytes each, so
   * that a value stays within the producer's {@code max.request.size} even if it does not compress.
   */
  private void sendBatch(Part part, int[] indices, String reason) {
    PublishBatch batch = part.job.batch;
    DecodedBatch decoded = ownValues(batch, indices) ? null : batch.decoded();
    if (forwardable(batch, decoded, indices)) {
      sendBatchRecord(part, indices, reason); // the client's frame as it came: no need to cut it
      return;
    }
    long first = decoded == null ? 0 : decoded.resourceFieldBytes();
    long size = first;
    int from = 0;
    for (int k = 0; k < indices.length; k++) {
      // + tag and length
      long line = decoded == null ? batch.valueLength(indices[k]) + 6L : decoded.fieldLength(indices[k]);
      if (k > from && size + line > maxValuePlainBytes) {
        sendBatchRecord(part, Arrays.copyOfRange(indices, from, k), reason);
        from = k;
        size = first;
      }
      size += line;
    }
    sendBatchRecord(part, from == 0 ? indices : Arrays.copyOfRange(indices, from, indices.length), reason);
  }

  /** True if any of {@code indices} has a value of its own (a batch built from values, a line dead-lettered). */
  private static boolean ownValues(PublishBatch batch, int[] indices) {
    if (batch.decoded() == null) {
      return true;
    }
    for (int i : indices) {
      if (batch.hasOwnValue(i)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isWholeBatch(int[] indices, int size) {
    boolean whole = indices.length == size;
    for (int k = 0; whole && k < indices.length; k++) {
      whole = indices[k] == k;
    }
    return whole;
  }

  /**
   * True if {@code indices} can be sent as the client's own zstd frame: all of its lines, as sent, in a frame that
   * declares its size and fits a request.
   */
  private boolean forwardable(PublishBatch batch, DecodedBatch decoded, int[] indices) {
    return decoded != null && decoded.zstdFrame() != null && decoded.zstdFrame().length <= maxValuePlainBytes
        && isWholeBatch(indices, batch.size());
  }

  private void sendBatchRecord(Part part, int[] indices, String reason) {
    Job job = part.job;
    if (job.done.isDone()) {
      return; // an earlier part failed: the whole batch will be resent, don't add more duplicates
    }
    boolean wholeBatch = isWholeBatch(indices, job.batch.size());
    // the client's records as sent, the resource in a header; else (values of their own) each line's full value
    DecodedBatch decoded = ownValues(job.batch, indices) ? null : job.batch.decoded();
    List<Header> headers = new ArrayList<>(8);
    headers.add(job.source);
    headers.add(job.epoch);
    headers.add(job.seq);
    headers.add(job.tenant);
    headers.add(BATCH_SCHEMA_HEADER);
    headers.add(new RecordHeader(KafkaHeaders.COUNT, KafkaHeaders.int32(indices.length)));
    if (!wholeBatch) {
      headers.add(new RecordHeader(KafkaHeaders.INDEXES, KafkaHeaders.int32s(indices)));
    }
    if (reason != null) {
      headers.add(new RecordHeader(KafkaHeaders.REASON, reason.getBytes(StandardCharsets.UTF_8)));
    }
    if (decoded != null && job.resource != null) {
      headers.add(job.resource);
    }
    try {
      byte[] value = decoded == null ? batchWriter.write(job.slices, indices)
          : forwardable(job.batch, decoded, indices) ? decoded.zstdFrame()
          : batchWriter.write(decoded, indices);
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(part.topic, null, job.key, value,
          new RecordHeaders(headers.toArray(new Header[0])));
      producer.send(rec, (metadata, error) -> sentBatch(part, indices, reason, error));
    } catch (RuntimeException e) {
      sentBatch(part, indices, reason, e);
    }
  }

  /** Kafka's answer for one batch-format record: count its lines, or handle them per line, or fail the batch. */
  private void sentBatch(Part part, int[] indices, String reason, Exception error) {
    if (error == null) {
      kafkaRecordsSent.incrementAndGet();
      part.job.linesDone(indices.length);
      return;
    }
    String permanent = permanentReason(error);
    if (permanent == null) {
      if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
        Lane lane = lanes.get(part.topic);
        if (lane != null) {
          lane.suspect();
        }
      }
      part.job.fail(error);
      return;
    }
    long bytes = 0;
    for (int i : indices) {
      bytes += part.job.batch.valueLength(i);
    }
    if (permanent.startsWith("TOPIC_")) {
      Lane lane = lanes.get(part.topic);
      if (lane != null) {
        lane.suspect();
      }
      deadLetter(new Part(part.job, part.topic, indices, bytes, reason, false, false), permanent,
          "Kafka refused the record for topic " + part.topic + ": " + error);
      return;
    }
    // too large or invalid as a whole: send its lines one Kafka record each, so only the lines Kafka really refuses
    // are dead-lettered (and a too-large one truncated)
    batchFallbacks.incrementAndGet();
    toSender(new Part(part.job, part.topic, indices, bytes, reason, false, true));
  }

  /** The record format: one Kafka record per line of {@code part}. */
  private void sendPerLine(Part part) {
    Job job = part.job;
    PublishBatch batch = job.batch;
    Header reasonHeader = part.reason == null ? null
        : new RecordHeader(KafkaHeaders.REASON, part.reason.getBytes(StandardCharsets.UTF_8));
    for (int i : part.indices) {
      if (job.done.isDone()) {
        return; // an earlier record failed: the whole batch will be resent, don't add more duplicates
      }
      Header idx = new RecordHeader(KafkaHeaders.IDX, KafkaHeaders.int32(i));
      Header reason = reasonHeader;
      if (reason == null && !batch.reason(i).isEmpty()) {
        reason = new RecordHeader(KafkaHeaders.REASON, batch.reason(i).getBytes(StandardCharsets.UTF_8));
      }
      Header[] headers = reason == null
          ? new Header[] {job.source, job.epoch, job.seq, idx, job.tenant, SCHEMA_HEADER}
          : new Header[] {job.source, job.epoch, job.seq, idx, job.tenant, SCHEMA_HEADER, reason};
      byte[] value = part.truncate ? truncated(batch.value(i)) : batch.value(i);
      ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(part.topic, null, job.key, value,
          new RecordHeaders(headers));
      int index = i;
      try {
        producer.send(rec, (metadata, error) -> sent(part, index, error));
      } catch (RuntimeException e) {
        // e.g. RecordTooLargeException (max.request.size), TimeoutException, or the producer was closed
        sent(part, index, e);
      }
    }
  }

  /** Kafka's answer for one record of {@code part}: count it, or dead-letter it, or fail the batch. */
  private void sent(Part part, int index, Exception error) {
    if (error == null) {
      kafkaRecordsSent.incrementAndGet();
      part.job.linesDone(1);
      return;
    }
    String reason = permanentReason(error);
    if (reason == null) {
      if (error instanceof org.apache.kafka.common.errors.TimeoutException) {
        Lane lane = lanes.get(part.topic);
        if (lane != null) {
          lane.suspect(); // maybe the topic went away: look it up before its next send
        }
      }
      part.job.fail(error);
      return;
    }
    if (reason.startsWith("TOPIC_")) {
      Lane lane = lanes.get(part.topic);
      if (lane != null) {
        lane.suspect();
      }
    }
    deadLetter(new Part(part.job, part.topic, new int[] {index}, part.job.batch.valueLength(index), part.reason,
        false, true), reason, "Kafka refused the record for topic " + part.topic + ": " + error);
  }

  /**
   * The dead-letter reason for an error no resend can cure, or null for the retryable ones (timeouts, brokers down,
   * not enough replicas, a fenced or closed producer: the collector's or Kafka's trouble).
   */
  static String permanentReason(Throwable error) {
    if (error instanceof InvalidTopicException) {
      return "TOPIC_INVALID";
    }
    if (error instanceof TopicAuthorizationException) {
      return "TOPIC_UNAUTHORIZED";
    }
    if (error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException) {
      return "RECORD_TOO_LARGE";
    }
    if (error instanceof InvalidRecordException) {
      return "RECORD_INVALID";
    }
    return null;
  }

  private static byte[] truncated(byte[] value) {
    try {
      return io.sluice.collector.route.Router.truncatedCopy(LogRecord.parseFrom(value)).toByteArray();
    } catch (InvalidProtocolBufferException e) {
      return java.util.Arrays.copyOf(value, Math.min(value.length, 4096));
    }
  }

  /** Looks {@code lane}'s topic up off the send path; ends in {@link Lane#resolved} or {@link Lane#failed}. */
  private void lookup(Lane lane) {
    KafkaFuture<TopicDescription> described;
    try {
      described = admin.describeTopics(List.of(lane.topic), new DescribeTopicsOptions().timeoutMs(lookupTimeoutMs))
          .topicNameValues().get(lane.topic);
    } catch (RuntimeException e) {
      lane.failed(e);
      return;
    }
    described.whenComplete((description, error) -> {
      Throwable cause = unwrap(error);
      try {
        if (cause == null) {
          lookups.execute(() -> loadMetadata(lane, false));
        } else if (cause instanceof UnknownTopicOrPartitionException) {
          // a broker that auto-creates topics creates it on the producer's metadata request: wait for that, aside
          unknownLookups.execute(() -> loadMetadata(lane, true));
        } else if (cause instanceof TopicAuthorizationException) {
          lookupResults.get("unauthorized").incrementAndGet();
          lane.resolved("TOPIC_UNAUTHORIZED", "the collector may not describe or write topic " + lane.topic);
        } else if (cause instanceof InvalidTopicException) {
          lookupResults.get("invalid").incrementAndGet();
          lane.resolved("TOPIC_INVALID", "Kafka refuses the topic name " + lane.topic + ": " + cause.getMessage());
        } else {
          lane.failed(cause);
        }
      } catch (RejectedExecutionException e) {
        lane.failed(new IllegalStateException(closed ? "publisher closed" : MAX_QUEUED_UNKNOWN_LOOKUPS
            + " lookups of topics the broker does not know are already waiting; retry"));
      }
    });
  }

  private void loadMetadata(Lane lane, boolean reportedUnknown) {
    try {
      producer.partitionsFor(lane.topic);
      lane.resolved(null, null);
    } catch (org.apache.kafka.common.errors.TimeoutException e) {
      if (reportedUnknown) {
        lookupResults.get("missing").incrementAndGet();
        lane.resolved("TOPIC_MISSING", "topic " + lane.topic + " does not exist (the broker reported it unknown and "
            + "it did not appear within max.block.ms " + lookupTimeoutMs + " ms); create it or change routes");
      } else {
        lane.failed(e);
      }
    } catch (InvalidTopicException e) {
      lookupResults.get("invalid").incrementAndGet();
      lane.resolved("TOPIC_INVALID", "Kafka refuses the topic name " + lane.topic + ": " + e.getMessage());
    } catch (TopicAuthorizationException e) {
      lookupResults.get("unauthorized").incrementAndGet();
      lane.resolved("TOPIC_UNAUTHORIZED", "the collector may not write topic " + lane.topic);
    } catch (RuntimeException e) {
      lane.failed(e);
    }
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public void close(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    closed = true;
    lookups.shutdownNow();
    unknownLookups.shutdownNow();
    for (Lane lane : lanes.values()) {
      lane.failed(new IllegalStateException("publisher closed before the topic's metadata was known"));
    }
    sender.shutdown();
    try {
      if (!sender.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        failUnsent(sender.shutdownNow());
      }
    } catch (InterruptedException e) {
      failUnsent(sender.shutdownNow());
      Thread.currentThread().interrupt();
    }
    admin.close(Duration.ZERO);
    if (sender.isTerminated()) {
      batchWriter.close(); // else sluice-publish may still be in a write; the context is then left to the GC
    }
    // close() flushes what is buffered, then fails what is still unacknowledged at the deadline
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
  }

  private static void failUnsent(List<Runnable> unsent) {
    for (Runnable r : unsent) {
      if (r instanceof SendTask task) {
        task.part.job.fail(new IllegalStateException("publisher closed before the batch was sent"));
      }
    }
  }

  /** One part to send; kept as a type so that close() can fail the futures of batches it never sent. */
  private final class SendTask implements Runnable {
    final Part part;

    SendTask(Part part) {
      this.part = part;
    }

    @Override
    public void run() {
      send(part);
    }
  }

  /** Kafka records the broker acknowledged, of either format (a counter). */
  public long kafkaRecordsSent() {
    return kafkaRecordsSent.get();
  }

  /** Batch-format records the broker refused as too large or invalid, whose lines were then sent one by one. */
  public long batchFallbacks() {
    return batchFallbacks.get();
  }

  /** Number of parts waiting for the publishing thread (a gauge). */
  public int queuedBatches() {
    return sender.getQueue().size();
  }

  /** Records this publisher dead-lettered, by reason ({@link #DEAD_LETTER_REASONS}); a live view. */
  public Map<String, Long> deadLetteredByReason() {
    Map<String, Long> out = new LinkedHashMap<>();
    deadLettered.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Topic lookups finished, by result ({@link #LOOKUP_RESULTS}). */
  public Map<String, Long> lookupsByResult() {
    Map<String, Long> out = new LinkedHashMap<>();
    lookupResults.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Topics whose records wait for a lookup now (a gauge). */
  public long topicsAwaitingMetadata() {
    return lanes.values().stream().filter(Lane::lookingUp).count();
  }

  /** Topics found missing, invalid or unauthorized whose records are dead-lettered now (a gauge). */
  public long topicsUnusable() {
    return lanes.values().stream().filter(Lane::unusable).count();
  }

  /** One batch being published: its future, the records still unacknowledged, the headers all records share. */
  private static final class Job {
    final PublishBatch batch;
    final RecordSlices slices;
    final CompletableFuture<Void> done;
    final AtomicInteger remaining;
    final byte[] key;
    final Header source;
    final Header epoch;
    final Header seq;
    final Header tenant;
    final Header resource; // the batch format's sluice.resource, null when the batch has none

    Job(PublishBatch batch, CompletableFuture<Void> done) {
      this.batch = batch;
      this.slices = batch.slices();
      this.done = done;
      this.remaining = new AtomicInteger(batch.size());
      // Headers are read, never changed, once handed to the producer: those that are the same for every record of
      // the batch are built once and shared; only sluice.idx (and sluice.reason) is per record.
      this.key = batch.partitionKey().getBytes(StandardCharsets.UTF_8);
      this.source = new RecordHeader(KafkaHeaders.SOURCE, batch.source().getBytes(StandardCharsets.UTF_8));
      this.epoch = new RecordHeader(KafkaHeaders.EPOCH, KafkaHeaders.int64(batch.epoch()));
      this.seq = new RecordHeader(KafkaHeaders.SEQ, KafkaHeaders.int64(batch.sequence()));
      this.tenant = new RecordHeader(KafkaHeaders.TENANT, batch.tenant().getBytes(StandardCharsets.UTF_8));
      this.resource = batch.resource() == null ? null : new RecordHeader(KafkaHeaders.RESOURCE, batch.resource());
    }

    /** {@code n} lines were acknowledged by Kafka; the batch is done when all were. */
    void linesDone(int n) {
      if (remaining.addAndGet(-n) == 0) {
        done.complete(null);
      }
    }

    void fail(Throwable error) {
      done.completeExceptionally(error);
    }
  }

  /**
   * Records of one batch bound for one topic, in batch order.
   *
   * @param reason the {@code sluice.reason} for all of them when they are being dead-lettered by the publisher,
   *     else null (then each record's own reason from the batch, if any)
   * @param truncate send a truncated copy (a record the broker refused as too large)
   * @param perLine send one Kafka record per line whatever the topic's format (a truncated copy, a line being
   *     dead-lettered on its own, the lines of a batch-format record the broker refused)
   */
  private record Part(Job job, String topic, int[] indices, long bytes, String reason, boolean truncate,
      boolean perLine) {}

  private enum State { UNKNOWN, LOOKING_UP, READY, UNUSABLE }

  /** One topic: whether its metadata is known, and the parts that wait until it is. */
  private final class Lane {
    final String topic;
    // guarded by this
    private State state = State.UNKNOWN;
    private String problemReason;
    private String problem;
    private long untilNanos; // READY: verify after; UNUSABLE: look up again after
    private final ArrayDeque<Part> waiting = new ArrayDeque<>();
    private long waitingBytes;

    Lane(String topic) {
      this.topic = topic;
    }

    void submit(Part part) {
      String reason = null;
      String detail = null;
      boolean startLookup = false;
      synchronized (this) {
        long now = System.nanoTime();
        if (state == State.READY && now - untilNanos < 0) {
          untilNanos = now + options.verifyAfterIdle().toNanos();
          toSender(part); // under the lock: parts drained from waiting go first
          return;
        }
        if (state == State.UNUSABLE && now - untilNanos < 0) {
          reason = problemReason;
          detail = problem;
        } else {
          if (state == State.READY || state == State.UNUSABLE) {
            state = State.UNKNOWN; // verify an idle topic, or look a missing one up again
          }
          if (!waiting.isEmpty() && waitingBytes + part.bytes > options.maxWaitingBytesPerTopic()) {
            part.job.fail(new PublishException("topic " + topic + " has " + waitingBytes
                + " bytes waiting for its metadata (maxWaitingBytesPerTopic " + options.maxWaitingBytesPerTopic()
                + "); retry", true));
            return;
          }
          waiting.add(part);
          waitingBytes += part.bytes;
          if (state == State.UNKNOWN) {
            state = State.LOOKING_UP;
            startLookup = true;
          }
        }
      }
      if (reason != null) {
        deadLetter(part, reason, detail);
      } else if (startLookup) {
        lookup(this);
      }
    }

    /** The lookup ended: ready when {@code reason} is null, else unusable for {@code missingRecheck}. */
    void resolved(String reason, String detail) {
      List<Part> refused = List.of();
      synchronized (this) {
        long now = System.nanoTime();
        if (reason == null) {
          lookupResults.get("ready").incrementAndGet();
          state = State.READY;
          untilNanos = now + options.verifyAfterIdle().toNanos();
          for (Part p : waiting) {
            toSender(p);
          }
        } else {
          state = State.UNUSABLE;
          problemReason = reason;
          problem = detail;
          untilNanos = now + options.missingRecheck().toNanos();
          refused = new ArrayList<>(waiting);
        }
        waiting.clear();
        waitingBytes = 0;
      }
      if (reason != null) {
        log.warn("{}: {}; its records go to the dead-letter topic {} for the next {} s", reason, detail,
            deadLetterTopic, options.missingRecheck().toSeconds());
        for (Part p : refused) {
          deadLetter(p, reason, detail);
        }
      }
    }

    /** The lookup could not tell (Kafka unreachable, timeout): the waiting parts fail retryably. */
    void failed(Throwable error) {
      List<Part> failed;
      synchronized (this) {
        state = State.UNKNOWN;
        failed = new ArrayList<>(waiting);
        waiting.clear();
        waitingBytes = 0;
      }
      if (!failed.isEmpty()) {
        lookupResults.get("failed").incrementAndGet();
        log.warn("could not look up topic {}: {}", topic, error.toString());
      }
      for (Part p : failed) {
        p.job.fail(new PublishException("Kafka did not say whether topic " + topic + " exists: " + error, true,
            error));
      }
    }

    /** A send to this topic failed in a way that may mean it is gone: look it up before the next send. */
    synchronized void suspect() {
      if (state == State.READY) {
        untilNanos = System.nanoTime();
      }
    }

    synchronized boolean idle() {
      return state != State.LOOKING_UP && waiting.isEmpty();
    }

    synchronized boolean lookingUp() {
      return state == State.LOOKING_UP;
    }

    synchronized boolean unusable() {
      return state == State.UNUSABLE && System.nanoTime() - untilNanos < 0;
    }
  }
}
