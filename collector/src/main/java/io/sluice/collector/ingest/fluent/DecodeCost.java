package io.sluice.collector.ingest.fluent;

import io.sluice.collector.ingest.fluent.ForwardException.Reason;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What decoding one forward message may cost in memory: the payload bytes of every value plus {@value #PER_VALUE}
 * bytes per value (the Java objects a one-byte MessagePack value becomes), bounded per message by
 * {@code fluent.maxDecompressedBytes} and across all connections by a shared budget (the collector's
 * {@code limits.maxInFlightBytes}, at least one message's bound), so many connections decoding at once cannot run
 * the heap out. {@link #close()} gives the shared part back. One per message; not thread-safe (the shared counter is).
 */
final class DecodeCost implements AutoCloseable {
  static final int PER_VALUE = 48;

  private final AtomicLong shared;
  private final long sharedMax;
  private final long max;
  private long charged;

  DecodeCost(AtomicLong shared, long sharedMax, long max) {
    this.shared = shared;
    this.sharedMax = sharedMax;
    this.max = max;
  }

  void charge(long n) throws ForwardException {
    charged += n;
    long all = shared.addAndGet(n); // given back by close(), whatever happens next
    if (charged > max) {
      throw new ForwardException(Reason.DECOMPRESSED_TOO_LARGE, "a message decodes to more than "
          + "fluent.maxDecompressedBytes (" + max + " bytes, counting " + PER_VALUE + " bytes per value); send smaller "
          + "chunks or raise fluent.maxDecompressedBytes");
    }
    if (all > sharedMax) {
      throw new ForwardException(Reason.BUSY, "the Fluent connections are decoding more than " + sharedMax
          + " bytes at once; the message is refused unacknowledged, resend it");
    }
  }

  long charged() {
    return charged;
  }

  @Override
  public void close() {
    shared.addAndGet(-charged);
    charged = 0;
  }
}
