package io.sluice.collector.ingest;

import io.sluice.collector.NackReason;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.LogBatch;
import io.sluice.wire.BatchReader;
import io.sluice.wire.DecodedBatch;
import io.sluice.wire.WireException;

/**
 * Turns a Batch frame into its LogBatch with proto's bounded reader ({@link BatchReader}: the decompression-bomb
 * caps, the declared sizes and counts checked), and names a refusal with the collector's {@link NackReason} and the
 * setting that bounds it. Memory: never allocates more than {@code maxDecompressedBytes} (+ one read buffer) for one
 * batch, whatever the frame declares. Thread-safe (the zstd contexts are the calling thread's).
 */
public final class BatchDecoder {
  private final BatchReader reader;

  /**
   * @param maxFrameBytes largest compressed payload, bytes
   * @param maxDecompressedBytes largest decoded LogBatch, bytes; a bigger one is rejected as a bomb
   */
  public BatchDecoder(int maxFrameBytes, int maxDecompressedBytes) {
    this.reader = new BatchReader(maxFrameBytes, maxDecompressedBytes);
  }

  /** The decoded batch, or a rejection naming the first rule it broke. */
  public LogBatch decode(Batch batch) throws BatchRejectedException {
    try {
      return reader.decode(batch);
    } catch (WireException e) {
      throw rejected(e);
    }
  }

  /**
   * Like {@link #decode}, without building the records: the decoded bytes, each record's range in them and the few
   * fields the collector reads (see {@link DecodedBatch#scan}), so that records are published as they were sent.
   * Accepts and rejects exactly what {@link #decode} does, with the same reasons and messages.
   */
  public DecodedBatch decodeWithRanges(Batch batch) throws BatchRejectedException {
    try {
      return reader.decodeWithRanges(batch);
    } catch (WireException e) {
      throw rejected(e);
    }
  }

  private static BatchRejectedException rejected(WireException e) {
    return switch (e.reason()) {
      case FRAME_TOO_LARGE -> new BatchRejectedException(NackReason.FRAME_TOO_LARGE,
          e.getMessage() + " (limits.maxFrameBytes)");
      case DECOMPRESSED_TOO_LARGE -> new BatchRejectedException(NackReason.DECOMPRESSED_TOO_LARGE,
          e.getMessage() + " (limits.maxDecompressedBytes)");
      case BAD_CODEC -> new BatchRejectedException(NackReason.BAD_CODEC, e.getMessage());
      case CORRUPT_PAYLOAD -> new BatchRejectedException(NackReason.CORRUPT_PAYLOAD, e.getMessage());
      case UNPARSABLE -> new BatchRejectedException(NackReason.UNPARSABLE, e.getMessage());
      case COUNT_MISMATCH -> new BatchRejectedException(NackReason.COUNT_MISMATCH, e.getMessage());
    };
  }
}
