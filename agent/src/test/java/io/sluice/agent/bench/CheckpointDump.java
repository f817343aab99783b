package io.sluice.agent.bench;

import io.sluice.agent.tail.Checkpoint;
import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.RocksDbSpool;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * Prints the checkpoints held by an agent spool (for debugging restarts): one line per key, the file's inode, the
 * watched path, the offset, the fingerprint's length and the agent's last look. Opens the spool, so run it on a copy
 * (RotationCrashBench {@code --keep-spools} keeps one per life) or on a stopped agent's spool.
 *
 * <pre>java -cp ... io.sluice.agent.bench.CheckpointDump SPOOL_DIR...</pre>
 */
public final class CheckpointDump {
  private CheckpointDump() {}

  public static void main(String[] args) {
    for (String dir : args) {
      System.out.println("== " + dir);
      try (RocksDbSpool spool = new RocksDbSpool(Path.of(dir), 1L << 30, FsyncPolicy.NEVER, null)) {
        System.out.printf("   batches %d, records %d%n", spool.batches(), spool.records());
        for (Map.Entry<String, byte[]> e : spool.checkpoints().entrySet()) {
          Checkpoint c = e.getKey().startsWith(Checkpoint.KEY_PREFIX) ? Checkpoint.decode(e.getValue()) : null;
          if (e.getKey().equals("agent/watching-since") && e.getValue().length == 8) {
            System.out.printf("   watching since %s%n",
                Instant.ofEpochMilli(java.nio.ByteBuffer.wrap(e.getValue()).getLong()));
          } else if (c == null) {
            System.out.printf("   %s: %d bytes%n", e.getKey(), e.getValue().length);
          } else {
            System.out.printf("   ino %d path %s offset %d fp %d seen %s%n", c.id().ino(), c.path(), c.offset(),
                c.fingerprint().length(), c.seenAtMillis() == 0 ? "-" : Instant.ofEpochMilli(c.seenAtMillis()));
          }
        }
      }
    }
  }
}
