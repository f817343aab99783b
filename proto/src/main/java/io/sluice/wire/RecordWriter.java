package io.sluice.wire;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one message — a {@code sluice.v1.LogRecord}, typically — in protobuf's wire format field by field into a
 * growable array, with no message object in between: what an appender uses to copy an event that its framework
 * will reuse. Emits the fields it is given, in the order given; a nested message is opened with {@link #begin} and
 * closed with {@link #end}, which fills in its length. {@link BatchWriter#addEncoded} puts the result in a batch.
 *
 * <p>Bounded by what it is given (a record larger than 2 GiB is refused); {@link #reset(int)} gives back a buffer
 * grown past a bound. Not thread-safe: one writer is written by one thread at a time.
 */
public class RecordWriter {
  private byte[] buf;
  private int pos;

  /** Per thread: the chars of the string being written, cut back after a string longer than 1024 chars. */
  private static final int KEPT_CHARS = 1024;
  private static final ThreadLocal<char[][]> CHARS = ThreadLocal.withInitial(() -> new char[][] {new char[256]});

  public RecordWriter(int initialBytes) {
    buf = new byte[Math.max(16, initialBytes)];
  }

  /** Bytes written. */
  public final int size() {
    return pos;
  }

  /** The message is {@code array()[0, size())}; valid until the next write or reset. */
  public final byte[] array() {
    return buf;
  }

  /** A copy of the written bytes. */
  public final byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** Empties the writer; a buffer grown past {@code keepBytes} is replaced by one of {@code initialBytes}. */
  public final void reset(int keepBytes, int initialBytes) {
    pos = 0;
    if (buf.length > keepBytes) buf = new byte[Math.max(16, initialBytes)];
  }

  /** Empties the writer, keeping its buffer. */
  public final void reset() {
    pos = 0;
  }

  private void ensure(int more) {
    if (buf.length - pos < more) {
      long wanted = Math.max((long) buf.length * 2, (long) pos + more);
      if (wanted > Integer.MAX_VALUE - 8) throw new IllegalStateException("record larger than 2 GiB");
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }

  public final void tag(int field, int wireType) {
    varint32((field << 3) | wireType);
  }

  private void varint32(int value) {
    ensure(5);
    while ((value & ~0x7F) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
  }

  private void varint64(long value) {
    ensure(10);
    while ((value & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[pos++] = (byte) value;
  }

  public final void int64(int field, long value) {
    tag(field, 0);
    varint64(value);
  }

  public final void bool(int field, boolean value) {
    tag(field, 0);
    varint32(value ? 1 : 0);
  }

  public final void fixed64(int field, long value) {
    tag(field, 1);
    ensure(8);
    for (int i = 0; i < 8; i++) buf[pos++] = (byte) (value >>> (8 * i));
  }

  public final void fixed32(int field, int value) {
    tag(field, 5);
    ensure(4);
    for (int i = 0; i < 4; i++) buf[pos++] = (byte) (value >>> (8 * i));
  }

  public final void bytes(int field, byte[] value) {
    tag(field, 2);
    varint32(value.length);
    ensure(value.length);
    System.arraycopy(value, 0, buf, pos, value.length);
    pos += value.length;
  }

  /** Already encoded fields, copied as they are. */
  public final void raw(byte[] fields, int off, int len) {
    ensure(len);
    System.arraycopy(fields, off, buf, pos, len);
    pos += len;
  }

  /** Hex of exactly {@code 2 * n} digits (either case) as {@code n} bytes; the caller has checked the digits. */
  public final void hexBytes(int field, CharSequence hex, int n) {
    tag(field, 2);
    varint32(n);
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[pos++] = (byte) ((Character.digit(hex.charAt(2 * i), 16) << 4) | Character.digit(hex.charAt(2 * i + 1), 16));
    }
  }

  /** Strings longer than this are not kept by {@link #stableString}. */
  private static final int STABLE_MAX_CHARS = 256;
  private static final int STABLE_SLOTS = 64;
  /** {@link #stableString}'s strings (by identity) and their UTF-8, direct-mapped by identity hash; made on first use. */
  private Object[] stableKeys;
  private byte[][] stableUtf8;

  /**
   * A string field whose value recurs as the very same {@code String} object from record to record (a logger or
   * thread name, a message template, a level name, a context key): its UTF-8 is kept by this writer (64 slots, by
   * identity; up to 256 chars) and copied, instead of being encoded char by char each time (profiled: string encoding
   * was the largest part of a logging thread's encoding). The same bytes as {@link #string}. Allocates only when a
   * string is not kept yet, so a writer reused by one thread stays garbage-free for such strings.
   */
  public final void stableString(int field, String s) {
    if (s.length() > STABLE_MAX_CHARS) {
      string(field, s);
      return;
    }
    if (stableKeys == null) {
      stableKeys = new Object[STABLE_SLOTS];
      stableUtf8 = new byte[STABLE_SLOTS][];
    }
    int slot = System.identityHashCode(s) & (STABLE_SLOTS - 1);
    byte[] utf8;
    if (stableKeys[slot] == s) {
      utf8 = stableUtf8[slot];
    } else {
      utf8 = s.getBytes(StandardCharsets.UTF_8);
      stableKeys[slot] = s;
      stableUtf8[slot] = utf8;
    }
    tag(field, 2);
    varint32(utf8.length);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  /** A string field as UTF-8 (unpaired surrogates become '?', as in {@code String.getBytes(UTF_8)}). */
  public final void string(int field, CharSequence s) {
    tag(field, 2);
    int n = s.length();
    // The chars in bulk into this thread's scratch, then plain array loops (charAt through CharSequence is slow).
    char[][] scratch = CHARS.get();
    char[] chars = scratch[0];
    if (chars.length < n) {
      chars = new char[Math.max(n, 2 * chars.length)];
      if (n <= KEPT_CHARS) scratch[0] = chars;
    } else if (chars.length > KEPT_CHARS && n <= KEPT_CHARS) {
      scratch[0] = chars = new char[256];
    }
    if (s instanceof String str) {
      str.getChars(0, n, chars, 0);
    } else if (s instanceof StringBuilder sb) {
      sb.getChars(0, n, chars, 0);
    } else {
      for (int i = 0; i < n; i++) chars[i] = s.charAt(i);
    }
    int utf8 = utf8Length(chars, n);
    varint32(utf8);
    ensure(utf8);
    byte[] b = buf;
    int p = pos;
    int i = 0;
    for (; i < n; i++) { // ASCII run
      char c = chars[i];
      if (c >= 0x80) break;
      b[p++] = (byte) c;
    }
    for (; i < n; i++) {
      char c = chars[i];
      if (c < 0x80) {
        b[p++] = (byte) c;
      } else if (c < 0x800) {
        b[p++] = (byte) (0xC0 | (c >>> 6));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(chars[i + 1])) {
          int cp = Character.toCodePoint(c, chars[++i]);
          b[p++] = (byte) (0xF0 | (cp >>> 18));
          b[p++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
          b[p++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          b[p++] = '?';
        }
      } else {
        b[p++] = (byte) (0xE0 | (c >>> 12));
        b[p++] = (byte) (0x80 | ((c >>> 6) & 0x3F));
        b[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    pos = p;
  }

  private static int utf8Length(char[] s, int n) {
    int len = n;
    int i = 0;
    while (i < n && s[i] < 0x80) i++;
    for (; i < n; i++) {
      char c = s[i];
      if (c < 0x80) continue;
      if (c < 0x800) {
        len += 1;
      } else if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s[i + 1])) {
          len += 2; // 4 bytes for 2 chars
          i++;
        } // else '?': 1 byte for 1 char
      } else {
        len += 2;
      }
    }
    return len;
  }

  /** A message built the usual way (rare parts: exceptions, map values, unusual argument types). */
  public final void message(int field, MessageLite m) {
    int size = m.getSerializedSize();
    tag(field, 2);
    varint32(size);
    ensure(size);
    CodedOutputStream out = CodedOutputStream.newInstance(buf, pos, size);
    try {
      m.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    pos += size;
  }

  /** The fields of a whole message (a record built the usual way), without a tag of its own. */
  public final void fieldsOf(MessageLite m) {
    int size = m.getSerializedSize();
    ensure(size);
    CodedOutputStream out = CodedOutputStream.newInstance(buf, pos, size);
    try {
      m.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    pos += size;
  }

  /** Opens a nested message: writes its tag and reserves one byte of length; returns the mark for {@link #end}. */
  public final int begin(int field) {
    tag(field, 2);
    ensure(1);
    return pos++;
  }

  /** Closes the message opened at {@code mark}: writes its length, moving its content when it needs more bytes. */
  public final void end(int mark) {
    int length = pos - mark - 1;
    int lengthBytes = CodedOutputStream.computeUInt32SizeNoTag(length);
    if (lengthBytes > 1) {
      ensure(lengthBytes - 1);
      System.arraycopy(buf, mark + 1, buf, mark + lengthBytes, length);
      pos += lengthBytes - 1;
    }
    int p = mark;
    int value = length;
    while ((value & ~0x7F) != 0) {
      buf[p++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    buf[p] = (byte) value;
  }
}
