package io.sluice.collector.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.TlsConfig;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;

/**
 * TLS for the gRPC listener, and the interceptor that makes a call's TLS session (with the client certificate)
 * visible to the service through {@link #current()}.
 */
public final class TlsSessions implements ServerInterceptor {
  private static final Context.Key<SSLSession> SESSION = Context.key("sluice-tls-session");

  /** The TLS session of the call being handled on this thread, or null for plaintext. */
  public static SSLSession current() {
    return SESSION.get();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return next.startCall(call, headers);
    }
    return Contexts.interceptCall(Context.current().withValue(SESSION, session), call, headers, next);
  }

  /** A server context for gRPC (HTTP/2, ALPN) from the PEM files of {@code tls}. */
  public static SslContext serverContext(TlsConfig tls) {
    try {
      SslContextBuilder b = GrpcSslContexts.forServer(tls.certFile().toFile(), tls.keyFile().toFile());
      if (tls.clientCaFile() != null) {
        b.trustManager(tls.clientCaFile().toFile())
            .clientAuth(tls.requireClientCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
      }
      return b.build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException("tls", "cannot load " + tls.certFile() + " / " + tls.keyFile()
          + (tls.clientCaFile() == null ? "" : " / " + tls.clientCaFile()) + ": " + e.getMessage()
          + " (PEM certificate chain, PKCS#8 PEM key)");
    }
  }

  /**
   * A JDK {@link javax.net.ssl.SSLContext} (for the HTTPS listener) from the same PEM files as the gRPC listener;
   * client certificates are requested as for gRPC when {@code clientCaFile} is set.
   */
  public static javax.net.ssl.SSLContext jdkServerContext(TlsConfig tls) {
    try {
      SslContextBuilder b = SslContextBuilder.forServer(tls.certFile().toFile(), tls.keyFile().toFile())
          .sslProvider(io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider.JDK);
      if (tls.clientCaFile() != null) {
        b.trustManager(tls.clientCaFile().toFile())
            .clientAuth(tls.requireClientCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
      }
      return ((io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext) b.build()).context();
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException("tls", "cannot load " + tls.certFile() + " / " + tls.keyFile()
          + (tls.clientCaFile() == null ? "" : " / " + tls.clientCaFile()) + ": " + e.getMessage()
          + " (PEM certificate chain, PKCS#8 PEM key)");
    }
  }
}
