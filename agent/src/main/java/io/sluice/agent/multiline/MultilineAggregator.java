package io.sluice.agent.multiline;

import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Joins lines into events by a {@link MultilineConfig}. Bounded: holds one event of at most {@code maxLines} lines
 * and {@code maxBytes} characters; continuation lines past a limit are dropped from the body, the event is flagged
 * truncated and the drop counted, and the event still ends where its last line ends (so offsets stay exact). An
 * event is emitted when the next event starts, on {@link #tick} after the flush timeout, or on {@link #flush}. Not
 * thread-safe.
 */
public final class MultilineAggregator {
  /** Frames and markers of a Java stack trace. */
  static final Pattern JAVA_CONTINUE = Pattern.compile(
      "^(?:\\s+at\\s.*"
          + "|\\s*Caused by:.*"
          + "|\\s*Suppressed:.*"
          + "|\\s+\\.\\.\\.\\s+\\d+\\s+(?:more|common frames omitted).*"
          + "|(?:[a-zA-Z_$][\\w$]*\\.)+[\\w$]*(?:Exception|Error|Throwable)(?::.*)?)$");

  private final MultilineConfig config;
  private final Consumer<Event> out;
  private StringBuilder text;
  private long start;
  private long end;
  private boolean truncated;
  private String stream;
  private long timeUnixNano;
  private int lines;
  private long lastAppendNanos;
  private long droppedLines;

  public MultilineAggregator(MultilineConfig config, Consumer<Event> out) {
    this.config = config;
    this.out = out;
  }

  public void onEvent(Event e, long nowNanos) {
    if (config.mode() == MultilineMode.NONE) {
      out.accept(e);
      return;
    }
    boolean joins = text != null && continues(e.text());
    if (joins) {
      append(e);
    } else {
      flush();
      begin(e);
    }
    lastAppendNanos = nowNanos;
  }

  private boolean continues(String line) {
    return switch (config.mode()) {
      case NONE -> false;
      case JAVA -> JAVA_CONTINUE.matcher(line).matches();
      case START_REGEX -> !config.pattern().matcher(line).find();
      case CONTINUE_REGEX -> config.pattern().matcher(line).find();
    };
  }

  private void begin(Event e) {
    text = new StringBuilder(Math.min(e.text().length() + 16, config.maxBytes()));
    start = e.start();
    end = e.end();
    truncated = e.truncated();
    stream = e.stream();
    timeUnixNano = e.timeUnixNano();
    lines = e.lines();
    if (e.text().length() > config.maxBytes()) {
      text.append(e.text(), 0, config.maxBytes());
      truncated = true;
    } else {
      text.append(e.text());
    }
  }

  private void append(Event e) {
    end = e.end();
    truncated |= e.truncated();
    if (lines >= config.maxLines() || text.length() + 1 + e.text().length() > config.maxBytes()) {
      truncated = true;
      droppedLines++;
      return;
    }
    lines += e.lines();
    text.append('\n').append(e.text());
  }

  /** Emits the held event when it waited longer than the flush timeout. */
  public void tick(long nowNanos) {
    if (text != null && nowNanos - lastAppendNanos >= config.flushTimeoutNanos()) flush();
  }

  /** When {@link #tick} would emit the held event; MAX_VALUE when nothing is held. */
  public long deadline() {
    return text == null ? Long.MAX_VALUE : lastAppendNanos + config.flushTimeoutNanos();
  }

  public void flush() {
    if (text == null) return;
    Event e = new Event(text.toString(), start, end, truncated, stream, timeUnixNano, lines);
    text = null;
    out.accept(e);
  }

  /** Start offset of the held event; MAX_VALUE when nothing is held. */
  public long pendingStart() {
    return text == null ? Long.MAX_VALUE : start;
  }

  /** Continuation lines dropped by the max-lines / max-bytes limits. */
  public long droppedLines() {
    return droppedLines;
  }
}
