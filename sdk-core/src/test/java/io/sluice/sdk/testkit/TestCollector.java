package io.sluice.sdk.testkit;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.proto.v1.Ack;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.Nack;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.WireException;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real gRPC ingest server on 127.0.0.1 for sdk-core's tests: decodes every batch, keeps its records, and answers
 * as {@link #responder} says (ack by default). It can be stopped and started again on the same port to play a
 * collector outage. Records are keyed by (client, epoch, sequence, index), so duplicates are visible.
 */
public final class TestCollector implements AutoCloseable {

  /** How the server answers a batch. */
  public enum Answer { ACK, NACK_RETRYABLE, NACK_PERMANENT, SILENT, KILL_STREAM }

  /** One received record with its identity. */
  public record Received(String clientId, long epoch, long sequence, int index, LogRecord record) {}

  // Not a CopyOnWriteArrayList: a copy per record made 200,000 records quadratic (seconds per batch).
  private final java.util.concurrent.ConcurrentLinkedQueue<Received> received =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final ConcurrentHashMap<String, Boolean> identities = new ConcurrentHashMap<>();
  private final AtomicInteger duplicates = new AtomicInteger();
  private final AtomicInteger batches = new AtomicInteger();
  private final AtomicInteger streams = new AtomicInteger();
  private final CopyOnWriteArrayList<Hello> hellos = new CopyOnWriteArrayList<>();
  private volatile Function<Batch, Answer> responder = b -> Answer.ACK;
  private volatile Server server;
  private volatile Status helloRefusal;
  private int port;

  public TestCollector() {
    start(0);
  }

  public synchronized void start(int wantedPort) {
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", wantedPort))
          .addService(new Service()).build().start();
      port = server.getPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts again on the port it had before. */
  public void restart() {
    start(port);
  }

  /** Stops abruptly: open streams fail, new connections are refused. */
  public synchronized void stop() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public int port() {
    return port;
  }

  public String endpoint() {
    return "127.0.0.1:" + port;
  }

  /** Ends every stream at its hello with {@code status} (null: accept again), as a collector refusing a client does. */
  public void refuseHellos(Status status) {
    this.helloRefusal = status;
  }

  public void respond(Function<Batch, Answer> responder) {
    this.responder = responder;
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  /** Distinct records by identity. */
  public int distinct() {
    return identities.size();
  }

  public int duplicates() {
    return duplicates.get();
  }

  public int batches() {
    return batches.get();
  }

  public int streams() {
    return streams.get();
  }

  public List<Hello> hellos() {
    return List.copyOf(hellos);
  }

  @Override
  public void close() {
    stop();
  }

  private final class Service extends IngestServiceGrpc.IngestServiceImplBase {
    @Override
    public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> out) {
      streams.incrementAndGet();
      return new StreamObserver<>() {
        private Hello hello;

        @Override
        public void onNext(ClientFrame frame) {
          if (frame.hasHello()) {
            hello = frame.getHello();
            hellos.add(hello);
            Status refusal = helloRefusal;
            if (refusal != null) out.onError(refusal.asRuntimeException());
            return;
          }
          if (hello == null) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("hello first").asRuntimeException());
            return;
          }
          Batch b = frame.getBatch();
          Answer a = responder.apply(b);
          switch (a) {
            case SILENT -> {
              return;
            }
            case KILL_STREAM -> {
              out.onError(Status.UNAVAILABLE.withDescription("test kill").asRuntimeException());
              return;
            }
            case NACK_RETRYABLE, NACK_PERMANENT -> {
              out.onNext(ServerFrame.newBuilder().setNack(Nack.newBuilder().setSequence(b.getSequence())
                  .setRetryable(a == Answer.NACK_RETRYABLE).setReason("test says no").setRetryAfterMs(10)).build());
              return;
            }
            case ACK -> {
            }
          }
          try {
            LogBatch batch =
                LogBatch.parseFrom(ZstdCodec.forThisThread(3).decompress(b.getPayload().toByteArray(), 64 << 20));
            batches.incrementAndGet();
            for (int i = 0; i < batch.getRecordsCount(); i++) {
              String id = hello.getClientId() + "/" + hello.getEpoch() + "/" + b.getSequence() + "/" + i;
              if (identities.putIfAbsent(id, Boolean.TRUE) != null) duplicates.incrementAndGet();
              received
                  .add(new Received(hello.getClientId(), hello.getEpoch(), b.getSequence(), i, batch.getRecords(i)));
            }
          } catch (IOException | WireException e) {
            out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
          }
          out.onNext(ServerFrame.newBuilder().setAck(Ack.newBuilder().setSequence(b.getSequence())).build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          out.onCompleted();
        }
      };
    }
  }
}
