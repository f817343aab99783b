package io.sluice.collector;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.sluice.collector.auth.TlsReloader;
import io.sluice.collector.auth.TlsSessions;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.collector.ingest.Admission;
import io.sluice.collector.ingest.BatchDecoder;
import io.sluice.collector.ingest.InFlightBudget;
import io.sluice.collector.ingest.IngestServiceImpl;
import io.sluice.collector.ingest.IngestSpans;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.collector.ingest.fluent.FluentListener;
import io.sluice.collector.ingest.fluent.FluentMetrics;
import io.sluice.collector.ingest.http.OtlpHttpHandler;
import io.sluice.collector.ingest.http.SluiceHttpHandler;
import io.sluice.collector.ingest.otlp.OtlpGrpcService;
import io.sluice.collector.limit.TenantLimiter;
import io.sluice.collector.ops.KafkaHealth;
import io.sluice.collector.ops.Liveness;
import io.sluice.collector.ops.OpsHttpServer;
import io.sluice.collector.publish.KafkaPublisher;
import io.sluice.collector.publish.Publisher;
import io.sluice.proto.v1.IngestServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
 *
 * <p>Beside the ingest service the gRPC server carries {@code grpc.health.v1.Health} (SERVING while Kafka metadata
 * is available), and an HTTP listener serves /livez, /readyz and /metrics ({@code http.listen}). Connections are
 * aged out after {@code maxConnectionAge} (an HTTP/2 GOAWAY, then {@code maxConnectionAgeGrace}) so long-lived
 * streams spread over new replicas. The dynamic configuration (tenants, auth, limits, routes) is re-read without a
 * restart from the config file, if there is one, or from a ZooKeeper node ({@code zookeeper.connect}).
 */
public final class Collector implements AutoCloseable {
  /**
   * The HTTP/2 flow-control window of the gRPC listener, per stream, in bytes: what a client can have sent on a stream
   * beyond what the collector read of it (read bytes go back in a WINDOW_UPDATE once half a window was read). It is
   * the only transport bound: grpc-netty's server refills the connection-level window as data arrives, so a
   * connection can park its open streams times this window.
   */
  public static final int FLOW_CONTROL_WINDOW_BYTES = 1 << 20;

  private static final Logger log = LoggerFactory.getLogger(Collector.class);

  private final CollectorConfig config;
  private final CollectorMetrics metrics;
  private final EmbeddedKafka embedded;
  private final String bootstrap;
  private final Publisher publisher;
  private final IngestServiceImpl ingest;
  private final RequestIngest requests;
  private final Server server;
  private final HealthStatusManager health;
  private final KafkaHealth kafkaHealth;
  private final OpsHttpServer http;
  private final ConfigReloader reloader;
  private final AtomicReference<Policy> policy;
  private final Liveness liveness;
  private final FluentListener fluent;
  private volatile boolean draining;
  private volatile TlsReloader tlsReloader; // null without TLS
  private boolean closed; // guarded by this

  private Collector(CollectorConfig config, CollectorMetrics metrics, EmbeddedKafka embedded, String bootstrap,
      Publisher publisher, IngestServiceImpl ingest, RequestIngest requests, Server server, HealthStatusManager health,
      KafkaHealth kafkaHealth, OpsHttpServer http, ConfigReloader reloader, AtomicReference<Policy> policy,
      Liveness liveness, FluentListener fluent) {
    this.liveness = liveness;
    this.fluent = fluent;
    this.health = health;
    this.kafkaHealth = kafkaHealth;
    this.http = http;
    this.reloader = reloader;
    this.policy = policy;
    this.config = config;
    this.metrics = metrics;
    this.embedded = embedded;
    this.bootstrap = bootstrap;
    this.publisher = publisher;
    this.ingest = ingest;
    this.requests = requests;
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
      Map<String, Object> props = KafkaPublisher.producerDefaults(bootstrap, config.kafkaFormat());
      props.putAll(config.producerOverrides());
      java.util.Set<Thread> before = Liveness.threadsNow();
      publisher = new KafkaPublisher(props, config.topic(), config.deadLetterTopic(), KafkaPublisher.Options.DEFAULTS,
          new io.sluice.collector.publish.TopicFormats(config.kafkaFormat(), config.topicFormats()));
      // the producer's network thread and the publisher's send thread: if one dies (an OutOfMemoryError), nothing
      // is published again
      List<Thread> producerThreads = Liveness.newThreads(before, "kafka-producer-network-thread");
      return start(config, publisher, embedded, bootstrap, true, producerThreads);
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
    return start(config, publisher, null, config.kafkaBootstrap(), false, List.of());
  }

