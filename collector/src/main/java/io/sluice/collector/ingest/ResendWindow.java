package io.sluice.collector.ingest;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The batches this collector has published, remembered so that a client's resend of one (after a reconnect, a
 * restart of the agent, a lost ack) is acknowledged without publishing it again. Keyed by source: (tenant,
 * client_id, epoch), the tenant included so that no client can suppress another tenant's batches by naming its
 * client_id.
 *
 * <p>Bounded: per source, the highest published sequence and a bitmap of the {@code window} sequences below and at
 * it ({@code window / 8} bytes); at most {@code maxSources} sources, the least recently used evicted. What it cannot
 * promise, by design: a sequence older than the window, a source evicted, a resend reaching another collector
 * instance (or this one after a restart), or a resend arriving while the first copy is still waiting for Kafka is
 * published again (at-least-once; the backend drops such duplicates by record identity). A sequence is remembered
 * only after Kafka acknowledged it, so a batch that failed is never suppressed. Thread-safe (one lock, held for
 * a map lookup and a few word operations); never blocks otherwise.
 */
final class ResendWindow {
  private final int window;
  private final int words;
  private final LinkedHashMap<Key, Bits> sources;

  /**
   * @param window sequences remembered per source (rounded up to a multiple of 64); 0 disables suppression
   * @param maxSources sources remembered, least recently used evicted beyond it
   */
  ResendWindow(int window, int maxSources) {
    this.words = (window + 63) / 64;
    this.window = words * 64;
    this.sources = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Key, Bits> eldest) {
        return size() > maxSources;
      }
    };
  }

  private record Key(String tenant, String source, long epoch) {}

  /** True if {@code sequence} of that source was published (Kafka acknowledged) and is still remembered. */
  boolean published(String tenant, String source, long epoch, long sequence) {
    if (window == 0) {
      return false;
    }
    synchronized (sources) {
      Bits b = sources.get(new Key(tenant, source, epoch));
      return b != null && b.contains(sequence);
    }
  }

  /** Remembers that {@code sequence} of that source was published. */
  void markPublished(String tenant, String source, long epoch, long sequence) {
    if (window == 0) {
      return;
    }
    synchronized (sources) {
      sources.computeIfAbsent(new Key(tenant, source, epoch), k -> new Bits(words)).add(sequence, window);
    }
  }

  /** Sources remembered now (for tests). */
  int sources() {
    synchronized (sources) {
      return sources.size();
    }
  }

  /**
   * Sequences (high - window, high] as a ring of bits indexed by sequence mod window. Sequences are unsigned on the
   * wire; compared as unsigned here.
   */
  private static final class Bits {
    final long[] bits;
    long high;
    boolean any;

    Bits(int words) {
      bits = new long[words];
    }

    boolean contains(long seq) {
      if (!any || Long.compareUnsigned(seq, high) > 0 || Long.compareUnsigned(high - seq, bits.length * 64L) >= 0) {
        return false;
      }
      int i = index(seq);
      return (bits[i >>> 6] & (1L << i)) != 0;
    }

    void add(long seq, int window) {
      if (!any) {
        any = true;
        high = seq;
      } else if (Long.compareUnsigned(seq, high) > 0) {
        long advance = seq - high;
        if (Long.compareUnsigned(advance, window) >= 0) {
          java.util.Arrays.fill(bits, 0L);
        } else {
          for (long s = high + 1; s != seq + 1; s++) { // clear the slots the window moves over
            int i = index(s);
            bits[i >>> 6] &= ~(1L << i);
          }
        }
        high = seq;
      } else if (Long.compareUnsigned(high - seq, window) >= 0) {
        return; // older than the window
      }
      int i = index(seq);
      bits[i >>> 6] |= 1L << i;
    }

    private int index(long seq) {
      return (int) Long.remainderUnsigned(seq, bits.length * 64L);
    }
  }
}
