package io.sluice.collector.config;

/**
 * A token-bucket rate limit for one tenant. 0 means unlimited for that dimension. The bucket holds
 * {@code rate * burstSeconds} tokens (at least one batch always passes when the bucket is full, so a batch larger
 * than the burst is never refused forever).
 *
 * @param recordsPerSecond records/s refill rate (key {@code recordsPerSecond})
 * @param bytesPerSecond decoded bytes/s refill rate (key {@code bytesPerSecond})
 * @param burstSeconds bucket size in seconds of rate (key {@code burstSeconds}, default 1)
 */
public record RateLimit(long recordsPerSecond, long bytesPerSecond, double burstSeconds) {
  public static final RateLimit UNLIMITED = new RateLimit(0, 0, 1);

  public RateLimit {
    if (recordsPerSecond < 0 || bytesPerSecond < 0 || !(burstSeconds > 0)) {
      throw new ConfigException("limits", "rates must be >= 0 and burstSeconds > 0; write e.g. "
          + "{recordsPerSecond: 10000, bytesPerSecond: 10485760, burstSeconds: 1}");
    }
  }

  public boolean unlimited() {
    return recordsPerSecond == 0 && bytesPerSecond == 0;
  }
}
