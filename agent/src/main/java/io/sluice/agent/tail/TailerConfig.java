package io.sluice.agent.tail;

/**
 * Bounds and timings of a {@link Tailer}. Immutable.
 *
 * @param maxOpenFiles files held open at once; further matches wait for a slot (counted as deferred). Default 1024.
 * @param readChunkBytes one read buffer shared by all files. Default 64 KiB.
 * @param maxBytesPerPoll bytes read from one file per pass before the next file gets its turn. Default 1 MiB.
 * @param maxLineBytes longer lines are truncated to this many bytes, flagged and counted. Default 256 KiB.
 * @param fingerprintBytes the fingerprint covers up to this many first bytes. Default 1 KiB.
 * @param releaseAfterNanos a rotated or deleted file is released this long after it stopped growing and was read to
 *     its end (writers may still append to the old file for a moment). Default 2 s.
 * @param deletedMaxHoldNanos a deleted file is released after this long even with unread bytes, which are counted
 *     as abandoned: the disk space must come back. Default 5 min.
 */
public record TailerConfig(int maxOpenFiles, int readChunkBytes, int maxBytesPerPoll, int maxLineBytes,
    int fingerprintBytes, long releaseAfterNanos, long deletedMaxHoldNanos) {

  public static TailerConfig defaults() {
    return new TailerConfig(1024, 64 << 10, 1 << 20, 256 << 10, 1024, 2_000_000_000L, 300_000_000_000L);
  }

  public TailerConfig {
    if (maxOpenFiles < 1) throw new IllegalArgumentException("maxOpenFiles must be >= 1");
    if (readChunkBytes < 512) throw new IllegalArgumentException("readChunkBytes must be >= 512");
    if (maxBytesPerPoll < readChunkBytes)
      throw new IllegalArgumentException("maxBytesPerPoll must be >= readChunkBytes");
    if (maxLineBytes < 16) throw new IllegalArgumentException("maxLineBytes must be >= 16");
    if (fingerprintBytes < 16) throw new IllegalArgumentException("fingerprintBytes must be >= 16");
  }
}
