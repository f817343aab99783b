package io.sluice.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.multiline.Event;
import io.sluice.agent.tail.Line;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContainerDecoderTest {
  private final List<Event> out = new ArrayList<>();
  private long offset;

  private void line(ContainerDecoder d, String text) {
    long len = text.length() + 1;
    d.onLine(new Line(text, offset, offset + len, false));
    offset += len;
  }

  @Test
  void mergesCriPartialLinesPerStream() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 1 << 20, out::add);
    line(d, "2024-05-01T12:00:00.000000001Z stdout P hello ");
    line(d, "2024-05-01T12:00:00.100000000Z stderr F an error");
    assertThat(d.pendingStart()).isZero();
    line(d, "2024-05-01T12:00:00.200000000Z stdout P wide ");
    line(d, "2024-05-01T12:00:00.300000000Z stdout F world");
    line(d, "2024-05-01T12:00:01Z stdout F");
    assertThat(out).extracting(Event::text).containsExactly("an error", "hello wide world", "");
    Event merged = out.get(1);
    assertThat(merged.stream()).isEqualTo("stdout");
    assertThat(merged.start()).isZero();
    assertThat(merged.lines()).isEqualTo(3);
    assertThat(merged.timeUnixNano()).isEqualTo(1714564800_000000001L);
    assertThat(d.pendingStart()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void decodesDockerJsonFileAndJoinsSplitLines() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.DOCKER, 1 << 20, out::add);
    line(d, "{\"log\":\"part one \",\"stream\":\"stdout\",\"time\":\"2024-05-01T12:00:00.5Z\"}");
    line(d, "{\"log\":\"part two\\n\",\"stream\":\"stdout\",\"time\":\"2024-05-01T12:00:00.6Z\"}");
    line(d, "{\"log\":\"err \\\"quoted\\\"\\n\",\"stream\":\"stderr\",\"time\":\"2024-05-01T12:00:01Z\"}");
    assertThat(out).extracting(Event::text).containsExactly("part one part two", "err \"quoted\"");
    assertThat(out.get(1).stream()).isEqualTo("stderr");
  }

  @Test
  void passesMalformedLinesThroughWhole() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 1 << 20, out::add);
    line(d, "not cri at all");
    assertThat(out).extracting(Event::text).containsExactly("not cri at all");
    assertThat(d.malformed()).isEqualTo(1);
  }

  @Test
  void boundsMergedPartialLines() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 10, out::add);
    for (int i = 0; i < 5; i++) line(d, "2024-05-01T12:00:00Z stdout P 0123456789");
    line(d, "2024-05-01T12:00:00Z stdout F end");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).text()).hasSize(10);
    assertThat(out.get(0).truncated()).isTrue();
    assertThat(out.get(0).end()).isEqualTo(offset);
  }

  @Test
  void joinsACharacterTheRuntimeSplitBetweenAPartialLineAndTheNext() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 1 << 20, out::add);
    byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8); // three bytes, cut after the first
    byte[] first = concat("2024-05-01T12:00:00Z stdout P price ".getBytes(StandardCharsets.UTF_8), euro, 0, 1);
    byte[] second = concat("2024-05-01T12:00:00Z stdout F ".getBytes(StandardCharsets.UTF_8), euro, 1, 3);
    d.onLine(Line.ofUtf8(first, 0, first.length + 1, false, false));
    d.onLine(Line.ofUtf8(second, first.length + 1, first.length + second.length + 2, false, false));
    assertThat(out).extracting(Event::text).containsExactly("price \u20ac");
  }

  @Test
  void cutsAnOversizedPartialLineOnACharacterBoundary() {
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 8, out::add);
    line(d, "2024-05-01T12:00:00Z stdout P abcde\u00e9\u00e9"); // an 8-byte cut falls inside the second \u00e9
    line(d, "2024-05-01T12:00:00Z stdout F");
    assertThat(out).extracting(Event::text).containsExactly("abcde\u00e9");
    assertThat(out.get(0).truncated()).isTrue();
  }

  @Test
  void handsEventsAsBytesWithTheirTimeAndStream() {
    List<String> got = new ArrayList<>();
    ContainerDecoder d = new ContainerDecoder(ContainerFormat.CRI, 1 << 20,
        (b, off, len, ascii, start, end, truncated, stream, time, lines) -> got.add(
            new String(b, off, len, StandardCharsets.UTF_8) + "|" + stream + "|" + time + "|" + lines + "|" + ascii));
    byte[] a = "2024-05-01T12:00:00.5Z stderr F {\"msg\":\"x\"}".getBytes(StandardCharsets.UTF_8);
    d.onLine(Line.ofUtf8(a, 0, a.length + 1, false, true));
    assertThat(got).containsExactly("{\"msg\":\"x\"}|stderr|1714564800500000000|1|true");
  }

  private static byte[] concat(byte[] a, byte[] b, int from, int to) {
    byte[] c = Arrays.copyOf(a, a.length + to - from);
    System.arraycopy(b, from, c, a.length, to - from);
    return c;
  }
}
