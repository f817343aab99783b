package io.sluice.wire;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.LogBatch;

/**
 * Turns a {@link Batch} frame into its LogBatch, refusing anything that would cost more than its bounds: the bounded
 * decoder every receiver uses. Memory: never allocates more than {@code maxDecompressedBytes} (+ one read buffer)
 * for one batch, whatever the frame declares — sizes are checked before anything is allocated ({@link ZstdCodec}).
 * Declared sizes are never trusted: the decoded size and the record count are compared with them.
 *
 * <p>Thread-safe: the zstd contexts are the calling thread's ({@link ZstdCodec#forThisThread}). Never blocks.
 */
public final class BatchReader {
  private final int maxFrameBytes;
  private final int maxDecompressedBytes;

  /**
   * @param maxFrameBytes largest compressed payload, bytes
   * @param maxDecompressedBytes largest decoded LogBatch, bytes; a bigger one is refused as a bomb
   */
  public BatchReader(int maxFrameBytes, int maxDecompressedBytes) {
    this.maxFrameBytes = maxFrameBytes;
    this.maxDecompressedBytes = maxDecompressedBytes;
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  public int maxDecompressedBytes() {
    return maxDecompressedBytes;
  }

  /** The decoded batch, or a refusal naming the first rule it broke. */
  public LogBatch decode(Batch batch) throws WireException {
    byte[] decoded = decompress(batch);
    LogBatch logBatch;
    try {
      logBatch = LogBatch.parseFrom(decoded);
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(e);
    }
    checkCount(batch, logBatch.getRecordsCount());
    return logBatch;
  }

  /**
   * Like {@link #decode}, without building the records: the decoded bytes and each record's range in them
   * ({@link DecodedBatch#scan}), so that records are passed on as they were sent. Accepts and refuses exactly what
   * {@link #decode} does, with the same reasons and messages.
   */
  public DecodedBatch decodeWithRanges(Batch batch) throws WireException {
    byte[][] frame = new byte[1][];
    byte[] decoded = decompress(batch, frame);
    DecodedBatch scanned;
    try {
      scanned = DecodedBatch.scan(decoded, batch.getRecordCount());
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(e);
    }
    checkCount(batch, scanned.size());
    return frame[0] == null ? scanned : scanned.withZstdFrame(frame[0]);
  }

  /** The payload decompressed within the bounds, its size checked against {@code uncompressed_size}. */
  public byte[] decompress(Batch batch) throws WireException {
    return decompress(batch, null);
  }

  /**
   * Like {@link #decompress(Batch)}; when {@code frameOut} is given and the payload is one zstd frame declaring the
   * size it decoded to, puts that frame (the payload's bytes) in {@code frameOut[0]}.
   */
  private byte[] decompress(Batch batch, byte[][] frameOut) throws WireException {
    ByteString payload = batch.getPayload();
    if (payload.size() > maxFrameBytes) {
      throw new WireException(WireException.Reason.FRAME_TOO_LARGE,
          "payload is " + payload.size() + " bytes; the limit is " + maxFrameBytes);
    }
    // uint64 on the wire: compared unsigned, so 2^64-1 (-1 as a Java long) is too large, not small
    if (Long.compareUnsigned(batch.getUncompressedSize(), maxDecompressedBytes) > 0) {
      throw new WireException(WireException.Reason.DECOMPRESSED_TOO_LARGE, "uncompressed_size "
          + Long.toUnsignedString(batch.getUncompressedSize()) + " exceeds the limit " + maxDecompressedBytes);
    }
    byte[] decoded;
    switch (batch.getCodec()) {
      case CODEC_NONE -> decoded = payload.toByteArray();
      case CODEC_ZSTD -> {
        byte[] src = payload.toByteArray();
        decoded = ZstdCodec.forThisThread(3).decompress(src, maxDecompressedBytes);
        if (frameOut != null && isOneFrameDeclaring(src, decoded.length)) {
          frameOut[0] = src;
        }
      }
      default -> throw new WireException(WireException.Reason.BAD_CODEC,
          "codec " + batch.getCodecValue() + " is not supported; use CODEC_ZSTD or CODEC_NONE");
    }
    if (decoded.length > maxDecompressedBytes) {
      throw new WireException(WireException.Reason.DECOMPRESSED_TOO_LARGE,
          "decoded payload is " + decoded.length + " bytes; the limit is " + maxDecompressedBytes);
    }
    if (batch.getUncompressedSize() != 0 && batch.getUncompressedSize() != decoded.length) {
      throw new WireException(WireException.Reason.UNPARSABLE, "decoded payload is " + decoded.length
          + " bytes but uncompressed_size says " + Long.toUnsignedString(batch.getUncompressedSize()));
    }
    return decoded;
  }

  /** True if {@code src} is exactly one zstd frame whose header declares {@code size} decoded bytes. */
  private static boolean isOneFrameDeclaring(byte[] src, int size) {
    try {
      return Zstd.getFrameContentSize(src) == size && Zstd.findFrameCompressedSize(src) == src.length;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static WireException unparsable(InvalidProtocolBufferException e) {
    return new WireException(WireException.Reason.UNPARSABLE, "payload is not a LogBatch: " + e.getMessage(), e);
  }

  private static void checkCount(Batch batch, int records) throws WireException {
    if (records != batch.getRecordCount()) {
      throw new WireException(WireException.Reason.COUNT_MISMATCH, "record_count is "
          + Integer.toUnsignedString(batch.getRecordCount()) + " but the LogBatch holds " + records + " records");
    }
  }
}
