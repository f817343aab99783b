package io.sluice.sdk.testkit;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.sluice.proto.v1.Ack;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.WireException;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real gRPC ingest server on 127.0.0.1 (port 0) for bursts of hundreds of thousands of records: it decompresses
 * and parses every batch, counts its records by {@code SeverityNumber}, acknowledges, and keeps nothing
 * ({@link TestCollector} keeps every record and slows down quadratically past ~100k). Thread-safe, never blocks.
 */
public final class CountingCollector implements AutoCloseable {
  private final Server server;
  private final LongAdder records = new LongAdder();
  private final AtomicLongArray bySeverity = new AtomicLongArray(25);

  public CountingCollector() {
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

  /** Records received (resends of a batch count again; without failures there are none). */
  public long records() {
    return records.sum();
  }

  /** Records received with this {@code SeverityNumber} value. */
  public long records(int severityNumber) {
    return bySeverity.get(severityNumber);
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
            for (LogRecord r : batch.getRecordsList()) {
              int s = r.getSeverityNumberValue();
              if (s >= 0 && s < bySeverity.length()) bySeverity.incrementAndGet(s);
            }
            records.add(batch.getRecordsCount());
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