  private static Collector start(CollectorConfig config, Publisher publisher, EmbeddedKafka embedded,
      String bootstrap, boolean watchKafka, List<Thread> producerThreads) throws IOException {
    config.checkAuthentication();
    Liveness.installUncaughtHandler();
    Liveness liveness = new Liveness();
    liveness.watch("Kafka producer network thread", producerThreads);
    if (embedded != null) {
      EmbeddedKafka broker = embedded;
      liveness.check(() -> {
        String dead = broker.deadThread();
        return dead == null ? null : "embedded Kafka: " + dead;
      });
    }
    CollectorMetrics metrics = new CollectorMetrics();
    AtomicReference<Policy> policy = new AtomicReference<>(Policy.of(config));
    TenantLimiter limiter = new TenantLimiter(config, System::nanoTime);
    if (config.anonymous()) {
      log.warn("anonymous clients are accepted (auth.anonymous: true); configure tenants with apiKeys, mtlsSubjects "
          + "or auth.oidc for production");
    }
    InFlightBudget budget = new InFlightBudget(config.maxInFlightBytes());
    IngestSpans spans = new IngestSpans(config.openTelemetry());
    Admission admission = new Admission(publisher, budget, metrics, policy::get, limiter,
        config.maxRecordsPerBatch(), config.maxResourceBytes(), config.maxEnrichedBatchBytes(),
        config.resendWindow(), config.resendSources());
    IngestServiceImpl ingest = new IngestServiceImpl(admission,
        new BatchDecoder(config.maxFrameBytes(), config.maxDecompressedBytes()),
        budget, config.maxInFlightBytesPerStream(), config.retryAfterMs(), metrics, policy::get, spans);
    metrics.openStreamsGauge(ingest::openStreams);
    if (publisher instanceof KafkaPublisher kp) {
      metrics.publisherGauges(kp::deadLetteredByReason, kp::lookupsByResult, kp::topicsAwaitingMetadata,
          kp::topicsUnusable);
    }
    RequestIngest requests = new RequestIngest(admission, budget, metrics, policy::get,
        java.util.UUID.randomUUID().toString(), System.currentTimeMillis(), spans);
    HealthStatusManager health = new HealthStatusManager();
    String serviceName = IngestServiceGrpc.SERVICE_NAME;
    KafkaHealth kafkaHealth = null;
    OpsHttpServer http = null;
    ConfigReloader reloader = null;
    Server server = null;
    FluentListener fluent = null;
    TlsReloader tlsReloader = null;
    try {
      if (watchKafka) {
        kafkaHealth = new KafkaHealth(bootstrap, 1000, ok -> {
          ServingStatus st = ok ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
          health.setStatus("", st);
          health.setStatus(serviceName, st);
        });
        KafkaHealth kh = kafkaHealth;
        metrics.kafkaReadyGauge(kh::ready);
        liveness.watch("Kafka admin client and checker behind /readyz", kh.threads());
      }
      io.prometheus.metrics.core.metrics.GaugeWithCallback.builder().name("sluice_collector_live")
          .help("1 while /livez answers 200, else 0 (a watched thread died or an OutOfMemoryError was seen)")
          .callback(cb -> cb.call(liveness.problem() == null ? 1 : 0)).register(metrics.registry());
      ServingStatus initial = kafkaHealth == null || kafkaHealth.ready() ? ServingStatus.SERVING
          : ServingStatus.NOT_SERVING;
      health.setStatus("", initial);
      health.setStatus(serviceName, initial);
      // gRPC refuses bigger messages itself (RESOURCE_EXHAUSTED) before we allocate them; the slack is the frame's
      // non-payload fields, the payload rule is checked by BatchDecoder for a clear Nack.
      NettyServerBuilder sb = NettyServerBuilder.forAddress(
          new InetSocketAddress(config.listenHost(), config.listenPort()))
          .maxInboundMessageSize(config.maxFrameBytes() + 1024)
          .maxConcurrentCallsPerConnection(config.maxStreamsPerConnection())
          // A fixed HTTP/2 window (gRPC's BDP auto-tuning off): what a client can have in flight before the
          // collector reads it stays 1 MiB per stream, not up to 8 MiB as the tuning measures the link. The bytes a
          // client can park in the collector do not depend on timing (in one CI run FlowControlTest's client was
          // never told to stop writing: a window tuned up to 8 MiB holds a stream's 30 unread ~260 KB frames, and
          // the connection's window, refilled as data arrives, does not stop it). 1 MiB per round trip: 1 GB/s at 1 ms.
          .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
          // Tolerate the keepalive pings Sluice's clients send (every 30 s by default, 10 s at least), with or
          // without an open stream, instead of gRPC's 5-minute minimum that answers them with GOAWAY too_many_pings.
          .permitKeepAliveTime(config.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
          .permitKeepAliveWithoutCalls(true)
          .addService(ServerInterceptors.intercept(ingest.safeDefinition(), new TlsSessions()))
          .addService(ServerInterceptors.intercept(new OtlpGrpcService(requests).safeDefinition(), new TlsSessions(),
              OtlpGrpcService.headers()))
          .addService(health.getHealthService());
      if (!config.maxConnectionAge().isZero()) {
        sb.maxConnectionAge(config.maxConnectionAge().toMillis(), TimeUnit.MILLISECONDS)
            .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toMillis(), TimeUnit.MILLISECONDS);
      }
      if (config.tls() != null) {
        // the certificate and key follow their files (reloaded every reloadInterval), the listener stays up
        tlsReloader = new TlsReloader(config.tls(), config.reloadInterval(),
            metrics.registry());
        sb.sslContext(tlsReloader.grpcContext());
      }
      server = sb.build().start();
      Collector[] self = new Collector[1];
      if (config.httpListen() != null) {
        String hl = config.httpListen();
        int colon = hl.lastIndexOf(':');
        String host = hl.substring(0, colon).replace("[", "").replace("]", "");
        KafkaHealth kh = kafkaHealth;
        javax.net.ssl.SSLContext httpsContext = config.httpTls() ? tlsReloader.jdkContext() : null;
        boolean needClientCert = config.httpTls() && config.tls().clientCaFile() != null
            && config.tls().requireClientCert();
        http = new OpsHttpServer(host, Integer.parseInt(hl.substring(colon + 1)), httpsContext, needClientCert,
            config.httpMaxConcurrentRequests(), metrics.registry(), liveness::problem, () -> {
              if (self[0] != null && self[0].draining) {
                return "shutting down";
              }
              return kh == null || kh.ready() ? null : kh.lastError();
            });
        http.addContext("/v1/logs", new OtlpHttpHandler(requests, config.maxFrameBytes(),
            config.maxDecompressedBytes()));
        http.addContext(SluiceHttpHandler.PATH, new SluiceHttpHandler(requests, config.maxFrameBytes(),
            config.maxDecompressedBytes()));
        http.addContext(SluiceHttpHandler.OPENAPI_PATH, SluiceHttpHandler.openApiHandler(), "GET", "HEAD");
      }
      if (config.fluent() != null) {
        // the Fluent forward protocol: the same request ingest (auth fallback, limits, routing, Kafka acks first)
        fluent = new FluentListener(config.fluent(), requests, policy::get, metrics,
            config.maxInFlightBytes());
        liveness.watch("Fluent forward acceptor", fluent.threads());
      }
      if (config.configFile() != null || config.zookeeperConnect() != null) {
        java.util.Set<Thread> beforeReloader = Liveness.threadsNow();
        reloader = new ConfigReloader(config, next -> {
          policy.set(Policy.of(next));
          limiter.update(next);
        }, metrics);
        liveness.watch("configuration reloader", Liveness.newThreads(beforeReloader, "sluice-config-reload"));
      }
      Collector c = new Collector(config, metrics, embedded, bootstrap, publisher, ingest, requests, server, health,
          kafkaHealth, http, reloader, policy, liveness, fluent);
      c.tlsReloader = tlsReloader;
      self[0] = c;
      return c;
    } catch (IOException | RuntimeException e) {
      if (tlsReloader != null) tlsReloader.close();
      if (reloader != null) reloader.close();
      if (fluent != null) fluent.close();
      if (http != null) http.close();
      if (server != null) server.shutdownNow();
      if (kafkaHealth != null) kafkaHealth.close();
      liveness.close();
      throw e;
    }
  }

