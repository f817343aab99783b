package io.sluice.collector;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.ServerFrame;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A raw client over the generated stub (no sdk-core): open streams, send frames, read what the server says. */
public final class IngestClient implements AutoCloseable {
  private final ManagedChannel channel;

  public IngestClient(int port) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
  }

  /** Over a channel of the caller's (TLS, mTLS); closed with this client. */
  public IngestClient(ManagedChannel channel) {
    this.channel = channel;
  }

  public Stream open() {
    Stream s = new Stream();
    IngestServiceGrpc.newStub(channel).stream(s);
    return s;
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  /** One bidi stream; server frames queue up in {@link #received}; {@link #closed} completes with the status. */
  public static final class Stream implements ClientResponseObserver<ClientFrame, ServerFrame> {
    public final BlockingQueue<ServerFrame> received = new LinkedBlockingQueue<>();
    public final CompletableFuture<Status> closed = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<ClientFrame> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<ClientFrame> requestStream) {
      this.requests = requestStream;
    }

    public synchronized Stream send(ClientFrame frame) {
      requests.onNext(frame);
      return this;
    }

    public synchronized void halfClose() {
      requests.onCompleted();
    }

    public boolean isReady() {
      return requests.isReady();
    }

    /** The next server frame, failing the test if none comes within {@code timeout}. */
    public ServerFrame next(Duration timeout) throws InterruptedException {
      ServerFrame f = received.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (f == null) {
        throw new AssertionError("no server frame within " + timeout + "; stream closed: " + closed.getNow(null));
      }
      return f;
    }

    public ServerFrame next() throws InterruptedException {
      return next(Duration.ofSeconds(30));
    }

    public Status awaitClose() throws Exception {
      return closed.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void onNext(ServerFrame value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      closed.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      closed.complete(Status.OK);
    }
  }
}
