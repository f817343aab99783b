package io.sluice.sdk.pipeline;

import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.RocksDbSpool;
import java.nio.file.Paths;

/** Another process on a spool directory: opens it, says HELD, keeps it until its stdin closes. */
public final class SpoolHolder {
  public static void main(String[] args) throws Exception {
    try (RocksDbSpool spool = new RocksDbSpool(Paths.get(args[0]), 1L << 30, FsyncPolicy.NEVER, null)) {
      System.out.println("HELD");
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the parent to close our stdin
      }
    }
  }
}
