package io.sluice.sdk.ship;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.IngestServiceGrpc;
import io.sluice.proto.v1.ServerFrame;
import io.sluice.sdk.spool.SpoolEntry;
import io.sluice.sdk.thread.SluiceThreads;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * A {@link Shipper} over gRPC ({@code sluice.v1.IngestService/Stream}), plaintext or TLS (optionally with a client
 * certificate, mTLS), one channel per endpoint made
 * on first use. All of its threads (Netty's event loop and gRPC's callback executor) are Sluice threads, so nothing
 * they log re-enters an appender. Flow control is the transport's: {@link Stream#isReady()} is gRPC's.
 */
public final class GrpcShipper implements Shipper {
  private final List<Endpoint> endpoints;
  private final Hello hello;
  private final ManagedChannel[] channels;
  private final EventLoopGroup eventLoop;
  private final ExecutorService executor;
  private final SslContext sslContext; // null = plaintext
  private final long keepAliveTimeMs;
  private final Credentials credentials;

  /** The keepalive ping interval when none is given; the collector permits pings every 10 s (its default). */
  public static final java.time.Duration DEFAULT_KEEPALIVE_TIME = java.time.Duration.ofSeconds(30);

  /** Plaintext. */
  public GrpcShipper(List<Endpoint> endpoints, Hello hello) {
    this(endpoints, hello, null);
  }

  /**
   * @param tls TLS (and mTLS) settings, or null for plaintext
   * @throws IllegalArgumentException when the TLS files cannot be loaded (the message names the file)
   */
  public GrpcShipper(List<Endpoint> endpoints, Hello hello, Tls tls) {
    this(endpoints, hello, tls, DEFAULT_KEEPALIVE_TIME);
  }

  /**
   * @param keepAliveTime how long a connection may be silent before the client pings the collector (gRPC raises
   *     anything below 10 s to 10 s); the collector must permit pings this often ({@code permitKeepAliveTime}, 10 s
   *     by default) or it answers with {@code GOAWAY too_many_pings}
   */
  public GrpcShipper(List<Endpoint> endpoints, Hello hello, Tls tls, java.time.Duration keepAliveTime) {
    this(endpoints, hello, tls, keepAliveTime, null);
  }

  /**
   * @param credentials where each new stream's {@code Hello.credentials} comes from (a file re-read when it changes,
   *     OAuth2 tokens), or null to send {@code hello}'s own; the shipper closes it
   */
  public GrpcShipper(List<Endpoint> endpoints, Hello hello, Tls tls, java.time.Duration keepAliveTime,
      Credentials credentials) {
    this.credentials = credentials;
    this.keepAliveTimeMs = keepAliveTime.toMillis();
    if (endpoints.isEmpty()) throw new IllegalArgumentException("at least one endpoint is required");
    this.endpoints = List.copyOf(endpoints);
    this.hello = hello;
    this.sslContext = tls == null ? null : sslContext(tls);
    this.channels = new ManagedChannel[endpoints.size()];
    this.eventLoop = new NioEventLoopGroup(1, SluiceThreads.factory("sluice-netty"));
    this.executor = Executors.newSingleThreadExecutor(SluiceThreads.factory("sluice-grpc"));
  }

  private synchronized ManagedChannel channel(int index) {
    ManagedChannel c = channels[index];
    if (c == null) {
      Endpoint e = endpoints.get(index);
      NettyChannelBuilder b = NettyChannelBuilder.forAddress(e.host(), e.port());
      if (sslContext == null) {
        b.usePlaintext();
      } else {
        b.sslContext(sslContext);
      }
      c = b.eventLoopGroup(eventLoop)
          .channelType(NioSocketChannel.class)
          .executor(executor)
          .offloadExecutor(executor)
          .keepAliveTime(keepAliveTimeMs, TimeUnit.MILLISECONDS)
          .keepAliveTimeout(10, TimeUnit.SECONDS)
          .maxInboundMessageSize(1 << 20)
          .build();
      channels[index] = c;
    }
    return c;
  }

