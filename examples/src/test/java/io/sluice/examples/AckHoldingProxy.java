package io.sluice.examples;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP relay on 127.0.0.1 between an app and the collector, bytes unchanged, that can hold the collector → app
 * direction. While held, the app's batches still reach the collector, which publishes them to Kafka and answers with
 * acknowledgements the app never reads: killing the app then is certain to leave batches in Kafka that its spool
 * still holds, so its next start resends them (instead of hoping a SIGKILL lands while batches are in flight).
 *
 * <p>Thread-safe. Two daemon threads per connection plus one accepting; a connection whose collector is down is
 * closed at once (the app reconnects with its backoff). Bounded by one 64 KiB buffer per direction and connection.
 */
final class AckHoldingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private volatile int targetPort;
  private boolean holding; // guarded by lock

  AckHoldingProxy(int targetPort) {
    this.targetPort = targetPort;
    try {
      server = new ServerSocket();
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    daemon(this::acceptLoop, "proxy-accept").start();
  }

  int port() {
    return server.getLocalPort();
  }

  /** New connections go to this collector port (existing ones keep theirs). */
  void target(int port) {
    targetPort = port;
  }

  /**
   * From now on, bytes the collector sends are read no further: everything it acknowledges after this call stays
   * unacknowledged for the app.
   */
  void holdAcks() {
    synchronized (lock) {
      holding = true;
    }
  }

  /** Lets held bytes through again (to an app that may be gone: its connection then closes). */
  void releaseAcks() {
    synchronized (lock) {
      holding = false;
      lock.notifyAll();
    }
  }

  @Override
  public void close() {
    releaseAcks();
    closeQuietly(server);
    sockets.forEach(AckHoldingProxy::closeQuietly);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket app;
      try {
        app = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      Socket collector = new Socket();
      try {
        collector.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
        app.setTcpNoDelay(true);
        collector.setTcpNoDelay(true);
      } catch (IOException e) {
        closeQuietly(app); // the collector is down: the app sees a refused stream and backs off
        closeQuietly(collector);
        continue;
      }
      sockets.add(app);
      sockets.add(collector);
      daemon(() -> pump(app, collector, false), "proxy-app-to-collector").start();
      daemon(() -> pump(collector, app, true), "proxy-collector-to-app").start();
    }
  }

  private void pump(Socket from, Socket to, boolean holdable) {
    byte[] buf = new byte[64 * 1024];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buf)) >= 0) {
        // checked after the read: bytes the collector wrote after holdAcks() are never forwarded while held
        if (holdable) awaitRelease();
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // either side went away: close both, as a real network path would
    } finally {
      closeQuietly(from);
      closeQuietly(to);
      sockets.remove(from);
      sockets.remove(to);
    }
  }

  private void awaitRelease() throws InterruptedException {
    synchronized (lock) {
      while (holding) lock.wait();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(java.io.Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
