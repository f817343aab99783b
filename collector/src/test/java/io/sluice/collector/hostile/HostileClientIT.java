package io.sluice.collector.hostile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.luben.zstd.Zstd;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.Http;
import io.sluice.collector.IngestClient;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.Nack;
import io.sluice.proto.v1.ServerFrame;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The collector's hostile-client suite (issue 14, collector findings 1, 4, 5, 7 and resend suppression): each test
 * is an attack a client can make with valid credentials, against a real collector on 127.0.0.1, the shared in-JVM
 * KRaft broker and real gRPC. Each failed on the collector before the admission stage ({@code ingest/Admission}).
 * Heap figures ("[heap] ...") are printed for the report: used heap after a full GC before and after each attack,
 * and the heap pools' summed peak during it (an upper bound, garbage included; the broker shares this JVM).
 *
 * <p>Only APIs that existed before the fix are used (nack reasons as text, new metrics read from /metrics), so the
 * suite compiles and fails against the old code.
 */
class HostileClientIT {
  private static final String KEY = "hostile-key";

  private static CollectorConfig.Builder base(String topic) {
    return CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(SharedKafka.bootstrap())
        .topic(topic).createTopic(false).shutdownTimeout(Duration.ofSeconds(5));
  }

  private static CollectorConfig.Builder metered(String topic, RateLimit limit) {
    return base(topic).anonymous(false)
        .tenant(new TenantConfig("metered", List.of(Authenticator.sha256Hex(KEY)), List.of(), List.of(), limit));
  }

