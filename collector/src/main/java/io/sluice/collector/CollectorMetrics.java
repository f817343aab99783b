package io.sluice.collector;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one collector, cheap to update from any thread; {@link #snapshot()} reads them into an immutable
 * value. Names (as they will be exported later): batches received / acked / nacked{reason}, records published,
 * payload bytes received (compressed), decoded bytes, streams opened / rejected, in-flight bytes (gauge).
 */
public final class CollectorMetrics {
  private final AtomicLong batchesReceived = new AtomicLong();
  private final AtomicLong batchesAcked = new AtomicLong();
  private final AtomicLongArray batchesNacked = new AtomicLongArray(NackReason.values().length);
  private final AtomicLong recordsPublished = new AtomicLong();
  private final AtomicLong payloadBytesReceived = new AtomicLong();
  private final AtomicLong decodedBytes = new AtomicLong();
  private final AtomicLong streamsOpened = new AtomicLong();
  private final AtomicLong streamsRejected = new AtomicLong();
  private final AtomicLong inFlightBytes = new AtomicLong();

  public void batchReceived(long payloadBytes) {
    batchesReceived.incrementAndGet();
    payloadBytesReceived.addAndGet(payloadBytes);
  }

  public void batchDecoded(long bytes) {
    decodedBytes.addAndGet(bytes);
  }

  public void batchAcked(int records) {
    batchesAcked.incrementAndGet();
    recordsPublished.addAndGet(records);
  }

  public void batchNacked(NackReason reason) {
    batchesNacked.incrementAndGet(reason.ordinal());
  }

  public void streamOpened() {
    streamsOpened.incrementAndGet();
  }

  /** A stream closed with an error for breaking the protocol (no Hello, a second Hello, ...). */
  public void streamRejected() {
    streamsRejected.incrementAndGet();
  }

  public void inFlightChanged(long delta) {
    inFlightBytes.addAndGet(delta);
  }

  public Snapshot snapshot() {
    Map<NackReason, Long> nacked = new EnumMap<>(NackReason.class);
    for (NackReason r : NackReason.values()) {
      nacked.put(r, batchesNacked.get(r.ordinal()));
    }
    return new Snapshot(batchesReceived.get(), batchesAcked.get(), Collections.unmodifiableMap(nacked),
        recordsPublished.get(), payloadBytesReceived.get(), decodedBytes.get(), streamsOpened.get(),
        streamsRejected.get(), inFlightBytes.get());
  }

  /** One consistent-enough reading of the counters (each read atomically, not all at one instant). */
  public record Snapshot(
      long batchesReceived,
      long batchesAcked,
      Map<NackReason, Long> batchesNacked,
      long recordsPublished,
      long payloadBytesReceived,
      long decodedBytes,
      long streamsOpened,
      long streamsRejected,
      long inFlightBytes) {

    public long nacked(NackReason reason) {
      return batchesNacked.getOrDefault(reason, 0L);
    }

    public long batchesNackedTotal() {
      return batchesNacked.values().stream().mapToLong(Long::longValue).sum();
    }
  }
}
