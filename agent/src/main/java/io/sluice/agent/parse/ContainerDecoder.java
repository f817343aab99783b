package io.sluice.agent.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.agent.multiline.Event;
import io.sluice.agent.tail.Line;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Unwraps container log lines ({@link ContainerFormat}) and merges partial lines per stream into one event.
 * Bounded: each stream holds at most {@code maxBytes} bytes (UTF-8) of a partial line; beyond that the rest is
 * dropped (cut on a character boundary) and the event flagged truncated (it still ends at its last physical line, so
 * offsets stay exact). A line that is not in the format passes through whole, unchanged. Not thread-safe.
 *
 * <p>CRI lines are unwrapped from their bytes: no String per line, and partial lines are joined as bytes (a
 * character the runtime split between a {@code P} line and the next stays one character). Events go either to a
 * {@link Consumer} of {@link Event}s (text) or to {@link Bytes} (the content's bytes, valid only during the call).
 */
public final class ContainerDecoder {
  private static final JsonFactory JSON = new JsonFactory();
  /** A partial line's buffer larger than this is not kept for the next one. */
  private static final int KEEP_BUFFER_BYTES = 64 << 10;

  /** Receives each event as the bytes of its content; {@code content} may be reused after the call returns. */
  public interface Bytes {
    /**
     * One event: {@code content[off, off + len)} covers file bytes {@code [start, end)}; {@code ascii} when every
     * byte is known to be ASCII (false when unknown: the bytes may be invalid UTF-8); {@code stream} null and
     * {@code timeUnixNano} 0 for a line not in the format.
     */
    void event(byte[] content, int off, int len, boolean ascii, long start, long end, boolean truncated,
        String stream, long timeUnixNano, int lines);
  }

  private final ContainerFormat format;
  private final int maxBytes;
  private final Bytes out;
  private final Map<String, Partial> partials = new HashMap<>(4);
  private long malformed;

  private static final class Partial {
    byte[] buf = new byte[256];
    int len;
    boolean ascii = true;
    long start;
    long time;
    boolean truncated;
    int lines;
  }

  /** Events as text. */
  public ContainerDecoder(ContainerFormat format, int maxBytes, Consumer<Event> out) {
    this(format, maxBytes, (b, off, len, ascii, start, end, truncated, stream, time, lines) -> out.accept(
        new Event(new String(b, off, len, StandardCharsets.UTF_8), start, end, truncated, stream, time, lines)));
  }

  /** Events as bytes. */
  public ContainerDecoder(ContainerFormat format, int maxBytes, Bytes out) {
    this.format = format;
    this.maxBytes = maxBytes;
    this.out = out;
  }

  public void onLine(Line line) {
    switch (format) {
      case NONE -> whole(line);
      case CRI -> cri(line);
      case DOCKER -> docker(line);
    }
  }

  private void whole(Line line) {
    byte[] b = line.utf8();
    out.event(b, 0, b.length, line.ascii(), line.start(), line.end(), line.truncated(), null, 0, 1);
  }

  /** {@code <time> <stream> <P|F[...]> <content>}, all delimiters ASCII spaces, found in the bytes. */
  private void cri(Line line) {
    byte[] s = line.utf8();
    int n = s.length;
    int a = indexOf(s, 0, n);
    int b = a < 0 ? -1 : indexOf(s, a + 1, n);
    int c = b < 0 ? -1 : indexOf(s, b + 1, n);
    // A full line with empty content may end right after the tag: "<time> stdout F"
    int tagEnd = c < 0 ? n : c;
    if (a <= 0 || b <= a + 1 || tagEnd <= b + 1) {
      malformed++;
      whole(line);
      return;
    }
    boolean partial = tagEnd == b + 2 && s[b + 1] == 'P';
    if (!partial && s[b + 1] != 'F') {
      malformed++;
      whole(line);
      return;
    }
    String stream = stream(s, a + 1, b);
    long time = Fields.parseTime(s, 0, a);
    int from = c < 0 ? n : c + 1;
    piece(line, stream, time, s, from, n - from, line.ascii(), partial);
  }

  private static int indexOf(byte[] s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s[i] == ' ') return i;
    }
    return -1;
  }

  /** The stream's name: the two the runtimes write without a String per line. */
  private static String stream(byte[] s, int from, int to) {
    int len = to - from;
    if (len == 6 && s[from] == 's' && s[from + 1] == 't' && s[from + 2] == 'd') {
      if (s[from + 3] == 'o' && s[from + 4] == 'u' && s[from + 5] == 't') return "stdout";
      if (s[from + 3] == 'e' && s[from + 4] == 'r' && s[from + 5] == 'r') return "stderr";
    }
    return new String(s, from, len, StandardCharsets.UTF_8);
  }

  private void docker(Line line) {
    String log = null;
    String stream = null;
    String time = null;
    try (JsonParser p = JSON.createParser(line.text())) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new IOException("not an object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        p.nextToken();
        switch (name) {
          case "log" -> log = p.getValueAsString();
          case "stream" -> stream = p.getValueAsString();
          case "time" -> time = p.getValueAsString();
          default -> p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException e) {
      log = null;
    }
    if (log == null) {
      malformed++;
      whole(line);
      return;
    }
    boolean partial = !log.endsWith("\n");
    if (!partial) log = log.substring(0, log.length() - (log.endsWith("\r\n") ? 2 : 1));
    byte[] content = log.getBytes(StandardCharsets.UTF_8);
    piece(line, stream == null ? "stdout" : stream, Fields.parseTime(time), content, 0, content.length, false,
        partial);
  }

  private void piece(Line line, String stream, long time, byte[] b, int off, int len, boolean ascii,
      boolean partial) {
    Partial p = partials.get(stream);
    if ((p == null || p.lines == 0) && !partial) {
      out.event(b, off, len, ascii, line.start(), line.end(), line.truncated(), stream, time, 1);
      return;
    }
    if (p == null) {
      p = new Partial();
      partials.put(stream, p);
    }
    if (p.lines == 0) {
      p.start = line.start();
      p.time = time;
    }
    p.lines++;
    p.truncated |= line.truncated();
    p.ascii &= ascii;
    int room = maxBytes - p.len;
    int take = len;
    if (len > room) {
      take = Math.max(0, room);
      // cut on a character boundary: never before a UTF-8 continuation byte
      while (take > 0 && (b[off + take] & 0xC0) == 0x80) take--;
      p.truncated = true;
    }
    if (p.len + take > p.buf.length) p.buf = Arrays.copyOf(p.buf, Math.max(p.len + take, p.buf.length * 2));
    System.arraycopy(b, off, p.buf, p.len, take);
    p.len += take;
    if (!partial) {
      emit(p, stream, line.end());
      // stdout's and stderr's buffers are kept for the next partial line; any other name is forgotten, so a file of
      // made-up stream names cannot grow the map
      if (!stream.equals("stdout") && !stream.equals("stderr")) partials.remove(stream);
    }
  }

  private void emit(Partial p, String stream, long end) {
    out.event(p.buf, 0, p.len, p.ascii, p.start, end, p.truncated, stream, p.time, p.lines);
    p.len = 0;
    p.lines = 0;
    p.ascii = true;
    p.truncated = false;
    if (p.buf.length > KEEP_BUFFER_BYTES) p.buf = new byte[256];
  }

  /** Emits every held partial line as it is (the file ended for good). */
  public void flush(long endOffset) {
    for (Map.Entry<String, Partial> e : partials.entrySet()) {
      if (e.getValue().lines > 0) emit(e.getValue(), e.getKey(), endOffset);
    }
    partials.clear();
  }

  /** Start offset of the earliest held partial line; MAX_VALUE when none. */
  public long pendingStart() {
    long min = Long.MAX_VALUE;
    for (Partial p : partials.values()) {
      if (p.lines > 0) min = Math.min(min, p.start);
    }
    return min;
  }

  /** Lines that were not in the configured format (passed through whole). */
  public long malformed() {
    return malformed;
  }
}
