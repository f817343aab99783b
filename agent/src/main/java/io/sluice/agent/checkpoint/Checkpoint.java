package io.sluice.agent.checkpoint;

import io.sluice.agent.tail.FileId;
import io.sluice.agent.tail.Fingerprint;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Where reading a file resumes after a restart: the byte offset just past the last record that is safe in the
 * spool (always a record boundary), the file's identity and fingerprint at that moment, and the path it was last
 * seen at (to find it again after a rotation that happened while the agent was down). Stored in the spool under
 * {@link #KEY_PREFIX}{@code dev:ino}, written in the same RocksDB write as the batch holding the records. Immutable.
 */
public record Checkpoint(FileId id, String path, long offset, Fingerprint fingerprint) {
  public static final String KEY_PREFIX = "file/";
  private static final int VERSION = 1;

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
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** Decodes a stored checkpoint; null when the bytes are not one (another version, another writer). */
  public static Checkpoint decode(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      if (in.readByte() != VERSION) return null;
      FileId id = new FileId(in.readLong(), in.readLong());
      long offset = in.readLong();
      Fingerprint fp = new Fingerprint(in.readInt(), in.readLong());
      return new Checkpoint(id, in.readUTF(), offset, fp);
    } catch (IOException e) {
      return null;
    }
  }
}
