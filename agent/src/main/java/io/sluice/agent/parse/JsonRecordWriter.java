package io.sluice.agent.parse;

import com.google.protobuf.UnsafeByteOperations;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.Severities;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one JSON event straight from its bytes into the protobuf bytes of its {@link LogRecord}: the record {@link
 * JsonParser} fills, completed as the agent completes it (times, the input's attributes, the stream, the source),
 * byte for byte as protobuf would encode it, with no String, Map or message object per line. It covers the JSON
 * that services write: an object of strings, numbers, booleans, nulls, nested objects and arrays. For anything else
 * it writes nothing and {@link #write} returns false, and the caller takes {@link JsonParser}'s path, which decides
 * (invalid JSON, not an object, text after the object, invalid UTF-8, duplicate keys, an escaped key, a {@code \\u}
 * escape of a lone surrogate, nesting deeper than {@value #MAX_NESTING}, more than {@value #MAX_FIELDS} fields, an
 * integer of 19 digits or more, or a message, level or time field whose value is not a string or an integer).
 *
 * <p>Bounded by the largest record written: its buffers grow to it and are kept (a buffer above 1 MiB is dropped
 * after the record). Not thread-safe: one per tailed file.
 */
public final class JsonRecordWriter {
  static final int MAX_NESTING = 8;
  static final int MAX_FIELDS = 64;
  private static final int KEEP_BYTES = 1 << 20;

  private static final int STRING = 1;
  private static final int INT = 2;
  private static final int FLOAT = 3;
  private static final int TRUE = 4;
  private static final int FALSE = 5;
  private static final int NULL = 6;
  private static final int OBJECT = 7;
  private static final int ARRAY = 8;

  private static final int MESSAGE = 1;
  private static final int LEVEL = 2;
  private static final int TIME = 3;

  /** Thrown inside a write for input it does not cover; caught in {@link #write}. Preallocated, no stack trace. */
  private static final class NotCovered extends RuntimeException {
    NotCovered() {
      super(null, null, false, false);
    }
  }

  private static final NotCovered NOT_COVERED = new NotCovered();

  // The input of the current write.
  private byte[] in;
  private int pos;
  private int end;

  // The top-level fields: key (between its quotes), value (a string between its quotes, else its whole text), kind.
  private final int[] keyFrom = new int[MAX_FIELDS];
  private final int[] keyTo = new int[MAX_FIELDS];
  private final int[] valueFrom = new int[MAX_FIELDS];
  private final int[] valueTo = new int[MAX_FIELDS];
  private final int[] kind = new int[MAX_FIELDS];
  private final boolean[] escaped = new boolean[MAX_FIELDS];
  private final boolean[] consumed = new boolean[MAX_FIELDS];
  private int fields;
  /** Set by {@link #string}: whether the string just scanned holds an escape. */
  private boolean lastEscaped;

  /** The record; and one buffer per nesting level for the nested messages (written, then copied with a length). */
  private byte[] out = new byte[512];
  private int len;
  private final byte[][] level = new byte[3 * MAX_NESTING + 4][];
  private final int[] levelLen = new int[3 * MAX_NESTING + 4];
  /** Unescaped text of the message and level fields. */
  private byte[] body = new byte[256];
  private int bodyLen;
  private byte[] severity = new byte[16];
  private int severityLen;

  /** Level names seen (their UTF-8) and their severity numbers: a few entries, replaced round-robin. */
  private final byte[][] levelNames = new byte[16][];
  private final int[] levelNumbers = new int[16];
  private int levelNext;

  /** The record written by the last successful {@link #write}: {@code array()[0, length())}. */
  public byte[] array() {
    return out;
  }

  public int length() {
    return len;
  }

  /**
   * Writes the record of the JSON text {@code b[off, off + n)}: severity, body, time and attributes from the JSON as
   * {@link JsonParser} maps them, then time {@code eventTimeNanos} (else {@code observedNanos}) when the JSON has
   * none, observed time, the attribute fields {@code fixedAttributes} and {@code streamAttribute} (encoded, may be
   * empty), the source (file, offset, length) and truncated. {@code ascii}: every byte is known to be ASCII (else
   * the bytes are checked to be valid UTF-8). Returns false, having written nothing usable, when the text is outside
   * what this writer covers (see the class comment): the caller then parses the text with {@link JsonParser}.
   */
  public boolean write(byte[] b, int off, int n, boolean ascii, long observedNanos, long eventTimeNanos,
      byte[] fixedAttributes, byte[] streamAttribute, byte[] sourceFile, long offset, long length,
      boolean truncated) {
    if (!ascii && !UnsafeByteOperations.unsafeWrap(b, off, n).isValidUtf8()) return false;
    in = b;
    pos = off;
    end = off + n;
    try {
      scanTopLevel();
      writeRecord(observedNanos, eventTimeNanos, fixedAttributes, streamAttribute, sourceFile, offset, length,
          truncated);
      return true;
    } catch (RuntimeException e) { // NotCovered; anything else would be a bug here: JsonParser's path decides
      len = 0;
      return false;
    } finally {
      in = null;
      if (out.length > KEEP_BYTES) out = new byte[512];
      for (int i = 0; i < level.length; i++) {
        if (level[i] != null && level[i].length > KEEP_BYTES) level[i] = null;
      }
      if (body.length > KEEP_BYTES) body = new byte[256];
    }
  }

  // ------------------------------------------------------------------------------------------------ scanning

  private void scanTopLevel() {
    fields = 0;
    skipWs();
    expect('{');
    skipWs();
    if (peek() == '}') {
      pos++;
    } else {
      while (true) {
        if (fields == MAX_FIELDS) throw NOT_COVERED;
        int f = fields++;
        expect('"');
        keyFrom[f] = pos;
        keyTo[f] = string();
        if (lastEscaped) throw NOT_COVERED; // keys are compared as bytes
        for (int g = 0; g < f; g++) {
          if (sameBytes(keyFrom[g], keyTo[g], keyFrom[f], keyTo[f])) throw NOT_COVERED; // Jackson: last one wins
        }
        skipWs();
        expect(':');
        skipWs();
        int start = pos;
        int k = value(1);
        kind[f] = k;
        escaped[f] = lastEscaped;
        valueFrom[f] = k == STRING ? start + 1 : start; // a string: its content, between the quotes
        valueTo[f] = k == STRING ? pos - 1 : pos;
        consumed[f] = false;
        skipWs();
        byte c = next();
        if (c == '}') break;
        if (c != ',') throw NOT_COVERED;
        skipWs();
      }
    }
    skipWs();
    if (pos != end) throw NOT_COVERED;
  }

  /** Scans one value at {@code pos} (validating it whole); returns its kind. Nesting counts objects and arrays. */
  private int value(int nesting) {
    lastEscaped = false;
    byte c = peek();
    switch (c) {
      case '"' -> {
        pos++;
        string();
        return STRING;
      }
      case '{' -> {
        if (nesting > MAX_NESTING) throw NOT_COVERED;
        pos++;
        skipWs();
        if (peek() == '}') {
          pos++;
        } else {
          while (true) {
            expect('"');
            string();
            skipWs();
            expect(':');
            skipWs();
            value(nesting + 1);
            skipWs();
            byte d = next();
            if (d == '}') break;
            if (d != ',') throw NOT_COVERED;
            skipWs();
          }
        }
        lastEscaped = false;
        return OBJECT;
      }
      case '[' -> {
        if (nesting > MAX_NESTING) throw NOT_COVERED;
        pos++;
        skipWs();
        if (peek() == ']') {
          pos++;
        } else {
          while (true) {
            value(nesting + 1);
            skipWs();
            byte d = next();
            if (d == ']') break;
            if (d != ',') throw NOT_COVERED;
            skipWs();
          }
        }
        lastEscaped = false;
        return ARRAY;
      }
      case 't' -> {
        literal("true");
        return TRUE;
      }
      case 'f' -> {
        literal("false");
        return FALSE;
      }
      case 'n' -> {
        literal("null");
        return NULL;
      }
      default -> {
        return number();
      }
    }
  }

  /**
   * Scans a string's content from {@code pos} (just past its opening quote) to its closing quote; returns the index
   * of that quote, leaves {@code pos} past it and sets {@link #lastEscaped}. Raw control characters and unknown
   * escapes are not covered (Jackson rejects them).
   */
  private int string() {
    boolean esc = false;
    while (true) {
      if (pos >= end) throw NOT_COVERED;
      byte c = in[pos];
      if (c > '\\') { // most text: lower-case letters and above, none of '"', '\\' or a control character
        pos++;
        continue;
      }
      if (c == '"') {
        lastEscaped = esc;
        return pos++;
      }
      if (c == '\\') {
        esc = true;
        if (++pos >= end) throw NOT_COVERED;
        byte e = in[pos];
        switch (e) {
          case '"', '\\', '/', 'b', 'f', 'n', 'r', 't' -> pos++;
          case 'u' -> {
            hex4(pos + 1);
            pos += 5;
          }
          default -> throw NOT_COVERED;
        }
      } else if (c >= 0 && c < 0x20) {
        throw NOT_COVERED;
      } else {
        pos++;
      }
    }
  }

  private int hex4(int at) {
    if (at + 4 > end) throw NOT_COVERED;
    int v = 0;
    for (int i = at; i < at + 4; i++) {
      int c = in[i];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else throw NOT_COVERED;
      v = v << 4 | d;
    }
    return v;
  }

  private void literal(String word) {
    if (pos + word.length() > end) throw NOT_COVERED;
    for (int i = 0; i < word.length(); i++) {
      if (in[pos + i] != word.charAt(i)) throw NOT_COVERED;
    }
    pos += word.length();
  }

  /** JSON's number grammar; INT for an integer of at most 18 digits, FLOAT for a fraction or exponent. */
  private int number() {
    int i = pos;
    if (i < end && in[i] == '-') i++;
    int intFrom = i;
    while (i < end && in[i] >= '0' && in[i] <= '9') i++;
    int intDigits = i - intFrom;
    if (intDigits == 0 || (intDigits > 1 && in[intFrom] == '0')) throw NOT_COVERED;
    boolean isFloat = false;
    if (i < end && in[i] == '.') {
      isFloat = true;
      int from = ++i;
      while (i < end && in[i] >= '0' && in[i] <= '9') i++;
      if (i == from) throw NOT_COVERED;
    }
    if (i < end && (in[i] == 'e' || in[i] == 'E')) {
      isFloat = true;
      i++;
      if (i < end && (in[i] == '+' || in[i] == '-')) i++;
      int from = i;
      while (i < end && in[i] >= '0' && in[i] <= '9') i++;
      if (i == from) throw NOT_COVERED;
    }
    pos = i;
    if (!isFloat && intDigits > 18) throw NOT_COVERED; // Jackson: a long or a BigInteger (then a double)
    return isFloat ? FLOAT : INT;
  }

  private void skipWs() {
    while (pos < end) {
      byte c = in[pos];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      pos++;
    }
  }

  private byte peek() {
    if (pos >= end) throw NOT_COVERED;
    return in[pos];
  }

  private byte next() {
    if (pos >= end) throw NOT_COVERED;
    return in[pos++];
  }

  private void expect(char c) {
    if (next() != c) throw NOT_COVERED;
  }

  private boolean sameBytes(int aFrom, int aTo, int bFrom, int bTo) {
    int n = aTo - aFrom;
    if (n != bTo - bFrom) return false;
    if (n == 0) return true;
    if (in[aFrom] != in[bFrom] || in[aTo - 1] != in[bTo - 1]) return false; // most keys differ here
    return Arrays.equals(in, aFrom, aTo, in, bFrom, bTo);
  }

  // ------------------------------------------------------------------------------------------------ the record

  private void writeRecord(long observedNanos, long eventTimeNanos, byte[] fixedAttributes, byte[] streamAttribute,
      byte[] sourceFile, long offset, long length, boolean truncated) {
    // The well-known fields, as Fields.apply takes them in order: the first message, the first non-empty level, the
    // first time that parses.
    boolean hasBody = false;
    int severityNumber = 0;
    severityLen = 0;
    bodyLen = 0;
    long time = 0;
    for (int f = 0; f < fields; f++) {
      int known = known(keyFrom[f], keyTo[f]);
      int k = kind[f];
      if (known == 0 || k == OBJECT || k == ARRAY) continue;
      if (k != STRING && (k != INT || isNegativeZero(valueFrom[f], valueTo[f]))) throw NOT_COVERED;
      if (known == MESSAGE) {
        if (hasBody) continue;
        bodyLen = unescape(f, 0);
        hasBody = true;
        consumed[f] = true;
      } else if (known == LEVEL) {
        if (severityLen > 0) continue;
        severityLen = unescape(f, 1);
        severityNumber = severityNumber(severity, severityLen);
        consumed[f] = true;
      } else if (time == 0) {
        long t = Fields.parseTime(unescapedOrRaw(f), unescapedFrom, unescapedLen);
        if (t > 0) {
          time = t;
          consumed[f] = true;
        }
      }
    }
    if (time == 0) time = eventTimeNanos != 0 ? eventTimeNanos : observedNanos;

    len = 0;
    ensure(64 + bodyLen + severityLen);
    out[len++] = (byte) (LogRecord.TIME_UNIX_NANO_FIELD_NUMBER << 3 | 1);
    fixed64(time);
    out[len++] = (byte) (LogRecord.OBSERVED_TIME_UNIX_NANO_FIELD_NUMBER << 3 | 1);
    fixed64(observedNanos);
    if (severityNumber != 0) {
      out[len++] = (byte) (LogRecord.SEVERITY_NUMBER_FIELD_NUMBER << 3);
      varint(severityNumber);
    }
    if (severityLen > 0) {
      out[len++] = (byte) (LogRecord.SEVERITY_TEXT_FIELD_NUMBER << 3 | 2);
      varint(severityLen);
      System.arraycopy(severity, 0, out, len, severityLen);
      len += severityLen;
    }
    out[len++] = (byte) (LogRecord.BODY_FIELD_NUMBER << 3 | 2); // AnyValue{string_value}: set even when empty
    varint(1 + varintSize(bodyLen) + bodyLen);
    out[len++] = (byte) (1 << 3 | 2);
    varint(bodyLen);
    System.arraycopy(body, 0, out, len, bodyLen);
    len += bodyLen;

    for (int f = 0; f < fields; f++) {
      if (consumed[f]) continue;
      // KeyValue{key, value} into level 0, then copied into the record as field 6
      levelLen[0] = 0;
      writeKey(0, keyFrom[f], keyTo[f]);
      writeValueField(0, kind[f], valueFrom[f], valueTo[f], escaped[f]);
      copyAsField(0, LogRecord.ATTRIBUTES_FIELD_NUMBER);
    }
    ensure(fixedAttributes.length + streamAttribute.length + sourceFile.length + 40);
    System.arraycopy(fixedAttributes, 0, out, len, fixedAttributes.length);
    len += fixedAttributes.length;
    System.arraycopy(streamAttribute, 0, out, len, streamAttribute.length);
    len += streamAttribute.length;
    int source = (sourceFile.length == 0 ? 0 : 1 + varintSize(sourceFile.length) + sourceFile.length)
        + (offset == 0 ? 0 : 1 + varintSize(offset)) + (length == 0 ? 0 : 1 + varintSize(length));
    out[len++] = (byte) (LogRecord.SOURCE_FIELD_NUMBER << 3 | 2);
    varint(source);
    if (sourceFile.length != 0) {
      out[len++] = (byte) (1 << 3 | 2);
      varint(sourceFile.length);
      System.arraycopy(sourceFile, 0, out, len, sourceFile.length);
      len += sourceFile.length;
    }
    if (offset != 0) {
      out[len++] = (byte) (2 << 3);
      varint(offset);
    }
    if (length != 0) {
      out[len++] = (byte) (3 << 3);
      varint(length);
    }
    if (truncated) { // field 18, varint: a two-byte tag
      out[len++] = (byte) 0x90;
      out[len++] = 0x01;
      out[len++] = 1;
    }
  }

  /** The names of {@link Fields} (lower case, ASCII) and what each is, compared in place with the key's bytes. */
  private static final byte[][] NAMES = {bytes("msg"), bytes("message"), bytes("log"), bytes("body"),
      bytes("level"), bytes("severity"), bytes("lvl"), bytes("loglevel"), bytes("log.level"), bytes("time"),
      bytes("timestamp"), bytes("ts"), bytes("@timestamp"), bytes("datetime")};
  private static final int[] NAME_KINDS = {MESSAGE, MESSAGE, MESSAGE, MESSAGE, LEVEL, LEVEL, LEVEL, LEVEL, LEVEL,
      TIME, TIME, TIME, TIME, TIME};

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** MESSAGE, LEVEL, TIME for the names in {@link Fields} (ASCII, any case: toLowerCase(ROOT)), else 0. */
  private int known(int from, int to) {
    int n = to - from;
    if (n < 2 || n > 10) return 0;
    next : for (int k = 0; k < NAMES.length; k++) {
      byte[] name = NAMES[k];
      if (name.length != n) continue;
      for (int i = 0; i < n; i++) {
        int c = in[from + i];
        if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
        if (c != name[i]) continue next;
      }
      return NAME_KINDS[k];
    }
    return 0;
  }

  private boolean isNegativeZero(int from, int to) {
    return to - from == 2 && in[from] == '-' && in[from + 1] == '0';
  }

  private int unescapedFrom;
  private int unescapedLen;
  private byte[] scratch = new byte[64];

  /** The text of field f's value (a string's unescaped bytes, an integer's digits): array, and its range. */
  private byte[] unescapedOrRaw(int f) {
    if (!escaped[f]) {
      unescapedFrom = valueFrom[f];
      unescapedLen = valueTo[f] - valueFrom[f];
      return in;
    }
    unescapedLen = unescape(f, 2);
    unescapedFrom = 0;
    return scratch;
  }

  /** Unescapes field f's value into {@code body} (which 0), {@code severity} (1) or {@code scratch} (2). */
  private int unescape(int f, int which) {
    int from = valueFrom[f];
    int to = valueTo[f];
    int n = to - from; // unescaped text is never longer than its escaped form
    byte[] dst = switch (which) {
      case 0 -> body.length >= n ? body : (body = new byte[Math.max(n, body.length * 2)]);
      case 1 -> severity.length >= n ? severity : (severity = new byte[Math.max(n, severity.length * 2)]);
      default -> scratch.length >= n ? scratch : (scratch = new byte[Math.max(n, scratch.length * 2)]);
    };
    if (!escaped[f]) {
      System.arraycopy(in, from, dst, 0, n);
      return n;
    }
    return unescape(from, to, dst, 0);
  }

  /** Unescapes the string content {@code in[from, to)} into {@code dst} at {@code at}; returns the bytes written. */
  private int unescape(int from, int to, byte[] dst, int at) {
    int d = at;
    int i = from;
    while (i < to) {
      byte c = in[i];
      if (c != '\\') {
        dst[d++] = c;
        i++;
        continue;
      }
      byte e = in[i + 1];
      i += 2;
      switch (e) {
        case 'b' -> dst[d++] = '\b';
        case 'f' -> dst[d++] = '\f';
        case 'n' -> dst[d++] = '\n';
        case 'r' -> dst[d++] = '\r';
        case 't' -> dst[d++] = '\t';
        case 'u' -> {
          int cp = hex4(i);
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) { // a high surrogate: a low one must follow as \\uXXXX
            if (i + 6 > to || in[i] != '\\' || in[i + 1] != 'u') throw NOT_COVERED;
            int low = hex4(i + 2);
            if (low < 0xDC00 || low > 0xDFFF) throw NOT_COVERED;
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            throw NOT_COVERED;
          }
          d = utf8(cp, dst, d);
        }
        default -> dst[d++] = e; // " \ /
      }
    }
    return d - at;
  }

  /** Writes code point {@code cp} as UTF-8 at {@code d}; returns the index after it. */
  private static int utf8(int cp, byte[] dst, int d) {
    if (cp < 0x80) {
      dst[d++] = (byte) cp;
    } else if (cp < 0x800) {
      dst[d++] = (byte) (0xC0 | cp >> 6);
      dst[d++] = (byte) (0x80 | cp & 0x3F);
    } else if (cp < 0x10000) {
      dst[d++] = (byte) (0xE0 | cp >> 12);
      dst[d++] = (byte) (0x80 | cp >> 6 & 0x3F);
      dst[d++] = (byte) (0x80 | cp & 0x3F);
    } else {
      dst[d++] = (byte) (0xF0 | cp >> 18);
      dst[d++] = (byte) (0x80 | cp >> 12 & 0x3F);
      dst[d++] = (byte) (0x80 | cp >> 6 & 0x3F);
      dst[d++] = (byte) (0x80 | cp & 0x3F);
    }
    return d;
  }

  /** The severity number of this level name (Severities.byName), cached by its bytes. */
  private int severityNumber(byte[] name, int n) {
    for (int i = 0; i < levelNames.length; i++) {
      byte[] k = levelNames[i];
      if (k != null && k.length == n && Arrays.equals(k, 0, n, name, 0, n)) return levelNumbers[i];
    }
    int number = Severities.byName(new String(name, 0, n, StandardCharsets.UTF_8)).getNumber();
    int slot = levelNext++ & (levelNames.length - 1);
    levelNames[slot] = Arrays.copyOf(name, n);
    levelNumbers[slot] = number;
    return number;
  }

  // ------------------------------------------------------------------------------------------------ values

  /** A KeyValue's key field (left out when empty, as protobuf does) into level {@code l}. */
  private void writeKey(int l, int from, int to) {
    int n = to - from;
    if (n == 0) return;
    ensureLevel(l, n + 6);
    byte[] b = level[l];
    int at = levelLen[l];
    b[at++] = (byte) (1 << 3 | 2);
    at = varint(b, at, n);
    System.arraycopy(in, from, b, at, n);
    levelLen[l] = at + n;
  }

  /**
   * A KeyValue's value field: the AnyValue of the JSON value (kind {@code k}, text {@code in[from, to)}), written
   * into level l + 1 and copied into level {@code l} as field 2.
   */
  private void writeValueField(int l, int k, int from, int to, boolean esc) {
    levelLen[l + 1] = 0;
    anyValue(l + 1, k, from, to, esc);
    copyInto(l + 1, l, 2);
  }

  /** The AnyValue of one JSON value into level {@code l}. */
  private void anyValue(int l, int k, int from, int to, boolean esc) {
    ensureLevel(l, 11 + (to - from));
    byte[] b = level[l];
    int at = levelLen[l];
    switch (k) {
      case STRING -> {
        b[at++] = (byte) (1 << 3 | 2);
        if (!esc) {
          at = varint(b, at, to - from);
          System.arraycopy(in, from, b, at, to - from);
          at += to - from;
        } else {
          // the unescaped length first (it is never longer than the escaped text)
          int n = unescapeLength(from, to);
          at = varint(b, at, n);
          at += unescape(from, to, b, at);
        }
      }
      case TRUE, FALSE -> {
        b[at++] = (byte) (2 << 3);
        b[at++] = (byte) (k == TRUE ? 1 : 0);
      }
      case INT -> {
        b[at++] = (byte) (3 << 3);
        at = varint(b, at, parseLong(from, to));
      }
      case FLOAT -> {
        b[at++] = (byte) (4 << 3 | 1);
        long bits = Double.doubleToRawLongBits(parseDouble(from, to));
        for (int i = 0; i < 8; i++) {
          b[at++] = (byte) bits;
          bits >>>= 8;
        }
      }
      case NULL -> {
        // the empty AnyValue
      }
      case OBJECT -> {
        levelLen[l] = at;
        kvlist(l, from, to);
        return;
      }
      case ARRAY -> {
        levelLen[l] = at;
        array(l, from, to);
        return;
      }
      default -> throw NOT_COVERED;
    }
    levelLen[l] = at;
  }

  /** AnyValue.kvlist_value (6) of the object {@code in[from, to)} into level {@code l}, via levels l+1, l+2. */
  private void kvlist(int l, int from, int to) {
    if (l + 3 >= level.length) throw NOT_COVERED;
    levelLen[l + 1] = 0; // the KeyValueList
    int save = pos;
    pos = from + 1;
    skipWs();
    int firstKey = -1;
    if (peek() != '}') {
      while (true) {
        expect('"');
        int kf = pos;
        int kt = string();
        if (lastEscaped) throw NOT_COVERED;
        // duplicate keys: Jackson keeps the last value; compare with the keys before it in this object
        if (firstKey >= 0) duplicateCheck(from + 1, kf, kt);
        firstKey = kf;
        skipWs();
        expect(':');
        skipWs();
        int start = pos;
        int k = value(1);
        boolean esc = lastEscaped;
        int vf = k == STRING ? start + 1 : start;
        int vt = k == STRING ? pos - 1 : pos;
        // KeyValue into level l + 2, its value through l + 3
        levelLen[l + 2] = 0;
        writeKey(l + 2, kf, kt);
        int after = pos;
        writeValueField(l + 2, k, vf, vt, esc);
        pos = after;
        copyInto(l + 2, l + 1, 1);
        skipWs();
        if (next() == '}') break;
        skipWs();
      }
    }
    pos = save;
    copyInto(l + 1, l, 6);
  }

  /** Throws when the key {@code in[kf, kt)} appeared before it in the object whose members start at {@code from}. */
  private void duplicateCheck(int from, int kf, int kt) {
    int save = pos;
    pos = from;
    skipWs();
    while (true) {
      expect('"');
      int f = pos;
      int t = string();
      if (f == kf) break;
      if (sameBytes(f, t, kf, kt)) throw NOT_COVERED;
      skipWs();
      expect(':');
      skipWs();
      value(1);
      skipWs();
      next(); // ','
      skipWs();
    }
    pos = save;
  }

  /** AnyValue.array_value (5) of the array {@code in[from, to)} into level {@code l}, via levels l+1, l+2. */
  private void array(int l, int from, int to) {
    if (l + 3 >= level.length) throw NOT_COVERED;
    levelLen[l + 1] = 0; // the ArrayValue
    int save = pos;
    pos = from + 1;
    skipWs();
    if (peek() != ']') {
      while (true) {
        int start = pos;
        int k = value(1);
        boolean esc = lastEscaped;
        int vf = k == STRING ? start + 1 : start;
        int vt = k == STRING ? pos - 1 : pos;
        int after = pos;
        levelLen[l + 2] = 0;
        anyValue(l + 2, k, vf, vt, esc);
        pos = after;
        copyInto(l + 2, l + 1, 1);
        skipWs();
        if (next() == ']') break;
        skipWs();
      }
    }
    pos = save;
    copyInto(l + 1, l, 5);
  }

  private int unescapeLength(int from, int to) {
    int n = 0;
    int i = from;
    while (i < to) {
      if (in[i] != '\\') {
        n++;
        i++;
        continue;
      }
      byte e = in[i + 1];
      i += 2;
      if (e != 'u') {
        n++;
        continue;
      }
      int cp = hex4(i);
      i += 4;
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        i += 6; // checked when unescaped
        n += 4;
      } else {
        n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
      }
    }
    return n;
  }

  private long parseLong(int from, int to) {
    boolean negative = in[from] == '-';
    long v = 0;
    for (int i = negative ? from + 1 : from; i < to; i++) v = v * 10 + (in[i] - '0');
    return negative ? -v : v;
  }

  private static final double[] POWERS = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POWERS.length; i++) {
      POWERS[i] = p;
      p *= 10;
    }
  }

  /**
   * The double nearest to the decimal {@code in[from, to)}, as Double.parseDouble gives it: exact when the digits fit
   * 2^53 and the decimal exponent is within 22 (one correctly rounded multiplication or division), else parsed from
   * the text.
   */
  private double parseDouble(int from, int to) {
    int i = from;
    boolean negative = in[i] == '-';
    if (negative) i++;
    long mantissa = 0;
    int digits = 0;
    int exponent = 0;
    for (; i < to && in[i] >= '0' && in[i] <= '9'; i++) {
      if (mantissa != 0 || in[i] != '0') digits++;
      mantissa = mantissa * 10 + (in[i] - '0');
      if (digits > 15) return slowDouble(from, to);
    }
    if (i < to && in[i] == '.') {
      for (i++; i < to && in[i] >= '0' && in[i] <= '9'; i++) {
        if (mantissa != 0 || in[i] != '0') digits++;
        mantissa = mantissa * 10 + (in[i] - '0');
        exponent--;
        if (digits > 15) return slowDouble(from, to);
      }
    }
    if (i < to) { // e or E
      i++;
      boolean negativeExp = in[i] == '-';
      if (in[i] == '-' || in[i] == '+') i++;
      int e = 0;
      for (; i < to; i++) {
        e = e * 10 + (in[i] - '0');
        if (e > 1000) return slowDouble(from, to);
      }
      exponent += negativeExp ? -e : e;
    }
    double v;
    if (mantissa == 0) {
      v = 0;
    } else if (exponent >= 0 && exponent < POWERS.length) {
      v = mantissa * POWERS[exponent];
    } else if (exponent < 0 && -exponent < POWERS.length) {
      v = mantissa / POWERS[-exponent];
    } else {
      return slowDouble(from, to);
    }
    return negative ? -v : v;
  }

  private double slowDouble(int from, int to) {
    return Double.parseDouble(new String(in, from, to - from, StandardCharsets.ISO_8859_1));
  }

  // ------------------------------------------------------------------------------------------------ bytes

  /** Copies level {@code from}'s bytes into level {@code to} as field {@code field} (length-delimited). */
  private void copyInto(int from, int to, int field) {
    int n = levelLen[from];
    ensureLevel(to, n + 6);
    byte[] b = level[to];
    int at = levelLen[to];
    b[at++] = (byte) (field << 3 | 2);
    at = varint(b, at, n);
    if (n > 0) System.arraycopy(level[from], 0, b, at, n); // an empty message may have no buffer yet
    levelLen[to] = at + n;
  }

  /** Copies level {@code l}'s bytes into the record as field {@code field} (length-delimited). */
  private void copyAsField(int l, int field) {
    int n = levelLen[l];
    ensure(n + 6);
    out[len++] = (byte) (field << 3 | 2);
    varint(n);
    System.arraycopy(level[l], 0, out, len, n);
    len += n;
  }

  private void ensureLevel(int l, int more) {
    byte[] b = level[l];
    if (b == null) {
      level[l] = new byte[Math.max(256, more)];
    } else if (levelLen[l] + more > b.length) {
      level[l] = Arrays.copyOf(b, Math.max(levelLen[l] + more, b.length * 2));
    }
  }

  private void ensure(int more) {
    if (len + more > out.length) out = Arrays.copyOf(out, Math.max(len + more, out.length * 2));
  }

  private void varint(long v) {
    len = varint(out, len, v);
  }

  private static int varint(byte[] b, int at, long v) {
    while ((v & ~0x7FL) != 0) {
      b[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    b[at++] = (byte) v;
    return at;
  }

  private void fixed64(long v) {
    for (int i = 0; i < 8; i++) {
      out[len++] = (byte) v;
      v >>>= 8;
    }
  }

  private static int varintSize(long v) {
    return v == 0 ? 1 : (63 - Long.numberOfLeadingZeros(v)) / 7 + 1;
  }
}
