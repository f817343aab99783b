package io.sluice.agent.tail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;

/**
 * A file's (device, inode). Unique among files that exist at one instant; an inode can be reused once its file is
 * deleted and closed by everyone, which is why {@link Fingerprint} confirms it. Immutable.
 */
public record FileId(long dev, long ino) {

  /** The id of the file at {@code path}, following symlinks (Kubernetes links container logs). */
  public static FileId of(Path path) throws IOException {
    Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino");
    return new FileId(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue());
  }

  /** Like {@link #of} without following a final symlink. */
  public static FileId ofNoFollow(Path path) throws IOException {
    Map<String, Object> a = Files.readAttributes(path, "unix:dev,ino", LinkOption.NOFOLLOW_LINKS);
    return new FileId(((Number) a.get("dev")).longValue(), ((Number) a.get("ino")).longValue());
  }

  /** The checkpoint key: {@code dev:ino}. */
  public String key() {
    return dev + ":" + ino;
  }

  @Override
  public String toString() {
    return key();
  }
}
