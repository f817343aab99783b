package io.sluice.collector;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.collector.ingest.BatchDecoder;
import io.sluice.collector.ingest.InFlightBudget;
import io.sluice.collector.ingest.IngestServiceImpl;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.collector.publish.Publisher;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running collector: the gRPC ingest server, its Kafka publisher and, optionally, an embedded broker. Start with
 * {@link #start(CollectorConfig)}; {@link #close()} shuts down gracefully: no new streams, no new frames, wait (up to
 * {@code shutdownTimeout}) for in-flight batches to be acknowledged or nacked, GoAway to open streams, flush and
 * close the producer, stop the embedded broker. Thread-safe; close is idempotent.
 */
public final class Collector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Collector.class);

  private final CollectorConfig config;
  private final CollectorMetrics metrics;
  private final EmbeddedKafka embedded;
  private final String bootstrap;
  private final Publisher publisher;
  private final IngestServiceImpl ingest;
  private final Server server;
  private boolean closed; // guarded by this

  private Collector(CollectorConfig config, CollectorMetrics metrics, EmbeddedKafka embedded, String bootstrap,
      Publisher publisher, IngestServiceImpl ingest, Server server) {
    this.config = config;
    this.metrics = metrics;
    this.embedded = embedded;
    this.bootstrap = bootstrap;
    this.publisher = publisher;
    this.ingest = ingest;
    this.server = server;
  }

  /** Starts a collector publishing to Kafka (embedded or at {@code kafkaBootstrap}); creates the topic if asked. */
  public static Collector start(CollectorConfig config) throws IOException {
    EmbeddedKafka embedded = null;
    Publisher publisher = null;
    try {
      String bootstrap = config.kafkaBootstrap();
      if (config.embeddedKafka()) {
        EmbeddedKafka.Builder b = EmbeddedKafka.builder();
        if (config.embeddedKafkaDir() != null) {
          b.baseDir(config.embeddedKafkaDir());
        }
        embedded = b.start();
        bootstrap = embedded.bootstrapServers();
      }
      if (config.createTopic()) {
        createTopic(bootstrap, config);
      }
      Map<String, Object> props = KafkaPublisher.producerDefaults(bootstrap);
      props.putAll(config.producerOverrides());
      publisher = new KafkaPublisher(props, config.topic());
      return start(config, publisher, embedded, bootstrap);
    } catch (IOException | RuntimeException e) {
      if (publisher != null) {
        publisher.close(Duration.ZERO);
      }
      if (embedded != null) {
        embedded.close();
      }
      throw e;
    }
  }

  /**
   * Starts the ingest server over a publisher of the caller's (tests, other sinks). The collector closes it.
   * Ignores the config's Kafka settings.
   */
  public static Collector start(CollectorConfig config, Publisher publisher) throws IOException {
    return start(config, publisher, null, config.kafkaBootstrap());
  }

  private static Collector start(CollectorConfig config, Publisher publisher, EmbeddedKafka embedded,
      String bootstrap) throws IOException {
    CollectorMetrics metrics = new CollectorMetrics();
    IngestServiceImpl ingest = new IngestServiceImpl(publisher,
        new BatchDecoder(config.maxFrameBytes(), config.maxDecompressedBytes()),
        new InFlightBudget(config.maxInFlightBytes()), config.maxInFlightBytesPerStream(), config.retryAfterMs(),
        metrics);
    // gRPC refuses bigger messages itself (RESOURCE_EXHAUSTED) before we allocate them; the slack is the frame's
    // non-payload fields, the payload rule is checked by BatchDecoder for a clear Nack.
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress(config.listenHost(), config.listenPort()))
        .maxInboundMessageSize(config.maxFrameBytes() + 1024)
        .addService(ingest)
        .build()
        .start();
    return new Collector(config, metrics, embedded, bootstrap, publisher, ingest, server);
  }

  private static void createTopic(String bootstrap, CollectorConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    try (Admin admin = Admin.create(props)) {
      admin.createTopics(List.of(
              new NewTopic(config.topic(), config.topicPartitions(), config.topicReplicationFactor())))
          .all().get(30, TimeUnit.SECONDS);
      log.info("created topic {} ({} partitions)", config.topic(), config.topicPartitions());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic " + config.topic() + " at " + bootstrap + ": "
            + e.getCause().getMessage() + " (set kafka.createTopic: false if it is managed elsewhere)", e.getCause());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic " + config.topic(), e);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Kafka at " + bootstrap + " did not answer within 30 s while creating topic "
          + config.topic() + "; check kafka.bootstrap", e);
    }
  }

  /** The bound gRPC port (the real one when the config said 0). */
  public int port() {
    return server.getPort();
  }

  /** Kafka bootstrap servers the collector publishes to (the embedded broker's when embedded). */
  public String bootstrapServers() {
    return bootstrap;
  }

  /** The embedded broker, or null. */
  public EmbeddedKafka embeddedKafka() {
    return embedded;
  }

  public CollectorConfig config() {
    return config;
  }

  public CollectorMetrics.Snapshot metrics() {
    return metrics.snapshot();
  }

  /** Blocks until the server has terminated (after {@link #close()}). */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Graceful shutdown, bounded by {@code shutdownTimeout}; see the class comment. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    Duration timeout = config.shutdownTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    server.shutdown(); // no new streams
    ingest.drain(); // no new frames on open streams
    boolean idle;
    try {
      idle = ingest.awaitIdle(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      idle = false;
    }
    if (!idle) {
      log.warn("{} batches were still waiting for Kafka after {}; they are nacked as retryable",
          ingest.inFlightBatches(), timeout);
    }
    ingest.goAwayAll("collector shutting down");
    publisher.close(Duration.ofNanos(Math.max(TimeUnit.SECONDS.toNanos(1), deadline - System.nanoTime())));
    try {
      // every stream has had its GoAway: nothing is left to drain, so connections the clients keep open are cut
      // after a short grace instead of holding the exit until the deadline
      long graceMs = Math.min(2000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (!server.awaitTermination(graceMs, TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    if (embedded != null) {
      embedded.close();
    }
  }
}