  private static ClientFrame keyHello(String clientId) {
    return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClientId(clientId).setEpoch(1)
        .setProtocolVersion(1).setCredentials(KEY)).build();
  }

  // ---- finding 1: resource amplification

  @Test
  void aHugeBatchResourceIsRefusedBeforeItIsCopiedIntoEveryRecord() throws Exception {
    String topic = SharedKafka.newTopic("hostile-amp", 1);
    try (Collector c = Collector.start(base(topic).build()); IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("amp", 1));
      // 900 KB resource attribute and 1,000 tiny records: a frame of about a hundred bytes that, enriched, is 900 MB
      ClientFrame attack = Frames.zstdBatch(1, Frames.logBatch("r", 1000, Frames.kv("blob", "x".repeat(900_000))));
      System.out.println("[hostile] 900 KB resource x 1000 records: zstd payload "
          + attack.getBatch().getPayload().size() + " bytes");
      Heap heap = Heap.start();
      s.send(attack);
      Nack nack = s.next().getNack();
      heap.report("batch resource 900 KB x 1000 records");
      assertThat(nack.getSequence()).isEqualTo(1);
      assertThat(nack.getReason()).startsWith("RESOURCE_TOO_LARGE").contains("limits.maxResourceBytes");
      assertThat(nack.getRetryable()).isFalse();

      // a resource under the cap, copied into so many records that the batch would produce over 64 MiB
      ClientFrame wide = Frames.zstdBatch(2, Frames.logBatch("w", 1200, Frames.kv("blob", "y".repeat(60_000))));
      heap = Heap.start();
      s.send(wide);
      Nack enriched = s.next().getNack();
      heap.report("batch resource 60 KB x 1200 records (72 MB enriched)");
      assertThat(enriched.getReason()).startsWith("ENRICHED_TOO_LARGE").contains("limits.maxEnrichedBatchBytes");
      assertThat(enriched.getRetryable()).isFalse();

      // the stream goes on, and an honest batch is published; nothing of the attacks reached Kafka
      s.send(Frames.zstdBatch(3, Frames.logBatch("ok", 3)));
      assertThat(s.next().getAck().getSequence()).isEqualTo(3);
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(3);
    }
  }

  @Test
  void aHugeHelloResourceEndsTheStreamBeforeAnyBatch() throws Exception {
    String topic = SharedKafka.newTopic("hostile-hello", 1);
    try (Collector c = Collector.start(base(topic).build()); IngestClient client = new IngestClient(c.port())) {
      Heap heap = Heap.start();
      IngestClient.Stream s = client.open().send(Frames.hello("amp", 1, Frames.kv("blob", "x".repeat(900_000))));
      s.send(Frames.zstdBatch(1, Frames.logBatch("r", 20)));
      Status closed = s.awaitClose();
      heap.report("Hello resource 900 KB");
      assertThat(closed.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(closed.getDescription()).contains("Hello.resource").contains("limits.maxResourceBytes");
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isZero();
    }
  }

  @Test
  void theTenantByteLimitIsChargedWithTheBytesReallyProduced() throws Exception {
    String topic = SharedKafka.newTopic("hostile-metered", 1);
    try (Collector c = Collector.start(metered(topic, new RateLimit(0, 20_000, 1)).build());
        IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(keyHello("m"));
      // ~17 KB decoded, under the 20,000 B burst; ~620 KB once each record carries the 1.5 KB resource
      LogBatch amplified = Frames.logBatch("r", 400, Frames.kv("pad", "p".repeat(1500)));
      assertThat(amplified.getSerializedSize()).isLessThan(20_000);
      s.send(Frames.zstdBatch(1, amplified));
      assertThat(s.next().getAck().getSequence()).isEqualTo(1); // a full bucket lets one oversized batch pass...
      s.send(Frames.zstdBatch(2, Frames.logBatch("small", 1)));
      Nack nack = s.next().getNack(); // ...as a debt of ~600 KB at 20,000 B/s: about 30 s
      assertThat(nack.getReason()).startsWith("RATE_LIMITED");
      assertThat(nack.getRetryAfterMs()).isGreaterThan(10_000);
      assertThat(metric(c, "sluice_collector_tenant_bytes_total{tenant=\"metered\"}")).isGreaterThan(600_000);
    }
  }

  // ---- finding 4: declared numbers are checked, never charged

  @Test
  void aDeclaredRecordCountIsNeverChargedToTheTenant() throws Exception {
    String topic = SharedKafka.newTopic("hostile-count", 1);
    try (Collector c = Collector.start(metered(topic, new RateLimit(1000, 0, 1)).build());
        IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream liar = client.open().send(keyHello("liar"));
      byte[] one = Frames.logBatch("one", 1).toByteArray();
      liar.send(Frames.batch(1, Codec.CODEC_ZSTD, Zstd.compress(one), 100_000, one.length));
      assertThat(liar.next().getNack().getReason()).startsWith("COUNT_MISMATCH");

      IngestClient.Stream honest = client.open().send(keyHello("honest"));
      honest.send(Frames.zstdBatch(1, Frames.logBatch("h", 10)));
      ServerFrame answer = honest.next();
      assertThat(answer.hasAck()).as("another client of the tenant is not throttled by the lie: %s", answer).isTrue();
    }
  }

  @Test
  void aDeclaredSizeOf2To62NeitherOverflowsTheWaitNorLocksTheTenantOut() throws Exception {
    String topic = SharedKafka.newTopic("hostile-size", 1);
    try (Collector c = Collector.start(metered(topic, new RateLimit(0, 20_000, 1)).build());
        IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(keyHello("s"));
      byte[] one = Frames.logBatch("one", 1).toByteArray();
      s.send(Frames.batch(1, Codec.CODEC_ZSTD, Zstd.compress(one), 1, 1L << 62));
      assertThat(s.next().getNack().getReason()).startsWith("DECOMPRESSED_TOO_LARGE");
      s.send(Frames.zstdBatch(2, Frames.logBatch("h", 10)));
      ServerFrame answer = s.next();
      assertThat(answer.hasAck()).as("the tenant is not locked out: %s", answer).isTrue();
    }
  }

  @Test
  void unsignedDeclaredNumbersAtTheirMaximumAreTooLargeNotNegative() throws Exception {
    String topic = SharedKafka.newTopic("hostile-unsigned", 1);
    try (Collector c = Collector.start(base(topic).build()); IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream s = client.open().send(Frames.hello("u", 1));
      byte[] one = Frames.logBatch("one", 1).toByteArray();
      s.send(Frames.batch(1, Codec.CODEC_ZSTD, Zstd.compress(one), 1, -1L)); // uncompressed_size 2^64-1
      assertThat(s.next().getNack().getReason()).startsWith("DECOMPRESSED_TOO_LARGE").contains("18446744073709551615");
      s.send(Frames.batch(2, Codec.CODEC_ZSTD, Zstd.compress(one), -1, one.length)); // record_count 2^32-1
      assertThat(s.next().getNack().getReason()).startsWith("TOO_MANY_RECORDS").contains("4294967295");
    }
  }

  // ---- finding 5: a client that never reads its acks

  @Test
  void aClientThatNeverReadsItsAcksStopsBeingReadAndResumesWhenItReads() throws Exception {
    String topic = SharedKafka.newTopic("hostile-unread", 1);
    int sent = 30_000;
    try (Collector c = Collector.start(base(topic).build())) {
      // a small HTTP/2 window (no auto-tuning) so the acks the client leaves unread fill it quickly
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", c.port()).usePlaintext()
          .flowControlWindow(64 * 1024).build();
      try {
        AtomicReference<ClientCallStreamObserver<ClientFrame>> requests = new AtomicReference<>();
        AtomicInteger acks = new AtomicInteger();
        IngestServiceGrpc.newStub(channel).stream(new ClientResponseObserver<ClientFrame, ServerFrame>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ClientFrame> r) {
            requests.set(r);
            r.disableAutoInboundFlowControl(); // asks for no server frame beyond the first
          }

          @Override
          public void onNext(ServerFrame f) {
            if (f.hasAck()) {
              acks.incrementAndGet();
            }
          }

          @Override
          public void onError(Throwable t) {}

          @Override
          public void onCompleted() {}
        });
        Heap heap = Heap.start();
        byte[] one = Frames.logBatch("u", 1).toByteArray();
        requests.get().onNext(Frames.hello("unread", 1));
        for (int i = 1; i <= sent; i++) {
          requests.get().onNext(Frames.batch(i, Codec.CODEC_NONE, one, 1, one.length));
        }
        await().atMost(Duration.ofSeconds(60))
            .until(() -> metric(c, "sluice_collector_streams_not_reading_acks") == 1.0);
        long[] received = {c.metrics().batchesReceived()};
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30)).until(() -> {
          long now = c.metrics().batchesReceived();
          boolean same = now == received[0];
          received[0] = now;
          return same;
        });
        heap.report("client never reads acks, " + received[0] + " of " + sent + " batches taken, unread frames "
            + (long) metric(c, "sluice_collector_unread_frames"));
        assertThat(received[0]).isLessThan(sent);
        assertThat(metric(c, "sluice_collector_unread_ack_pauses_total")).isPositive();

        requests.get().request(Integer.MAX_VALUE); // the client reads at last: everything is taken and acked
        await().atMost(Duration.ofSeconds(120)).until(() -> acks.get() == sent);
        assertThat(metric(c, "sluice_collector_streams_not_reading_acks")).isZero();
        assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(sent);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  // ---- finding 7: undecodable frames

  @Test
  void garbageAndDeepFramesGetInvalidArgumentWithoutAStackTracePerFrame() throws Exception {
    String topic = SharedKafka.newTopic("hostile-garbage", 1);
    List<LogRecord> severe = new CopyOnWriteArrayList<>();
    Handler grpcLog = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
          severe.add(r);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    java.util.logging.Logger grpc = java.util.logging.Logger.getLogger("io.grpc");
    grpc.addHandler(grpcLog);
    ch.qos.logback.classic.Logger ingestLog =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger("io.sluice.collector.ingest");
    ListAppender<ILoggingEvent> ours = new ListAppender<>();
    ours.start();
    ingestLog.addAppender(ours);
    try (Collector c = Collector.start(base(topic).build())) {
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", c.port()).usePlaintext()
          .maxInboundMessageSize(8 << 20).build();
      try {
        byte[] garbage = new byte[64];
        java.util.Arrays.fill(garbage, (byte) 0xFF);
        byte[] deep = deepFrame(10_000);
        int frames = 20;
        for (int i = 0; i < frames; i++) {
          Status s = sendRaw(channel, IngestServiceGrpc.getStreamMethod().getFullMethodName(),
              MethodDescriptor.MethodType.BIDI_STREAMING, i % 2 == 0 ? garbage : deep);
          assertThat(s.getCode()).as("frame %d: %s", i, s).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(s.getDescription()).contains("not a sluice.v1.ClientFrame");
        }
        Status otlp = sendRaw(channel, LogsServiceGrpc.getExportMethod().getFullMethodName(),
            MethodDescriptor.MethodType.UNARY, garbage);
        assertThat(otlp.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(metric(c, "sluice_collector_undecodable_frames_total")).isEqualTo(frames + 1);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      grpc.removeHandler(grpcLog);
      ingestLog.detachAppender(ours);
    }
    assertThat(severe).as("gRPC logged no SEVERE stack traces").isEmpty();
    assertThat(ours.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    // one line per rate-limit interval per ingest path, not one per frame
    assertThat(ours.list.stream().filter(e -> e.getFormattedMessage().contains("not a")).count())
        .isLessThanOrEqualTo(2);
  }

  // ---- duplicates bounded: resends of published batches

  @Test
  void aResentPublishedBatchIsAcknowledgedWithoutPublishingAgain() throws Exception {
    String topic = SharedKafka.newTopic("hostile-resend", 1);
    try (Collector c = Collector.start(base(topic).build()); IngestClient client = new IngestClient(c.port())) {
      IngestClient.Stream first = client.open().send(Frames.hello("agent-1", 7));
      for (int seq = 1; seq <= 3; seq++) {
        first.send(Frames.zstdBatch(seq, Frames.logBatch("b" + seq, 5)));
        assertThat(first.next().getAck().getSequence()).isEqualTo(seq);
      }
      first.halfClose();
      first.awaitClose();
      // the agent restarts without having applied acks 2 and 3: it resends them, then goes on
      IngestClient.Stream again = client.open().send(Frames.hello("agent-1", 7));
      for (int seq = 2; seq <= 4; seq++) {
        again.send(Frames.zstdBatch(seq, Frames.logBatch("b" + seq, 5)));
        assertThat(again.next().getAck().getSequence()).isEqualTo(seq);
      }
      // another tenant naming the same client id and epoch suppresses nothing of acme's
      IngestClient.Stream other = client.open().send(ClientFrame.newBuilder().setHello(Frames.hello("agent-1", 7)
          .getHello().toBuilder().setTenant("other")).build());
      other.send(Frames.zstdBatch(5, Frames.logBatch("o", 5)));
      assertThat(other.next().getAck().getSequence()).isEqualTo(5);
      again.send(Frames.zstdBatch(5, Frames.logBatch("b5", 5)));
      assertThat(again.next().getAck().getSequence()).isEqualTo(5);

      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(6 * 5);
      assertThat(metric(c, "sluice_collector_resends_suppressed_total")).isEqualTo(2.0);
    }
  }

  // ---- helpers

  /** The value of one series in the collector's /metrics, or -1 if absent. */
  private static double metric(Collector c, String series) {
    String body = Http.get("http://127.0.0.1:" + c.httpPort() + "/metrics").body();
    for (String line : body.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return -1;
  }

  /** A ClientFrame whose Hello resource holds an AnyValue nested {@code depth} array levels deep. */
  private static byte[] deepFrame(int depth) throws Exception {
    byte[] value = new byte[0]; // an empty AnyValue
    for (int i = 0; i < depth; i++) {
      value = field(5, field(1, value)); // AnyValue.array_value { values: <value> }
    }
    byte[] kv = concat(field(1, "k".getBytes()), field(2, value));
    return field(1, field(5, kv)); // ClientFrame.hello { resource: kv }
  }

  private static byte[] field(int number, byte[] body) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 8);
    com.google.protobuf.CodedOutputStream cos = com.google.protobuf.CodedOutputStream.newInstance(out);
    cos.writeByteArray(number, body);
    cos.flush();
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Sends {@code bytes} as the one request message of a call to {@code method}; returns how the call closed. */
  private static Status sendRaw(ManagedChannel channel, String method, MethodDescriptor.MethodType type,
      byte[] bytes) throws Exception {
    MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder().setType(type)
        .setFullMethodName(method).setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
    ClientCall<byte[], byte[]> call = channel.newCall(md, CallOptions.DEFAULT);
    CompletableFuture<Status> closed = new CompletableFuture<>();
    call.start(new ClientCall.Listener<>() {
      @Override
      public void onClose(Status status, Metadata trailers) {
        closed.complete(status);
      }
    }, new Metadata());
    call.request(10);
    call.sendMessage(bytes);
    call.halfClose();
    return closed.get(30, TimeUnit.SECONDS);
  }

  private static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  /** Used heap after a full GC before and after an attack, and the heap pools' peak during it, printed. */
  private static final class Heap {
    private final long before;

    private Heap(long before) {
      this.before = before;
    }

    static Heap start() {
      long used = usedAfterGc();
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP) {
          p.resetPeakUsage();
        }
      }
      return new Heap(used);
    }

    void report(String attack) {
      long peak = 0;
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
          peak += p.getPeakUsage().getUsed();
        }
      }
      System.out.printf("[heap] %s: used after GC before %.1f MiB, after %.1f MiB; peak during %.1f MiB (max %.0f"
          + " MiB)%n", attack, mib(before), mib(usedAfterGc()), mib(peak),
          mib(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getMax()));
    }

    private static long usedAfterGc() {
      System.gc();
      System.gc();
      return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static double mib(long bytes) {
      return bytes / 1048576.0;
    }
  }
}
