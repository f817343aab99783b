package io.sluice.collector.ingest;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.collector.NackReason;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.LogBatch;
import java.io.IOException;
import java.io.InputStream;

/**
 * Turns a Batch frame into its LogBatch, refusing anything that would cost more than the configured bounds.
 * Memory: never allocates more than {@code maxDecompressedBytes} (+ one read buffer) for one batch, whatever the
 * frame declares — the zstd frame's declared content size is checked before allocating, and frames without one are
 * streamed through a counter that stops at the cap. Stateless and thread-safe.
 */
public final class BatchDecoder {
  /** ZSTD_CONTENTSIZE_UNKNOWN: the frame header does not declare its size (streamed compression). */
  private static final long CONTENTSIZE_UNKNOWN = -1L;

  private final int maxFrameBytes;
  private final int maxDecompressedBytes;

  /**
   * @param maxFrameBytes largest compressed payload, bytes
   * @param maxDecompressedBytes largest decoded LogBatch, bytes; a bigger one is rejected as a bomb
   */
  public BatchDecoder(int maxFrameBytes, int maxDecompressedBytes) {
    this.maxFrameBytes = maxFrameBytes;
    this.maxDecompressedBytes = maxDecompressedBytes;
  }

  /** The decoded batch, or a rejection naming the first rule it broke. */
  public LogBatch decode(Batch batch) throws BatchRejectedException {
    return parse(batch, decompress(batch));
  }

  /**
   * Like {@link #decode}, without building the records: the decoded bytes, each record's range in them and the few
   * fields the collector reads (see {@link DecodedBatch#scan}), so that records are published as they were sent.
   * Accepts and rejects exactly what {@link #decode} does, with the same reasons and messages.
   */
  public DecodedBatch decodeWithRanges(Batch batch) throws BatchRejectedException {
    byte[] decoded = decompress(batch);
    DecodedBatch scanned;
    try {
      scanned = DecodedBatch.scan(decoded, batch.getRecordCount());
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(e);
    }
    checkCount(batch, scanned.size());
    return scanned;
  }

  private byte[] decompress(Batch batch) throws BatchRejectedException {
    ByteString payload = batch.getPayload();
    if (payload.size() > maxFrameBytes) {
      throw new BatchRejectedException(NackReason.FRAME_TOO_LARGE,
          "payload is " + payload.size() + " bytes; the limit is " + maxFrameBytes + " (limits.maxFrameBytes)");
    }
    // uint64 on the wire: compared unsigned, so 2^64-1 (-1 as a Java long) is too large, not small
    if (Long.compareUnsigned(batch.getUncompressedSize(), maxDecompressedBytes) > 0) {
      throw new BatchRejectedException(NackReason.DECOMPRESSED_TOO_LARGE, "uncompressed_size "
          + Long.toUnsignedString(batch.getUncompressedSize()) + " exceeds the limit " + maxDecompressedBytes
          + " (limits.maxDecompressedBytes)");
    }
    byte[] decoded;
    switch (batch.getCodec()) {
      case CODEC_NONE -> decoded = payload.toByteArray();
      case CODEC_ZSTD -> decoded = unzstd(payload.toByteArray());
      default -> throw new BatchRejectedException(NackReason.BAD_CODEC,
          "codec " + batch.getCodecValue() + " is not supported; use CODEC_ZSTD or CODEC_NONE");
    }
    if (decoded.length > maxDecompressedBytes) {
      throw tooLarge("decoded payload is " + decoded.length + " bytes");
    }
    if (batch.getUncompressedSize() != 0 && batch.getUncompressedSize() != decoded.length) {
      throw new BatchRejectedException(NackReason.UNPARSABLE, "decoded payload is " + decoded.length
          + " bytes but uncompressed_size says " + Long.toUnsignedString(batch.getUncompressedSize()));
    }
    return decoded;
  }

