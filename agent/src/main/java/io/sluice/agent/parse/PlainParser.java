package io.sluice.agent.parse;

import com.google.protobuf.ByteString;
import com.google.protobuf.Internal;
import com.google.protobuf.UnsafeByteOperations;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Severities;
import io.sluice.sdk.record.Values;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** The text is the body; the first level word (INFO, WARN, ERROR, ...) among the first few tokens sets severity. */
public final class PlainParser implements Parser {
  private static final int SCAN_CHARS = 80;
  /** The upper-case level names {@link Severities#byName} knows that fit in {@link #MAX_WORD} letters. */
  private static final String[] LEVELS = {"TRACE", "FINEST", "FINER", "DEBUG", "FINE", "CONFIG", "INFO", "WARN",
      "WARNING", "ERROR", "SEVERE", "FATAL"};
  private static final SeverityNumber[] SEVERITIES = new SeverityNumber[LEVELS.length];
  /** The level names as UTF-8 (ASCII), compared in place against the line's bytes and set without re-encoding. */
  private static final byte[][] LEVEL_BYTES = new byte[LEVELS.length][];
  private static final ByteString[] LEVEL_TEXT = new ByteString[LEVELS.length];
  private static final int MAX_WORD = 7;
  /** The shortest level name (INFO, WARN, FINE): a shorter word is none. */
  private static final int MIN_WORD = 4;

  static {
    for (int k = 0; k < LEVELS.length; k++) {
      SEVERITIES[k] = Severities.byName(LEVELS[k]);
      LEVEL_BYTES[k] = LEVELS[k].getBytes(StandardCharsets.US_ASCII);
      LEVEL_TEXT[k] = ByteString.copyFromUtf8(LEVELS[k]);
    }
  }

  @Override
  public void parse(String text, LogRecord.Builder record) {
    record.setBody(Values.of(text));
    int k = level(text);
    if (k >= 0) {
      record.setSeverityTextBytes(LEVEL_TEXT[k]);
      record.setSeverityNumber(SEVERITIES[k]);
    }
  }

  /**
   * The line's bytes become the body as they are when they are valid UTF-8 (no decode to a String and no re-encode
   * by protobuf: that pair was the agent's top allocator and a large share of its CPU); otherwise the body is their
   * decoded text, invalid bytes replaced by U+FFFD exactly as {@link #parse(String, LogRecord.Builder)} gets them.
   */
  @Override
  public void parse(byte[] utf8, LogRecord.Builder record) {
    record.setBody(AnyValue.newBuilder().setStringValueBytes(UnsafeByteOperations.unsafeWrap(body(utf8))));
    int k = level(utf8);
    if (k >= 0) {
      record.setSeverityTextBytes(LEVEL_TEXT[k]);
      record.setSeverityNumber(SEVERITIES[k]);
    }
  }

