package io.sluice.agent.tail;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Where reading a file resumes after a restart: the byte offset just past the last record that is safe in the
 * spool (always a record boundary), the file's identity and fingerprint at that moment, the watched path the file
 * belongs to ({@code path}: the path it was found at, kept when it is rotated to {@code app.log.1}; its directory is
 * searched for the file and its rotated siblings after a restart), and when the agent last found the file at that
 * path ({@code seenAtMillis}, wall clock; 0 when unknown; never the time the checkpoint was written, which may be
 * later: every file at the path since that look was written after it, see {@code TailedFile#checkpoint}). A file read to its end and released keeps a checkpoint at its
 * end while it exists, so it is known by identity and never read again. Stored in the spool under
 * {@link #KEY_PREFIX}{@code dev:ino}, written in the same RocksDB write as the batch holding the records. Immutable.
 */
public record Checkpoint(FileId id, String path, long offset, Fingerprint fingerprint, long seenAtMillis) {
  public static final String KEY_PREFIX = "file/";
  private static final int VERSION_1 = 1;
  /** Version 2 adds {@code seenAtMillis}. */
  private static final int VERSION = 2;

  public Checkpoint(FileId id, String path, long offset, Fingerprint fingerprint) {
    this(id, path, offset, fingerprint, 0);
  }

  public String key() {
    return KEY_PREFIX + id.key();
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + path.length());
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(id.dev());
      out.writeLong(id.ino());
      out.writeLong(offset);
      out.writeInt(fingerprint.length());
      out.writeLong(fingerprint.hash());
      out.writeUTF(path);
      out.writeLong(seenAtMillis);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Decodes a stored checkpoint; null when the bytes are not one (another version, another writer). */
  public static Checkpoint decode(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      int version = in.readByte();
      if (version != VERSION && version != VERSION_1) return null;
      FileId id = new FileId(in.readLong(), in.readLong());
      long offset = in.readLong();
      Fingerprint fp = new Fingerprint(in.readInt(), in.readLong());
      String path = in.readUTF();
      return new Checkpoint(id, path, offset, fp, version == VERSION_1 ? 0 : in.readLong());
    } catch (IOException e) {
      return null;
    }
  }
}
