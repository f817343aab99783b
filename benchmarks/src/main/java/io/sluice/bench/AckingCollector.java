package io.sluice.bench;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.proto.v1.Ack;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.WireException;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real gRPC ingest server on 127.0.0.1 for benchmarks of the client side: for every batch it does what a collector
 * does before publishing — decompress (capped) and parse the {@code LogBatch} — counts the records and acknowledges,
 * keeping nothing. It exists because sdk-core's {@code testkit.TestCollector} keeps every record in a
 * {@code CopyOnWriteArrayList} (one array copy per record, quadratic), so past a few hundred thousand records it
 * can no longer keep up and a benchmark against it would measure the test kit. Thread-safe; never blocks.
 */
public final class AckingCollector implements AutoCloseable {
  private final Server server;
  private final LongAdder records = new LongAdder();
  private final LongAdder batches = new LongAdder();

  public AckingCollector() {
    try {
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new Service()).build()
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  public long records() {
    return records.sum();
  }

  public long batches() {
    return batches.sum();
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends IngestServiceGrpc.IngestServiceImplBase {
    @Override
    public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> out) {
      return new StreamObserver<>() {
        @Override
        public void onNext(ClientFrame frame) {
          if (!frame.hasBatch()) return;
          var b = frame.getBatch();
          try {
            LogBatch batch =
                LogBatch.parseFrom(ZstdCodec.forThisThread(3).decompress(b.getPayload().toByteArray(), 64 << 20));
            records.add(batch.getRecordsCount());
            batches.increment();
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