  /** The body's UTF-8: {@code utf8} itself when it is valid UTF-8, else its decoded text (U+FFFD) encoded again. */
  public static byte[] body(byte[] utf8) {
    return Internal.isValidUtf8(utf8) ? utf8
        : new String(utf8, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The index of the level word {@link #parse(String, LogRecord.Builder)} finds in the text of these bytes, or -1;
   * see {@link #severityNumber(int)} and {@link #severityText(int)}.
   */
  public static int level(byte[] utf8) {
    return level(utf8, false);
  }

  /** {@link #level(byte[])} of bytes known to be ASCII when {@code ascii} (no check for other bytes then). */
  public static int level(byte[] utf8, boolean ascii) {
    return level(utf8, 0, utf8.length, ascii);
  }

  /** {@link #level(byte[], boolean)} of the {@code length} bytes at {@code offset} of {@code b}. */
  public static int level(byte[] b, int offset, int length, boolean ascii) {
    int limit = Math.min(length, SCAN_CHARS);
    for (int i = 0; i < limit && !ascii; i++) {
      if (b[offset + i] < 0) { // not ASCII: the first SCAN_CHARS characters are not the first SCAN_CHARS bytes
        return level(new String(b, offset, length, StandardCharsets.UTF_8));
      }
    }
    return asciiLevel(b, offset, offset + limit);
  }

  /** The level word among the ASCII bytes {@code utf8[from, limit)}, or -1. */
  private static int asciiLevel(byte[] utf8, int from, int limit) {
    // ASCII: byte i is char i, and the scan below finds what the String scan finds: the first word (a maximal run
    // of letters, cut at the limit) that is all upper case, at most MAX_WORD letters long and a level name. Only an
    // upper-case letter can start such a word, so the scan jumps from one to the next, eight bytes at a time (this
    // ran for every line and was a third of the tailing thread's Java samples, JFR, C1-compiled).
    int i = from;
    while (i < limit) {
      int p = nextUpper(utf8, i, limit);
      if (p < 0) return -1;
      int j = p;
      while (j < limit && isAsciiLetter(utf8[j])) j++;
      // a letter before it is a lower-case one (p is the first upper-case letter from i): not an upper-case word
      if (p == from || !isAsciiLetter(utf8[p - 1])) {
        int len = j - p;
        if (len >= MIN_WORD && len <= MAX_WORD && allUpper(utf8, p, j)) {
          int k = level(utf8, p, len);
          if (k >= 0) return k;
        }
      }
      i = j;
    }
    return -1;
  }

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGH = 0x8080808080808080L;

  /** The index of the first byte in 'A'..'Z' in {@code b[from, to)}, or -1; the bytes are ASCII (below 0x80). */
  private static int nextUpper(byte[] b, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(b, i);
      // per byte x < 0x80, no carry between bytes: x + 0x3F has its high bit iff x >= 'A', x + 0x25 iff x > 'Z'
      long hit = (w + 0x3F * ONES) & ~(w + 0x25 * ONES) & HIGH;
      if (hit != 0) return i + io.sluice.agent.tail.LineSplitter.firstByte(hit);
    }
    for (; i < to; i++) {
      if (b[i] >= 'A' && b[i] <= 'Z') return i;
    }
    return -1;
  }

  private static boolean allUpper(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] < 'A' || b[i] > 'Z') return false;
    }
    return true;
  }

  public static SeverityNumber severityNumber(int level) {
    return SEVERITIES[level];
  }

  /** The level word as UTF-8 (ASCII): not to be modified. */
  public static byte[] severityText(int level) {
    return LEVEL_BYTES[level];
  }

  private static int level(byte[] b, int from, int len) {
    for (int k = 0; k < LEVELS.length; k++) {
      byte[] w = LEVEL_BYTES[k];
      if (w.length != len) continue;
      int m = 0;
      while (m < len && b[from + m] == w[m]) m++;
      if (m == len) return k;
    }
    return -1;
  }

  private static int level(String text) {
    int limit = Math.min(text.length(), SCAN_CHARS);
    // One bulk copy, then plain array reads and ASCII tests: charAt and Character.isLetter per char were about half
    // of the tailing thread's samples (JFR, C1-compiled). Same words as Character.isLetter/isUpperCase delimit.
    char[] c = new char[limit];
    text.getChars(0, limit, c, 0);
    int i = 0;
    while (i < limit) {
      while (i < limit && !isLetter(c[i])) i++;
      int j = i;
      boolean upper = true;
      while (j < limit && isLetter(c[j])) {
        upper &= isUpperCase(c[j]);
        j++;
      }
      // Compared in place: no substring or upper-casing per word (this runs for every line).
      if (upper && j > i && j - i <= MAX_WORD) {
        for (int k = 0; k < LEVELS.length; k++) {
          if (LEVELS[k].length() == j - i && text.regionMatches(i, LEVELS[k], 0, j - i)) return k;
        }
      }
      i = j;
    }
    return -1;
  }

  private static boolean isAsciiLetter(byte b) {
    return (b | 0x20) >= 'a' && (b | 0x20) <= 'z';
  }

  private static boolean isLetter(char ch) {
    return ch < 128 ? (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z' : Character.isLetter(ch);
  }

  private static boolean isUpperCase(char ch) {
    return ch < 128 ? ch >= 'A' && ch <= 'Z' : Character.isUpperCase(ch);
  }
}
