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
import io.sluice.proto.v1.ServerFrame;
import io.sluice.wire.WireException;
import io.sluice.wire.ZstdCodec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;

/**
 * The ingest side of the test and benchmark endpoints that count what they receive: a gRPC {@code IngestService}
 * that decompresses and parses every batch, hands it with its stream's {@link Hello} to a {@link BatchHandler}, then
 * acknowledges it. A batch that does not decode is not acknowledged: the reason goes to stderr and the stream fails
 * with {@code INVALID_ARGUMENT}, so the client keeps the batch and counts the refusal (nothing is lost silently).
 * Thread-safe as far as the handler is: gRPC calls it from its executor, one call at a time per stream.
 */
public final class AckingIngest extends IngestServiceGrpc.IngestServiceImplBase {
  /** What an endpoint does with each decoded batch before it is acknowledged. */
  @FunctionalInterface
  public interface BatchHandler {
    /**
     * @param hello the stream's Hello (the default instance if the client sent none)
     * @param batch the batch frame as received (sequence, codec, payload)
     * @param records its payload, decompressed and parsed
     */
    void batch(Hello hello, Batch batch, LogBatch records);
  }

  private final BatchHandler handler;

  public AckingIngest(BatchHandler handler) {
    this.handler = handler;
  }

  /** A started server on 127.0.0.1 (port 0) serving {@code handler}'s endpoint. */
  public static Server serve(BatchHandler handler) {
    try {
      return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(new AckingIngest(handler))
          .build().start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public StreamObserver<ClientFrame> stream(StreamObserver<ServerFrame> out) {
    return new StreamObserver<>() {
      private Hello hello = Hello.getDefaultInstance();

      @Override
      public void onNext(ClientFrame frame) {
        if (frame.hasHello()) {
          hello = frame.getHello();
          return;
        }
        if (!frame.hasBatch()) return;
        Batch b = frame.getBatch();
        LogBatch records;
        try {
          records = LogBatch.parseFrom(ZstdCodec.forThisThread(3).decompress(b.getPayload().toByteArray(), 64 << 20));
        } catch (IOException | WireException e) {
          System.err.println("undecodable batch " + b.getSequence() + ": " + e);
          out.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
          return;
        }
        handler.batch(hello, b, records);
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
