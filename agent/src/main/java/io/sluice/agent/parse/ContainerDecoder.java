package io.sluice.agent.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.sluice.agent.multiline.Event;
import io.sluice.agent.tail.Line;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Unwraps container log lines ({@link ContainerFormat}) and merges partial lines per stream into one event.
 * Bounded: each stream holds at most {@code maxBytes} characters of a partial line; beyond that the rest is dropped
 * and the event flagged truncated (it still ends at its last physical line, so offsets stay exact). A line that is
 * not in the format passes through whole, unchanged. Not thread-safe.
 */
public final class ContainerDecoder {
  private static final JsonFactory JSON = new JsonFactory();

  private final ContainerFormat format;
  private final int maxBytes;
  private final Consumer<Event> out;
  private final Map<String, Partial> partials = new HashMap<>(4);
  private long malformed;

  private static final class Partial {
    final StringBuilder text = new StringBuilder();
    long start;
    long time;
    boolean truncated;
    int lines;
  }

  public ContainerDecoder(ContainerFormat format, int maxBytes, Consumer<Event> out) {
    this.format = format;
    this.maxBytes = maxBytes;
    this.out = out;
  }

  public void onLine(Line line) {
    switch (format) {
      case NONE -> out.accept(Event.of(line));
      case CRI -> cri(line);
      case DOCKER -> docker(line);
    }
  }

  private void cri(Line line) {
    String s = line.text();
    int a = s.indexOf(' ');
    int b = a < 0 ? -1 : s.indexOf(' ', a + 1);
    int c = b < 0 ? -1 : s.indexOf(' ', b + 1);
    // A full line with empty content may end right after the tag: "<time> stdout F"
    int tagEnd = c < 0 ? s.length() : c;
    if (a <= 0 || b <= a + 1 || tagEnd <= b + 1) {
      malformed++;
      out.accept(Event.of(line));
      return;
    }
    String stream = s.substring(a + 1, b);
    String tag = s.substring(b + 1, tagEnd);
    long time = Fields.parseTime(s.substring(0, a));
    String content = c < 0 ? "" : s.substring(c + 1);
    boolean partial = tag.equals("P");
    if (!partial && !tag.startsWith("F")) {
      malformed++;
      out.accept(Event.of(line));
      return;
    }
    piece(line, stream, time, content, partial);
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
      out.accept(Event.of(line));
      return;
    }
    boolean partial = !log.endsWith("\n");
    if (!partial) log = log.substring(0, log.length() - (log.endsWith("\r\n") ? 2 : 1));
    piece(line, stream == null ? "stdout" : stream, Fields.parseTime(time), log, partial);
  }

  private void piece(Line line, String stream, long time, String content, boolean partial) {
    Partial p = partials.get(stream);
    if (p == null && !partial) {
      out.accept(new Event(content, line.start(), line.end(), line.truncated(), stream, time, 1));
      return;
    }
    if (p == null) {
      p = new Partial();
      p.start = line.start();
      p.time = time;
      partials.put(stream, p);
    }
    p.lines++;
    p.truncated |= line.truncated();
    int room = maxBytes - p.text.length();
    if (content.length() > room) {
      p.text.append(content, 0, Math.max(0, room));
      p.truncated = true;
    } else {
      p.text.append(content);
    }
    if (!partial) {
      partials.remove(stream);
      out.accept(new Event(p.text.toString(), p.start, line.end(), p.truncated, stream, p.time, p.lines));
    }
  }

  /** Emits every held partial line as it is (the file ended for good). */
  public void flush(long endOffset) {
    for (Map.Entry<String, Partial> e : partials.entrySet()) {
      Partial p = e.getValue();
      out.accept(new Event(p.text.toString(), p.start, endOffset, p.truncated, e.getKey(), p.time, p.lines));
    }
    partials.clear();
  }

  /** Start offset of the earliest held partial line; MAX_VALUE when none. */
  public long pendingStart() {
    long min = Long.MAX_VALUE;
    for (Partial p : partials.values()) min = Math.min(min, p.start);
    return min;
  }

  /** Lines that were not in the configured format (passed through whole). */
  public long malformed() {
    return malformed;
  }
}
