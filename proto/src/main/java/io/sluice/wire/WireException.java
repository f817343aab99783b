package io.sluice.wire;

/**
 * Bytes that {@link BatchReader} or {@link ZstdCodec} refuse, with the first rule they broke. The message says what
 * was found and, for a limit, ends with "the limit is N" so a caller can append the name of its setting.
 */
public final class WireException extends Exception {
  /** Which rule the bytes broke; each maps to one refusal a receiver reports (e.g. the collector's nack reasons). */
  public enum Reason {
    /** The compressed payload is larger than its cap. */
    FRAME_TOO_LARGE,
    /** The declared or decoded size exceeds the decompression cap (a bomb, or just too large). */
    DECOMPRESSED_TOO_LARGE,
    /** The codec is not one this reader knows. */
    BAD_CODEC,
    /** Not zstd, or a corrupt or truncated zstd frame. */
    CORRUPT_PAYLOAD,
    /** The decoded bytes are not a LogBatch, or their size differs from the declared one. */
    UNPARSABLE,
    /** The declared record count differs from the records in the LogBatch. */
    COUNT_MISMATCH
  }

  private final Reason reason;

  public WireException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public WireException(Reason reason, String message, Throwable cause) {
    super(message, cause, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
