package io.sluice.log4j2;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.DeferredRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.jctools.queues.MpmcArrayQueue;

/**
 * One {@code sluice.v1.LogRecord} in its wire form, written on the logging thread by {@link Log4j2EventMapper} and
 * parsed on the pipeline's batcher thread by {@link #build()}. Log4j2 reuses its events, so the caller must copy
 * what it hands over; writing the wire bytes is that copy, and the smallest one.
 *
 * <p>Garbage-free in the steady state: records come from a bounded pool ({@link #take()}), {@link #build()} gives
 * its record back to the pool, and so does a caller whose offer was refused ({@link #recycle()}). The pool keeps at
 * most {@link #POOL_SIZE} idle records with buffers of at most {@link #KEPT_BYTES} bytes (a larger one is replaced
 * when recycled), so its idle memory is bounded by about 1 MiB; records in flight are bounded by the pipeline's
 * queue. One record is written by one thread at a time and not touched after it was offered.
 *
 * <p>The writer emits protobuf's wire format for the fields it is given, in the order given; a nested message is
 * opened with {@link #begin} and closed with {@link #end}, which fills in its length.
 */
final class EncodedRecord implements DeferredRecord {
  static final int POOL_SIZE = 1024;
  static final int KEPT_BYTES = 1024;
  private static final int INITIAL_BYTES = 512;
  private static final MpmcArrayQueue<EncodedRecord> POOL = new MpmcArrayQueue<>(POOL_SIZE);

  private byte[] buf = new byte[INITIAL_BYTES];
  private int pos;

  /**
   * Per logging thread: a builder for messages that format themselves ({@code StringBuilderFormattable}) and the
   * chars of the string being written. Each is cut back to {@link #KEPT_BYTES} after a larger event.
   */
  static final class Scratch {
    final StringBuilder text = new StringBuilder(256);
    char[] chars = new char[256];

    StringBuilder text() {
      if (text.capacity() > KEPT_BYTES) {
        text.setLength(0);
        text.trimToSize();
      }
      text.setLength(0);
      return text;
    }
  }

  private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /** This thread's scratch; valid until the thread's next event. */
  static Scratch scratch() {
    return SCRATCH.get();
  }

  /** A cleared record from the pool, or a new one when the pool is empty. */
  static EncodedRecord take() {
    EncodedRecord r = POOL.relaxedPoll();
    return r != null ? r : new EncodedRecord();
  }

  /** Gives this record back to the pool (dropped when the pool is full); it must not be used afterwards. */
  void recycle() {
    pos = 0;
    if (buf.length > KEPT_BYTES) buf = new byte[INITIAL_BYTES];
    POOL.relaxedOffer(this);
  }

  int size() {
    return pos;
  }

  @Override
  public int estimatedBytes() {
    return pos; // exact: the encoded record without its tag and length in the batch
  }

  /** Parses the record (batcher thread) and gives this buffer back to the pool. */
  @Override
  public LogRecord build() {
    try {
      return LogRecord.parseFrom(com.google.protobuf.CodedInputStream.newInstance(buf, 0, pos));
    } catch (IOException e) {
      throw new IllegalStateException("an encoded record did not parse", e);
    } finally {
      recycle();
    }
  }

  /** A copy of the wire bytes (tests). */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  // ------------------------------------------------------------------------------------------------ the writer

  private void ensure(int more) {
    if (buf.length - pos < more) {
      long wanted = Math.max((long) buf.length * 2, (long) pos + more);
      if (wanted > Integer.MAX_VALUE - 8) throw new IllegalStateException("record larger than 2 GiB");
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }

  void tag(int field, int wireType) {
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

  void int64(int field, long value) {
    tag(field, 0);
    varint64(value);
  }

  void bool(int field, boolean value) {
    tag(field, 0);
    varint32(value ? 1 : 0);
  }

  void fixed64(int field, long value) {
    tag(field, 1);
    ensure(8);
    for (int i = 0; i < 8; i++) buf[pos++] = (byte) (value >>> (8 * i));
  }

  void fixed32(int field, int value) {
    tag(field, 5);
    ensure(4);
    for (int i = 0; i < 4; i++) buf[pos++] = (byte) (value >>> (8 * i));
  }

  void bytes(int field, byte[] value) {
    tag(field, 2);
    varint32(value.length);
    ensure(value.length);
    System.arraycopy(value, 0, buf, pos, value.length);
    pos += value.length;
  }

  /**
   * Lower-case or upper-case hex of exactly {@code 2 * n} digits as {@code n} bytes; the caller has checked it with
   * {@link io.sluice.sdk.record.TraceContext#hexToBytes} or takes it from a valid {@code SpanContext}.
   */
  void hexBytes(int field, CharSequence hex, int n) {
    tag(field, 2);
    varint32(n);
    ensure(n);
    for (int i = 0; i < n; i++) {
      buf[pos++] = (byte) ((Character.digit(hex.charAt(2 * i), 16) << 4) | Character.digit(hex.charAt(2 * i + 1), 16));
    }
  }

  /** A string field as UTF-8 (unpaired surrogates become '?', as in {@code String.getBytes(UTF_8)}). */
  void string(int field, CharSequence s) {
    tag(field, 2);
    int n = s.length();
    // The chars in bulk into this thread's scratch, then plain array loops (charAt through CharSequence is slow).
    Scratch scratch = scratch();
    char[] chars = scratch.chars;
    if (chars.length < n) {
      chars = new char[Math.max(n, 2 * chars.length)];
      if (n <= KEPT_BYTES) scratch.chars = chars;
    } else if (chars.length > KEPT_BYTES && n <= KEPT_BYTES) {
      scratch.chars = chars = new char[256];
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
  void message(int field, MessageLite m) {
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

  /** Opens a nested message: writes its tag and reserves one byte of length; returns the mark for {@link #end}. */
  int begin(int field) {
    tag(field, 2);
    ensure(1);
    return pos++;
  }

  /** Closes the message opened at {@code mark}: writes its length, moving its content when it needs more bytes. */
  void end(int mark) {
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

  /** Parses the bytes without recycling (tests). */
  LogRecord parse() throws InvalidProtocolBufferException {
    return LogRecord.parseFrom(toByteArray());
  }
}
