package io.sluice.collector.auth;

import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.collector.config.ConfigException;
import io.sluice.collector.config.TlsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the collector's TLS certificate and key ({@code tls.certFile}, {@code tls.keyFile}) when the files change,
 * without a restart and without touching established connections: one daemon thread ({@code sluice-tls-reload})
 * looks at the files' modification time, size and inode every {@code reloadIntervalMs} (it sees cert-manager's and
 * Kubernetes Secret volumes' symlink swaps as well as files rewritten in place), loads both, checks that the key
 * belongs to the certificate, and swaps them into the {@link ReloadingKeyManager} behind the gRPC and HTTPS
 * listeners. New handshakes get the new certificate; streams already open keep theirs. A pair that does not load
 * (a half-written file, a key of another certificate) keeps the old certificate in use; when the files still do not
 * load one interval later (the second file of a pair may arrive after the first), it is logged and counted
 * ({@code sluice_collector_tls_reloads_total{result="error"}}), and tried again when the files change again. The
 * client CA ({@code clientCaFile}) is read at start only.
 */
public final class TlsReloader implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

  private final TlsConfig tls;
  private final Duration interval;
  private final ReloadingKeyManager keyManager;
  private final AtomicLong reloaded = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final Thread thread;
  private Object stamp; // the files' metadata when last loaded, or last counted as bad
  private Object pending; // metadata of files that did not load once; counted if they still do not at the next look
  private volatile boolean closed;

  /**
   * Loads the files (a failure here is a {@link ConfigException}: the collector does not start) and starts watching.
   *
   * @param registry where {@code sluice_collector_tls_reloads_total} and the certificate's expiry go, or null
   */
  public TlsReloader(TlsConfig tls, Duration interval, PrometheusRegistry registry) {
    this.tls = tls;
    this.interval = interval;
    this.stamp = stamp();
    try {
      this.keyManager = new ReloadingKeyManager(ReloadingKeyManager.load(tls.certFile(), tls.keyFile()));
    } catch (IOException e) {
      throw new ConfigException("tls", "cannot load " + tls.certFile() + " / " + tls.keyFile() + ": "
          + e.getMessage() + " (PEM certificate chain, PKCS#8 PEM key)");
    }
    if (registry != null) {
      CounterWithCallback.builder().name("sluice_collector_tls_reloads")
          .help("TLS certificate and key reloads after their files changed, by result (error: the old certificate"
              + " stays in use)")
          .labelNames("result")
          .callback(cb -> {
            cb.call(reloaded.get(), "ok");
            cb.call(failed.get(), "error");
          }).register(registry);
      io.prometheus.metrics.core.metrics.GaugeWithCallback.builder()
          .name("sluice_collector_tls_certificate_expiry_seconds")
          .help("notAfter of the certificate in use, in seconds since the epoch")
          .callback(cb -> cb.call(keyManager.current().leaf().getNotAfter().getTime() / 1000.0))
          .register(registry);
    }
    this.thread = new Thread(this::run, "sluice-tls-reload");
    thread.setDaemon(true);
    thread.start();
  }

  public ReloadingKeyManager keyManager() {
    return keyManager;
  }

  /** Successful reloads. */
  public long reloads() {
    return reloaded.get();
  }

  /** Changes of the files that could not be loaded (the previous certificate stayed). */
  public long failures() {
    return failed.get();
  }

  /** A gRPC (HTTP/2, ALPN) server context whose certificate follows the files. */
  public SslContext grpcContext() {
    try {
      SslContextBuilder b = GrpcSslContexts.configure(SslContextBuilder.forServer(keyManager));
      return clientAuth(b).build();
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException("tls", "cannot build a TLS context from " + tls.certFile() + " / " + tls.keyFile()
          + (tls.clientCaFile() == null ? "" : " / " + tls.clientCaFile()) + ": " + e.getMessage());
    }
  }

  /** A JDK context for the HTTPS listener whose certificate follows the files. */
  public javax.net.ssl.SSLContext jdkContext() {
    try {
      return ((JdkSslContext) clientAuth(SslContextBuilder.forServer(keyManager).sslProvider(SslProvider.JDK))
          .build()).context();
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException("tls", "cannot build a TLS context from " + tls.certFile() + " / " + tls.keyFile()
          + (tls.clientCaFile() == null ? "" : " / " + tls.clientCaFile()) + ": " + e.getMessage());
    }
  }

  private SslContextBuilder clientAuth(SslContextBuilder b) {
    if (tls.clientCaFile() != null) {
      b.trustManager(tls.clientCaFile().toFile())
          .clientAuth(tls.requireClientCert() ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL);
    }
    return b;
  }

  private Object stamp() {
    return List.of(meta(tls.certFile()), meta(tls.keyFile()));
  }

  private static Object meta(Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return List.of(a.lastModifiedTime(), a.size(), String.valueOf(a.fileKey()));
    } catch (IOException e) {
      return "missing";
    }
  }

  private void run() {
    while (!closed) {
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        return;
      }
      check();
    }
  }

  /** Looks at the files once; reloads when they changed. Called by the watcher thread (and tests). */
  synchronized void check() {
    Object now = stamp();
    if (now.equals(stamp)) {
      return;
    }
    try {
      ReloadingKeyManager.Material next = ReloadingKeyManager.load(tls.certFile(), tls.keyFile());
      stamp = now;
      pending = null;
      keyManager.swap(next);
      reloaded.incrementAndGet();
      log.info("reloaded the TLS certificate from {}: {} (serial {}, valid until {}); new connections use it",
          tls.certFile(), next.leaf().getSubjectX500Principal(), next.leaf().getSerialNumber().toString(16),
          next.leaf().getNotAfter().toInstant());
    } catch (IOException | RuntimeException e) {
      if (!now.equals(pending)) {
        // one file may be replaced before the other (two renames): look again next time before calling it bad
        pending = now;
        return;
      }
      stamp = now;
      pending = null;
      failed.incrementAndGet();
      log.warn("ignored a change of the TLS files ({}); the certificate in use stays ({}, valid until {}); counted"
          + " in sluice_collector_tls_reloads_total{result=\"error\"}", e.getMessage(),
          keyManager.current().leaf().getSubjectX500Principal(), keyManager.current().leaf().getNotAfter().toInstant());
    }
  }

  @Override
  public void close() {
    closed = true;
    thread.interrupt();
  }
}