  private static SslContext sslContext(Tls tls) {
    try {
      SslContextBuilder b = GrpcSslContexts.forClient();
      if (tls.trustCertPath() != null) {
        b.trustManager(tls.trustCertPath().toFile());
      }
      if (tls.clientCertPath() != null) {
        b.keyManager(tls.clientCertPath().toFile(), tls.clientKeyPath().toFile());
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("cannot load TLS files (trustCertPath " + tls.trustCertPath()
          + ", clientCertPath " + tls.clientCertPath() + ", clientKeyPath " + tls.clientKeyPath() + "): "
          + e.getMessage() + " (PEM certificates, PKCS#8 PEM key)", e);
    }
  }

  @Override
  public int endpoints() {
    return endpoints.size();
  }

  @Override
  public Stream open(int endpointIndex, Listener listener) {
    Hello h = hello;
    String sent = null;
    if (credentials != null) {
      try {
        sent = credentials.current();
      } catch (RuntimeException e) { // Credentials.Unavailable, or a bug of a source: never kill the shipping loop
        listener.onClosed(e);
        return NOT_OPENED;
      }
      h = hello.toBuilder().setCredentials(sent).build();
    }
    ManagedChannel ch = channel(Math.floorMod(endpointIndex, endpoints.size()));
    GrpcStream s = new GrpcStream(listener, credentials, sent);
    IngestServiceGrpc.newStub(ch).stream(s);
    s.requests.onNext(ClientFrame.newBuilder().setHello(h).build());
    return s;
  }

  @Override
  public long credentialsVersion() {
    return credentials == null ? 0 : credentials.version();
  }

  /** What {@link #open} returns when it could not open a stream (its listener was told why). */
  private static final Stream NOT_OPENED = new Stream() {
    @Override
    public boolean isReady() { return false; }
    @Override
    public void send(SpoolEntry batch) { throw new IllegalStateException("stream not opened"); }
    @Override
    public void cancel(String why) {}
  };

  private static final class GrpcStream implements Stream, ClientResponseObserver<ClientFrame, ServerFrame> {
    private final Listener listener;
    private final Credentials credentials;
    private final String sentCredentials;
    private volatile ClientCallStreamObserver<ClientFrame> requests;

    GrpcStream(Listener listener, Credentials credentials, String sentCredentials) {
      this.listener = listener;
      this.credentials = credentials;
      this.sentCredentials = sentCredentials;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ClientFrame> requestStream) {
      this.requests = requestStream;
      requestStream.setOnReadyHandler(listener::onReady);
    }

    @Override
    public boolean isReady() {
      return requests.isReady();
    }

    @Override
    public void send(SpoolEntry batch) {
      requests.onNext(ClientFrame.newBuilder().setBatch(Batch.newBuilder()
          .setSequence(batch.sequence())
          .setCodec(Codec.CODEC_ZSTD)
          .setPayload(UnsafeByteOperations.unsafeWrap(batch.payload()))
          .setRecordCount(batch.recordCount())
          .setUncompressedSize(batch.uncompressedSize()))
          .build());
    }

    @Override
    public void cancel(String why) {
      requests.cancel(why, null);
    }

    @Override
    public void onNext(ServerFrame frame) {
      switch (frame.getFrameCase()) {
        case ACK -> listener.onAck(frame.getAck().getSequence());
        case NACK -> listener.onNack(frame.getNack().getSequence(), frame.getNack().getRetryable(),
            frame.getNack().getReason(), frame.getNack().getRetryAfterMs());
        case GO_AWAY -> listener.onGoAway(frame.getGoAway().getReason());
        default -> {
        } // FRAME_NOT_SET: a frame this client does not know (a newer server's); ignored
      }
    }

    @Override
    public void onError(Throwable t) {
      io.grpc.Status status = io.grpc.Status.fromThrowable(t);
      if (status.getCode() == io.grpc.Status.Code.UNAUTHENTICATED && credentials != null) {
        credentials.refused(sentCredentials); // an OAuth2 source fetches a new token now
      }
      switch (status.getCode()) {
        case INVALID_ARGUMENT, UNAUTHENTICATED, PERMISSION_DENIED ->
          listener.onClosed(new Refused(status.getCode().name(), status.getDescription(), t));
        default -> listener.onClosed(t);
      }
    }

    @Override
    public void onCompleted() {
      listener.onClosed(null);
    }
  }

  @Override
  public void close() {
    for (ManagedChannel c : channels) {
      if (c != null) c.shutdownNow();
    }
    try {
      for (ManagedChannel c : channels) {
        if (c != null) c.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    if (credentials != null) credentials.close();
  }
}
