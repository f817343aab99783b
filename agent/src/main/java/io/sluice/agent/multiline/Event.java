package io.sluice.agent.multiline;

/**
 * A logical log entry on its way to a parser: one line, or several joined (partial container lines, a stack
 * trace). Covers file bytes {@code [start, end)}. {@code stream} is the container stream ({@code stdout}/{@code
 * stderr}) or null; {@code timeUnixNano} the container runtime's timestamp or 0. Immutable.
 */
public record Event(String text, long start, long end, boolean truncated, String stream, long timeUnixNano,
    int lines) {

  public static Event of(io.sluice.agent.tail.Line line) {
    return new Event(line.text(), line.start(), line.end(), line.truncated(), null, 0, 1);
  }
}
