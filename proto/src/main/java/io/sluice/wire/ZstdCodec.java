package io.sluice.wire;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * zstd for one owner (a batching thread, a decoding thread): one compression and one decompression context, kept
 * across batches. A fresh context per call ({@code Zstd.compress}) allocates and clears its tables (about 1 MiB at
 * level 3) every time; a reused one does not. Compression writes into a reused output buffer and copies out the
 * exact payload.
 *
 * <p>Decompression is bounded: it never allocates more than {@code maxOutputBytes} (plus one 64 KiB read buffer)
 * whatever the frame declares. A frame's declared content size is checked against the cap before anything is
 * allocated; frames without one (streamed compression), and payloads of several frames, are streamed through a
 * counter that stops past the cap.
 *
 * <p>Not thread-safe: one instance per owning thread (or {@link #forThisThread(int)}). Native memory is freed by
 * {@link #close()} (and, failing that, by the contexts' cleaners). Never blocks.
 */
public final class ZstdCodec implements AutoCloseable {
  /** ZSTD_CONTENTSIZE_UNKNOWN: the frame header does not declare its size (streamed compression). */
  private static final long CONTENTSIZE_UNKNOWN = -1L;
  /** The output buffer kept between batches; a larger one (a rare huge batch) is given back after use. */
  private static final int KEPT_OUTPUT_BYTES = 4 << 20;

  private static final ThreadLocal<java.util.Map<Integer, ZstdCodec>> PER_THREAD =
      ThreadLocal.withInitial(java.util.HashMap::new);

  private final int level;
  private ZstdCompressCtx compress;
  private ZstdDecompressCtx decompress;
  private byte[] out = new byte[0];

  /** @param level zstd compression level: 1..22 (3 is zstd's default), or a negative (fast) level down to -131072 */
  public ZstdCodec(int level) {
    if (level < Zstd.minCompressionLevel() || level > Zstd.maxCompressionLevel()) {
      throw new IllegalArgumentException("zstd level must be in [" + Zstd.minCompressionLevel() + ", "
          + Zstd.maxCompressionLevel() + "], was " + level);
    }
    this.level = level;
  }

  /**
   * This thread's codec at {@code level}, created on first use and kept for the thread's life (for callers that
   * own no long-lived object, such as tests and tools; a batching thread should hold its own and close it).
   */
  public static ZstdCodec forThisThread(int level) {
    return PER_THREAD.get().computeIfAbsent(level, ZstdCodec::new);
  }

  public int level() {
    return level;
  }

  /** The zstd frame of {@code src[off, off + len)}, with its content size declared. */
  public byte[] compress(byte[] src, int off, int len) {
    if (compress == null) compress = new ZstdCompressCtx().setLevel(level).setContentSize(true);
    int bound = (int) Math.min(Integer.MAX_VALUE - 8, Zstd.compressBound(len));
    if (out.length < bound) out = new byte[bound];
    int n = compress.compressByteArray(out, 0, out.length, src, off, len);
    byte[] payload = Arrays.copyOf(out, n);
    if (out.length > KEPT_OUTPUT_BYTES) out = new byte[0];
    return payload;
  }

  public byte[] compress(byte[] src) {
    return compress(src, 0, src.length);
  }

  /**
   * Decompresses {@code src}, refusing to produce more than {@code maxOutputBytes}.
   *
   * @throws WireException {@link WireException.Reason#DECOMPRESSED_TOO_LARGE} when the declared or decoded size
   *     exceeds the cap (the message ends with "the limit is N"), {@link WireException.Reason#CORRUPT_PAYLOAD}
   *     when the input is not zstd or is corrupt or truncated
   */
  public byte[] decompress(byte[] src, int maxOutputBytes) throws WireException {
    long declared;
    try {
      declared = Zstd.getFrameContentSize(src);
    } catch (RuntimeException e) {
      throw corrupt(e);
    }
    if (declared < 0 && declared != CONTENTSIZE_UNKNOWN) {
      throw new WireException(WireException.Reason.CORRUPT_PAYLOAD, "payload is not a zstd frame");
    }
    if (declared > maxOutputBytes) {
      throw tooLarge("the zstd frame declares " + declared + " bytes", maxOutputBytes);
    }
    if (declared >= 0 && isSingleFrame(src)) {
      if (decompress == null) decompress = new ZstdDecompressCtx();
      byte[] result = new byte[(int) declared];
      int n;
      try {
        // A destination of exactly the declared size: data running past it is an error, never an allocation.
        n = decompress.decompressByteArray(result, 0, result.length, src, 0, src.length);
      } catch (RuntimeException e) { // ZstdException included
        decompress.reset();
        throw corrupt(e);
      }
      if (n != declared) {
        throw new WireException(WireException.Reason.CORRUPT_PAYLOAD,
            "zstd frame declares " + declared + " bytes but holds " + n);
      }
      return result;
    }
    return streamWithCap(src, maxOutputBytes);
  }

  /** True when the first frame is the whole payload, so its declared size is the size of everything decoded. */
  private static boolean isSingleFrame(byte[] src) {
    try {
      return Zstd.findFrameCompressedSize(src) == src.length;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Frames without a declared size (or several frames): decoded through a counter that stops past the cap. */
  private static byte[] streamWithCap(byte[] src, int cap) throws WireException {
    byte[] buf = new byte[(int) Math.min(cap, Math.max(8192L, src.length * 4L))];
    int size = 0;
    try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(src))) {
      byte[] chunk = new byte[64 * 1024];
      int n;
      while ((n = in.read(chunk)) > 0) {
        if ((long) size + n > cap) throw tooLarge("decoding stopped past " + cap + " bytes", cap);
        if (size + n > buf.length) {
          buf = Arrays.copyOf(buf, (int) Math.min(cap, Math.max((long) buf.length * 2, size + n)));
        }
        System.arraycopy(chunk, 0, buf, size, n);
        size += n;
      }
    } catch (IOException | RuntimeException e) {
      throw corrupt(e);
    }
    return Arrays.copyOf(buf, size);
  }

  private static WireException tooLarge(String what, int cap) {
    return new WireException(WireException.Reason.DECOMPRESSED_TOO_LARGE, what + "; the limit is " + cap);
  }

  private static WireException corrupt(Exception e) {
    return new WireException(WireException.Reason.CORRUPT_PAYLOAD, "payload is not valid zstd: " + e.getMessage(), e);
  }

  /** Frees the native contexts; the codec may still be used afterwards (it makes new ones). */
  @Override
  public void close() {
    if (compress != null) compress.close();
    if (decompress != null) decompress.close();
    compress = null;
    decompress = null;
    out = new byte[0];
  }
}
