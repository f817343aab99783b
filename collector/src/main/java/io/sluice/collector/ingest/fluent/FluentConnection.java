package io.sluice.collector.ingest.fluent;

import io.sluice.collector.NackReason;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.ingest.Rejected;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.collector.ingest.fluent.ForwardException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * One forward-protocol connection, served by one thread of the listener: the optional shared-key handshake, then
 * message after message — decode (bounded), map to LogRecords, hand them to the collector's request ingest (the same
 * admission, limits, routing and publishing as OTLP and HTTP), wait until Kafka acknowledged them, and only then
 * answer {@code {"ack": chunk}} if the client asked for it. One message at a time: while Kafka has not answered the
 * connection is not read, so a slow Kafka slows the client through TCP. Over its tenant's rate limit (or with the
 * in-flight budget full) it pauses and retries for up to {@code fluent.idleTimeoutMs}. Any error ends the connection
 * without an ack (the client resends what it did not get an ack for), counted by reason and logged at most once per
 * 10 s. The listener's reaper closes the socket when the client makes it wait longer than the idle timeout, in a read
 * or in a write. Not thread-safe except {@link #deadlineNanos()} and {@link #timeOut()}.
 */
final class FluentConnection implements Runnable {
  private static final int MAX_HANDSHAKE_BYTES = 64 * 1024;
  private static final long NOT_WAITING = Long.MAX_VALUE;

  private final FluentListener listener;
  private final Socket socket;
  private final String peer;
  private volatile long deadlineNanos = NOT_WAITING;
  private volatile boolean timedOut;

  FluentConnection(FluentListener listener, Socket socket) {
    this.listener = listener;
    this.socket = socket;
    this.peer = String.valueOf(socket.getRemoteSocketAddress());
  }

  long deadlineNanos() {
    return deadlineNanos;
  }

  /** Called by the reaper: the client kept this connection waiting too long. */
  void timeOut() {
    timedOut = true;
    closeSocket();
  }

  void closeSocket() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public void run() {
    try {
      serve();
    } catch (ForwardException e) {
      fail(e.reason, e.getMessage());
    } catch (MessagePackException e) {
      if (timedOut) {
        fail(Reason.IDLE_TIMEOUT, idleMessage());
      } else {
        fail(Reason.UNDECODABLE, "not a MessagePack forward message (" + e.getClass().getSimpleName() + ": "
            + e.getMessage() + ")");
      }
    } catch (IOException e) {
      if (timedOut) {
        fail(Reason.IDLE_TIMEOUT, idleMessage());
      } else if (!listener.closing()) {
        FluentListener.log.debug("Fluent client {} went away: {}", peer, e.toString());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // the listener is closing
    } catch (RuntimeException e) {
      fail(Reason.INTERNAL, e.toString());
    } finally {
      closeSocket();
      listener.closed(this);
    }
  }

  private String idleMessage() {
    return "no complete handshake or message (or the client did not read our answer) within fluent.idleTimeoutMs ("
        + listener.config().idleTimeout().toMillis() + " ms)";
  }

  private void fail(Reason reason, String message) {
    listener.metrics().error(reason);
    listener.warn("Fluent forward connection from " + peer + " closed (" + reason.name().toLowerCase() + "): "
        + message);
  }

  private void serve() throws IOException, ForwardException, InterruptedException {
    socket.setTcpNoDelay(true);
    OutputStream out = socket.getOutputStream();
    MessageUnpacker u = MessagePack.newDefaultUnpacker(socket.getInputStream());
    BoundedReader r = new BoundedReader(u, 0, "fluent.maxFrameBytes", null);
    String host = null;
    Principal principal;
    SharedKeyAuth auth = listener.auth();
    if (auth.required()) {
      byte[] nonce = SharedKeyAuth.salt();
      byte[] authSalt = SharedKeyAuth.salt();
      send(out, p -> {
        p.packArrayHeader(2).packString("HELO").packMapHeader(3);
        p.packString("nonce").packBinaryHeader(nonce.length).writePayload(nonce);
        p.packString("auth").packBinaryHeader(authSalt.length).writePayload(authSalt);
        p.packString("keepalive").packBoolean(true);
      });
      awaitClient();
      if (!u.hasNext()) return;
      r.limitFromHere(MAX_HANDSHAKE_BYTES);
      List<byte[]> ping;
      try (DecodeCost cost = listener.newCost()) {
        r.cost(cost);
        ping = readPing(r);
      }
      SharedKeyAuth.Result result = auth.check(ping, nonce, authSalt);
      if (result.ok() && !listener.tenantConfigured(result.tenant())) {
        result = new SharedKeyAuth.Result(null, "tenant " + result.tenant() + " is no longer configured", null);
      }
      String clientHost = new String(ping.get(1), StandardCharsets.UTF_8);
      if (!result.ok()) {
        String reason = result.reason();
        send(out, p -> p.packArrayHeader(5).packString("PONG").packBoolean(false).packString(reason).packString("")
            .packString(""));
        listener.authFailed();
        throw new ForwardException(Reason.AUTH_FAILED, "client \"" + clientHost + "\": " + reason + "; check its "
            + "Shared_Key (and Username/Password) against fluent.tenants");
      }
      SharedKeyAuth.Result ok = result;
      String self = listener.config().selfHostname();
      send(out, p -> {
        p.packArrayHeader(5).packString("PONG").packBoolean(true).packString("").packString(self);
        byte[] d = ok.serverDigest().getBytes(StandardCharsets.US_ASCII);
        p.packRawStringHeader(d.length).writePayload(d);
      });
      principal = new Principal(result.tenant(), "fluent-shared-key");
      host = clientHost;
    } else {
      try {
        principal = listener.requests().authenticate("", listener.config().anonymousTenant(), null);
      } catch (AuthException e) {
        listener.authFailed();
        throw new ForwardException(Reason.AUTH_FAILED, "fluent.tenants has no shared keys and anonymous access is "
            + "off (" + e.status().getDescription() + ")");
      }
    }
    while (!listener.closing()) {
      awaitClient();
      if (!u.hasNext()) {
        return; // the client closed between messages
      }
      long start = u.getTotalReadBytes();
      r.limitFromHere(listener.config().maxFrameBytes());
      ForwardDecoder.Message m;
      CompletableFuture<Void> published = null;
      try (DecodeCost cost = listener.newCost()) {
        r.cost(cost);
        long now = System.currentTimeMillis() * 1_000_000L;
        m = ForwardDecoder.read(r, cost, listener.config().maxDecompressedBytes(), now);
        deadlineNanos = NOT_WAITING;
        if (m == null) {
          continue; // heartbeat
        }
        listener.metrics().message(m.events().size(), u.getTotalReadBytes() - start);
        if (!m.events().isEmpty()) {
          published = publish(principal, FluentRecords.parts(m, listener.config().serviceKey(), host, now));
        }
      }
      if (published != null) {
        try {
          published.get();
        } catch (ExecutionException e) {
          throw new ForwardException(Reason.KAFKA_FAILED, "Kafka did not acknowledge " + m.events().size()
              + " events of tag " + m.tag() + " (" + e.getCause() + "); no ack sent, the client resends");
        }
      }
      if (m.chunk() != null) {
        String chunk = m.chunk();
        awaitClient();
        send(out, p -> p.packMapHeader(1).packString("ack").packString(chunk));
        deadlineNanos = NOT_WAITING;
        listener.metrics().acked();
      }
    }
  }

  /** Hands the records to the shared ingest path; pauses and retries while the tenant or the collector is full. */
  private CompletableFuture<Void> publish(Principal principal, List<RequestIngest.Part> parts)
      throws ForwardException, InterruptedException {
    long giveUp = System.nanoTime() + listener.config().idleTimeout().toNanos();
    while (true) {
      try {
        return listener.requests().publish(principal, "fluent", parts);
      } catch (Rejected e) {
        long left = giveUp - System.nanoTime();
        if (!e.reason().retryable() || e.reason() == NackReason.SHUTTING_DOWN || left <= 0 || listener.closing()) {
          throw new ForwardException(Reason.REJECTED, e.reason() + ": " + e.getMessage() + "; no ack sent");
        }
        listener.metrics().throttled();
        Thread.sleep(Math.max(1, Math.min(e.retryAfterMs(), left / 1_000_000L)));
      }
    }
  }

  /** ["PING", hostname, shared_key_salt, digest, username, password_digest], each field as bytes. */
  private static List<byte[]> readPing(BoundedReader r) throws IOException, ForwardException {
    MessageUnpacker u = r.unpacker();
    if (u.getNextFormat().getValueType() != ValueType.ARRAY) {
      throw new ForwardException(Reason.AUTH_FAILED, "the client sent events before the handshake; configure its "
          + "Shared_Key (the collector has fluent.tenants)");
    }
    int n = u.unpackArrayHeader();
    r.need(n);
    if (n != 6) {
      throw new ForwardException(Reason.AUTH_FAILED, "expected PING (6 elements) in the handshake, found an array of "
          + n + "; configure the client's Shared_Key");
    }
    List<byte[]> fields = new ArrayList<>(6);
    for (int i = 0; i < 6; i++) {
      fields.add(r.readRaw("PING field " + i));
    }
    if (!"PING".equals(new String(fields.get(0), StandardCharsets.UTF_8))) {
      throw new ForwardException(Reason.AUTH_FAILED, "expected PING in the handshake; configure the client's "
          + "Shared_Key");
    }
    return fields;
  }

  /** From now the client must act within the idle timeout (the reaper closes the socket otherwise). */
  private void awaitClient() {
    deadlineNanos = System.nanoTime() + listener.config().idleTimeout().toNanos();
  }

  private interface Packing {
    void pack(MessagePacker p) throws IOException;
  }

  private void send(OutputStream out, Packing packing) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
    try (MessagePacker p = MessagePack.newDefaultPacker(buf)) {
      packing.pack(p);
    }
    awaitClient(); // a client that never reads cannot hold this thread in write() either
    out.write(buf.toByteArray());
    out.flush();
  }
}
