package io.sluice.collector.ingest.fluent;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.Value;
import org.msgpack.value.ValueFactory;

/**
 * A raw forward-protocol client for the hostile tests and the shared-key handshake (Fluency has no handshake):
 * writes the bytes it is given, packs messages with msgpack-core, reads the server's answers. Not thread-safe.
 */
final class ForwardClient implements AutoCloseable {
  final Socket socket;
  private final InputStream in;
  private final MessageUnpacker unpacker;

  ForwardClient(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(30_000); // a test that would hang fails instead
    in = socket.getInputStream();
    unpacker = MessagePack.newDefaultUnpacker(in);
  }

  interface Packing {
    void pack(MessagePacker p) throws IOException;
  }

  static byte[] pack(Packing packing) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MessagePacker p = MessagePack.newDefaultPacker(out)) {
      packing.pack(p);
    }
    return out.toByteArray();
  }

  ForwardClient send(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  /** The server's next answer (HELO, PONG, ack). */
  Value next() throws IOException {
    return unpacker.unpackValue();
  }

  /** True once the server closed the connection (EOF or reset), reading and dropping anything before that. */
  boolean closedByServer() throws IOException {
    return bytesBeforeClose() >= 0;
  }

  /** How many bytes the server sent before it closed the connection; -1 if it did not close it within 30 s. */
  int bytesBeforeClose() throws IOException {
    int n = 0;
    try {
      while (in.read() >= 0) {
        n++;
      }
      return n;
    } catch (SocketTimeoutException e) {
      return -1;
    } catch (IOException e) {
      return n; // reset
    }
  }

  /**
   * The shared-key handshake as Fluent Bit and Fluentd do it: reads HELO, sends PING with the digest of
   * {@code sharedKey}, returns the PONG [ok, reason, server hostname, digest] and whether the digest is right.
   */
  List<Object> handshake(String hostname, String sharedKey, String user, String password) throws IOException {
    Value helo = next();
    java.util.Map<Value, Value> options = helo.asArrayValue().get(1).asMapValue().map();
    byte[] nonce = options.get(ValueFactory.newString("nonce")).asRawValue().asByteArray();
    byte[] authSalt = options.get(ValueFactory.newString("auth")).asRawValue().asByteArray();
    byte[] salt = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    byte[] digest = SharedKeyAuth.sha512Hex(salt, bytes(hostname), nonce, bytes(sharedKey));
    byte[] passwordDigest = user.isEmpty() ? new byte[0] : SharedKeyAuth.sha512Hex(authSalt, bytes(user),
        bytes(password));
    send(pack(p -> {
      p.packArrayHeader(6).packString("PING").packString(hostname).packBinaryHeader(salt.length).writePayload(salt);
      p.packRawStringHeader(digest.length).writePayload(digest).packString(user);
      p.packRawStringHeader(passwordDigest.length).writePayload(passwordDigest);
    }));
    List<Value> pong = next().asArrayValue().list();
    List<Object> out = new ArrayList<>();
    out.add(pong.get(0).asStringValue().asString());
    out.add(pong.get(1).asBooleanValue().getBoolean());
    out.add(pong.get(2).asStringValue().asString());
    out.add(pong.get(3).asStringValue().asString());
    String serverDigest = pong.get(4).asStringValue().asString();
    String expected = new String(SharedKeyAuth.sha512Hex(salt, bytes(pong.get(3).asStringValue().asString()), nonce,
        bytes(sharedKey)), StandardCharsets.US_ASCII);
    out.add(serverDigest.equals(expected));
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
