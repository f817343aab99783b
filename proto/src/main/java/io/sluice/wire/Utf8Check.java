package io.sluice.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Well-formed UTF-8 as protobuf requires it of proto3 {@code string} fields (Unicode's definition: no overlong forms,
 * no surrogates, nothing above U+10FFFF), checked in place. ASCII, the common case of log text, is tested sixteen
 * bytes at a time, also between the multi-byte characters of a mostly-ASCII text. Stateless.
 */
public final class Utf8Check {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGH_BITS = 0x8080808080808080L;

  private Utf8Check() {}

  /** True if {@code b[off, off + len)} is well-formed UTF-8 (the same answer as {@code ByteString.isValidUtf8}). */
  public static boolean isWellFormed(byte[] b, int off, int len) {
    int i = off;
    int end = off + len;
    while (i < end) {
      // ASCII, 16 then 8 bytes at a time; again after every multi-byte character (text is mostly ASCII)
      while (i + 16 <= end && (((long) LONGS.get(b, i) | (long) LONGS.get(b, i + 8)) & HIGH_BITS) == 0) {
        i += 16;
      }
      if (i + 8 <= end && ((long) LONGS.get(b, i) & HIGH_BITS) == 0) {
        i += 8;
      }
      if (i >= end) {
        break;
      }
      int c = b[i++];
      if (c >= 0) {
        continue;
      }
      if (c < (byte) 0xE0) { // two bytes: C2..DF, one continuation (C0, C1 would be overlong)
        if (c < (byte) 0xC2 || i >= end || b[i++] > (byte) 0xBF) {
          return false;
        }
      } else if (c < (byte) 0xF0) { // three bytes: no overlong after E0, no surrogates after ED
        if (i + 1 >= end) {
          return false;
        }
        int c2 = b[i++];
        if (c2 > (byte) 0xBF
            || c == (byte) 0xE0 && c2 < (byte) 0xA0
            || c == (byte) 0xED && c2 >= (byte) 0xA0
            || b[i++] > (byte) 0xBF) {
          return false;
        }
      } else { // four bytes: F0..F4, no overlong after F0, nothing above U+10FFFF after F4
        if (i + 2 >= end) {
          return false;
        }
        int c2 = b[i++];
        if (c > (byte) 0xF4
            || c2 > (byte) 0xBF
            || c == (byte) 0xF0 && c2 < (byte) 0x90
            || c == (byte) 0xF4 && c2 > (byte) 0x8F
            || b[i++] > (byte) 0xBF
            || b[i++] > (byte) 0xBF) {
          return false;
        }
      }
    }
    return true;
  }
}