  private static LogBatch parse(Batch batch, byte[] decoded) throws BatchRejectedException {
    LogBatch logBatch;
    try {
      logBatch = LogBatch.parseFrom(decoded);
    } catch (InvalidProtocolBufferException e) {
      throw unparsable(e);
    }
    checkCount(batch, logBatch.getRecordsCount());
    return logBatch;
  }

  private static BatchRejectedException unparsable(InvalidProtocolBufferException e) {
    return new BatchRejectedException(NackReason.UNPARSABLE, "payload is not a LogBatch: " + e.getMessage());
  }

  private static void checkCount(Batch batch, int records) throws BatchRejectedException {
    if (records != batch.getRecordCount()) {
      throw new BatchRejectedException(NackReason.COUNT_MISMATCH, "record_count is "
          + Integer.toUnsignedString(batch.getRecordCount())
          + " but the LogBatch holds " + records + " records");
    }
  }

  private byte[] unzstd(byte[] src) throws BatchRejectedException {
    long declared;
    try {
      declared = Zstd.getFrameContentSize(src);
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
    if (declared < 0 && declared != CONTENTSIZE_UNKNOWN) {
      throw new BatchRejectedException(NackReason.CORRUPT_PAYLOAD, "payload is not a zstd frame");
    }
    if (declared > maxDecompressedBytes) {
      throw tooLarge("the zstd frame declares " + declared + " bytes");
    }
    if (declared >= 0 && isSingleFrame(src)) {
      try {
        // Zstd.decompress(src, cap) allocates min(declared, cap) and throws when the data runs past it.
        byte[] out = Zstd.decompress(src, (int) declared);
        if (out.length != declared) {
          throw new BatchRejectedException(NackReason.CORRUPT_PAYLOAD,
              "zstd frame declares " + declared + " bytes but holds " + out.length);
        }
        return out;
      } catch (RuntimeException e) { // ZstdException included
        throw corrupt(e);
      }
    }
    return streamWithCap(src);
  }

  /** True when the first frame is the whole payload, so its declared size is the size of everything decoded. */
  private static boolean isSingleFrame(byte[] src) {
    try {
      return Zstd.findFrameCompressedSize(src) == src.length;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Frames without a declared size (or several frames): decode through a counter that stops past the cap. */
  private byte[] streamWithCap(byte[] src) throws BatchRejectedException {
    BoundedBytes out = new BoundedBytes(maxDecompressedBytes);
    try (InputStream in = new ZstdInputStream(new java.io.ByteArrayInputStream(src))) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (!out.write(buf, n)) {
          throw tooLarge("decoding stopped past " + maxDecompressedBytes + " bytes");
        }
      }
    } catch (IOException | RuntimeException e) {
      throw corrupt(e);
    }
    return out.toByteArray();
  }

  private BatchRejectedException tooLarge(String what) {
    return new BatchRejectedException(NackReason.DECOMPRESSED_TOO_LARGE,
        what + "; the limit is " + maxDecompressedBytes + " (limits.maxDecompressedBytes)");
  }

  private static BatchRejectedException corrupt(Exception e) {
    return new BatchRejectedException(NackReason.CORRUPT_PAYLOAD, "payload is not valid zstd: " + e.getMessage());
  }

  /** A growable byte array that refuses to grow past {@code cap}. Not thread-safe. */
  private static final class BoundedBytes {
    private final int cap;
    private byte[] buf = new byte[8192];
    private int size;

    BoundedBytes(int cap) {
      this.cap = cap;
    }

    boolean write(byte[] b, int n) {
      if ((long) size + n > cap) {
        return false;
      }
      if (size + n > buf.length) {
        buf = java.util.Arrays.copyOf(buf, (int) Math.min(cap, Math.max((long) buf.length * 2, size + n)));
      }
      System.arraycopy(b, 0, buf, size, n);
      size += n;
      return true;
    }

    byte[] toByteArray() {
      return java.util.Arrays.copyOf(buf, size);
    }
  }
}