  private static void createTopic(String bootstrap, CollectorConfig config) {
    Map<String, Object> props = new HashMap<>();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    try (Admin admin = Admin.create(props)) {
      for (String topic : List.of(config.topic(), config.deadLetterTopic())) {
        try {
          admin.createTopics(List.of(new NewTopic(topic, config.topicPartitions(), config.topicReplicationFactor())))
              .all().get(30, TimeUnit.SECONDS);
          log.info("created topic {} ({} partitions)", topic, config.topicPartitions());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic + " at " + bootstrap + ": "
                + e.getCause().getMessage() + " (set kafka.createTopic: false if it is managed elsewhere)",
                e.getCause());
          }
        }
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

  /** The bound HTTP port of /livez, /readyz, /metrics, or -1 when {@code http.listen} is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** The bound port of the Fluent forward listener, or -1 when {@code fluent} is off. */
  public int fluentPort() {
    return fluent == null ? -1 : fluent.port();
  }

  /** The Fluent forward listener's counters, or null when {@code fluent} is off. */
  public FluentMetrics fluentMetrics() {
    return fluent == null ? null : fluent.metrics();
  }

  /** The TLS certificate watcher, or null when the collector listens in plaintext. */
  public TlsReloader tlsReloader() {
    return tlsReloader;
  }

  /** The dynamic policy in force (changes on reload). */
  public Policy policy() {
    return policy.get();
  }

  /** The Prometheus registry /metrics serves. */
  public io.prometheus.metrics.model.registry.PrometheusRegistry registry() {
    return metrics.registry();
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

  /** The live counters (those not in {@link CollectorMetrics.Snapshot} included). */
  public CollectorMetrics collectorMetrics() {
    return metrics;
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
    liveness.close(); // threads end on purpose from now on
    Duration timeout = config.shutdownTimeout();
    long deadline = System.nanoTime() + timeout.toNanos();
    draining = true; // /readyz says 503 from now on
    health.enterTerminalState();
    if (reloader != null) {
      reloader.close();
    }
    if (tlsReloader != null) {
      tlsReloader.close();
    }
    server.shutdown(); // no new streams
    if (fluent != null) {
      fluent.stopAccepting(); // no new Fluent connections; open ones finish the message they are in
    }
    ingest.drain(); // no new frames on open streams
    requests.drain(); // no new OTLP / HTTP requests
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
    if (fluent != null) {
      fluent.close(); // after the publisher: messages Kafka acknowledged while it flushed have had their acks
    }
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
    if (http != null) {
      http.close();
    }
    if (kafkaHealth != null) {
      kafkaHealth.close();
    }
    if (embedded != null) {
      try {
        embedded.close();
      } catch (RuntimeException e) {
        // every node was stopped; the cluster reports a fault it had recorded (liveness reported it already)
        log.warn("the embedded Kafka broker reported an error while closing: {}", e.toString());
      }
    }
  }
}
