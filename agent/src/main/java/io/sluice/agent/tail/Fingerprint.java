package io.sluice.agent.tail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * A hash of a file's first {@code length} bytes. It grows with the file up to a configured maximum (so a file of
 * 10 bytes has a 10-byte fingerprint, extended as the file grows): together with {@link FileId} it tells a file
 * that was resumed from a reused inode, or truncated and rewritten, apart from the file that was checkpointed.
 * Two different files may share a fingerprint (identical first bytes); their (dev, inode) still differ. Immutable.
 */
public record Fingerprint(int length, long hash) {
  public static final Fingerprint EMPTY = new Fingerprint(0, 0);

  /** Reads and hashes the first {@code min(size, maxBytes)} bytes of {@code channel}, without moving its position. */
  public static Fingerprint of(FileChannel channel, int maxBytes) throws IOException {
    long size = channel.size();
    int n = (int) Math.min(size, maxBytes);
    if (n == 0) return EMPTY;
    ByteBuffer buf = ByteBuffer.allocate(n);
    while (buf.hasRemaining()) {
      int r = channel.read(buf, buf.position());
      if (r < 0) break;
    }
    buf.flip();
    return hash(buf);
  }

  /** Hashes exactly the first {@code length} bytes; null when the file is shorter than that. */
  public static Fingerprint ofPrefix(FileChannel channel, int length) throws IOException {
    if (length == 0) return EMPTY;
    if (channel.size() < length) return null;
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      int r = channel.read(buf, buf.position());
      if (r < 0) return null;
    }
    buf.flip();
    return hash(buf);
  }

  private static Fingerprint hash(ByteBuffer buf) {
    int n = buf.remaining();
    CRC32C a = new CRC32C();
    a.update(buf.duplicate());
    // A second CRC over the bytes in reverse-half order widens the hash to 64 bits cheaply.
    CRC32C b = new CRC32C();
    ByteBuffer tail = buf.duplicate();
    tail.position(n / 2);
    b.update(tail);
    ByteBuffer head = buf.duplicate();
    head.limit(n / 2);
    b.update(head);
    return new Fingerprint(n, (a.getValue() << 32) | b.getValue());
  }

  /** Whether the file behind {@code channel} still starts with the bytes this fingerprint was taken of. */
  public boolean matches(FileChannel channel) throws IOException {
    Fingerprint now = ofPrefix(channel, length);
    return now != null && now.hash == hash;
  }
}
