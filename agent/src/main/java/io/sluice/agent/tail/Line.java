package io.sluice.agent.tail;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One line of a file, without its terminator ({@code \n} or {@code \r\n}). {@code start} is the offset of its first
 * byte, {@code end} the offset just past its terminator: resuming at {@code end} reads the next line. When the line
 * was longer than the limit, the line holds its first bytes and {@code truncated} is set. Immutable.
 *
 * <p>A line read from a file keeps its bytes as read ({@link #utf8()}); {@link #text()} decodes them on first use
 * (invalid UTF-8 becomes U+FFFD, as {@link String#String(byte[], java.nio.charset.Charset)} does). The plain path
 * never decodes: the bytes go into the record as they are when they are valid UTF-8.
 */
public final class Line {
  private final byte[] utf8;
  private String text;
  private final long start;
  private final long end;
  private final boolean truncated;
  private final boolean ascii;

  public Line(String text, long start, long end, boolean truncated) {
    this(null, Objects.requireNonNull(text), start, end, truncated, false);
  }

  private Line(byte[] utf8, String text, long start, long end, boolean truncated, boolean ascii) {
    this.utf8 = utf8;
    this.text = text;
    this.start = start;
    this.end = end;
    this.truncated = truncated;
    this.ascii = ascii;
  }

  /**
   * A line of these bytes (owned by the line from now on: not copied); {@code ascii} when the splitter saw no byte
   * with the high bit set (so they are valid UTF-8 without a check).
   */
  public static Line ofUtf8(byte[] utf8, long start, long end, boolean truncated, boolean ascii) {
    return new Line(Objects.requireNonNull(utf8), null, start, end, truncated, ascii);
  }

  /** Known to be all ASCII (false when unknown). */
  public boolean ascii() {
    return ascii;
  }

  public String text() {
    String t = text;
    if (t == null) text = t = new String(utf8, StandardCharsets.UTF_8);
    return t;
  }

  /** The line's bytes as read (not to be modified); encoded from {@link #text()} for a line made from text. */
  public byte[] utf8() {
    return utf8 != null ? utf8 : text.getBytes(StandardCharsets.UTF_8);
  }

  public long start() { return start; }
  public long end() { return end; }
  public boolean truncated() { return truncated; }

  @Override
  public boolean equals(Object o) {
    if (this == o) return true;
    if (!(o instanceof Line l)) return false;
    if (start != l.start || end != l.end || truncated != l.truncated) return false;
    return utf8 != null && l.utf8 != null ? Arrays.equals(utf8, l.utf8) : text().equals(l.text());
  }

  @Override
  public int hashCode() {
    return Objects.hash(text(), start, end, truncated);
  }

  @Override
  public String toString() {
    return "Line[text=" + text() + ", start=" + start + ", end=" + end + ", truncated=" + truncated + "]";
  }
}
