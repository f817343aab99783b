package io.sluice.sdk.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** zstd compression with a hard cap on decompressed output (zip-bomb safe). Stateless, thread-safe. */
public final class ZstdCodec {
  private ZstdCodec() {}

  public static byte[] compress(byte[] input, int level) {
    return Zstd.compress(input, level);
  }

  /**
   * Decompresses {@code input}, refusing to produce more than {@code maxOutputBytes}.
   *
   * @throws IOException when the input is not zstd, is corrupt, or would exceed the cap (the message says which)
   */
  public static byte[] decompress(byte[] input, int maxOutputBytes) throws IOException {
    long declared = Zstd.getFrameContentSize(input);
    if (declared > maxOutputBytes) {
      throw new IOException("decompressed size " + declared + " exceeds the cap of " + maxOutputBytes + " bytes");
    }
    if (declared >= 0) {
      try {
        return Zstd.decompress(input, (int) declared);
      } catch (RuntimeException e) {
        throw new IOException("corrupt zstd payload: " + e.getMessage(), e);
      }
    }
    // No declared size (streaming frame) or an error code: decompress through a counting stream.
    try (InputStream in = new ZstdInputStream(new ByteArrayInputStream(input))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxOutputBytes, Math.max(1024, input.length * 4)));
      byte[] buf = new byte[16 * 1024];
      int total = 0;
      int n;
      while ((n = in.read(buf)) > 0) {
        total += n;
        if (total > maxOutputBytes) {
          throw new IOException("decompressed size exceeds the cap of " + maxOutputBytes + " bytes");
        }
        out.write(buf, 0, n);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IOException("corrupt zstd payload: " + e.getMessage(), e);
    }
  }
}
