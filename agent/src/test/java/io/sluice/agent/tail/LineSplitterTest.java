package io.sluice.agent.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
  private final List<Line> out = new ArrayList<>();

  private void feed(LineSplitter s, String text) {
    s.feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), out::add);
  }

  @Test
  void cutsLinesWithExactOffsetsAcrossChunks() {
    LineSplitter s = new LineSplitter(1024, 100);
    feed(s, "ab");
    feed(s, "c\r\nde\n\nf");
    assertThat(out).containsExactly(new Line("abc", 100, 105, false), new Line("de", 105, 108, false),
        new Line("", 108, 109, false));
    assertThat(s.position()).isEqualTo(110);
    assertThat(s.pendingStart()).isEqualTo(109);
    s.flushPartial(out::add);
    assertThat(out.get(3)).isEqualTo(new Line("f", 109, 110, false));
  }

  @Test
  void truncatesLongLinesAtTheLimitAndKeepsGoing() {
    LineSplitter s = new LineSplitter(16, 0);
    String longLine = "x".repeat(100_000);
    feed(s, longLine.substring(0, 50_000));
    feed(s, longLine.substring(50_000) + "\nnext\n");
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).isEqualTo(new Line("x".repeat(16), 0, 100_001, true));
    assertThat(out.get(1)).isEqualTo(new Line("next", 100_001, 100_006, false));
    assertThat(s.truncatedLines()).isEqualTo(1);
    assertThat(s.truncatedBytes()).isEqualTo(100_000 - 16);
  }

  @Test
  void resetDropsHeldBytes() {
    LineSplitter s = new LineSplitter(64, 0);
    feed(s, "half a li");
    s.reset(0);
    feed(s, "whole\n");
    assertThat(out).containsExactly(new Line("whole", 0, 6, false));
  }

  @Test
  void findsEveryNewlineAndKnowsAsciiLinesInAnyChunking() {
    // Lines of 0..40 bytes (some with bytes >= 0x80, '\v' and 0x0B next to the newline, '\r'), cut into chunks of
    // 1..50 bytes: the lines, their offsets and the ASCII flag must be what a byte-by-byte split gives.
    Random random = new Random(42);
    ByteArrayOutputStream file = new ByteArrayOutputStream();
    List<byte[]> expected = new ArrayList<>();
    byte[] alphabet = {'a', 'Z', ' ', 0x0B, 0x09, '\r', 0x7F, (byte) 0x80, (byte) 0xC3, (byte) 0xA9, (byte) 0xFF, 0x00};
    for (int n = 0; n < 2000; n++) {
      byte[] line = new byte[random.nextInt(41)];
      boolean ascii = random.nextInt(3) > 0;
      for (int i = 0; i < line.length; i++) {
        line[i] = alphabet[random.nextInt(ascii ? 7 : alphabet.length)];
        if (line[i] == '\r') line[i] = 'r'; // a trailing CR is cut: kept out of this test
      }
      expected.add(line);
      file.writeBytes(line);
      file.write('\n');
    }
    byte[] all = file.toByteArray();
    LineSplitter s = new LineSplitter(64, 0);
    for (int at = 0; at < all.length;) {
      int n = Math.min(all.length - at, 1 + random.nextInt(50));
      s.feed(ByteBuffer.wrap(all, at, n).slice(), out::add);
      at += n;
    }
    assertThat(out).hasSize(expected.size());
    long offset = 0;
    for (int i = 0; i < expected.size(); i++) {
      byte[] e = expected.get(i);
      Line l = out.get(i);
      assertThat(l.utf8()).as("line %d", i).isEqualTo(e);
      assertThat(l.start()).isEqualTo(offset);
      assertThat(l.end()).isEqualTo(offset + e.length + 1);
      boolean ascii = true;
      for (byte b : e) ascii &= b >= 0;
      assertThat(l.ascii()).as("line %d", i).isEqualTo(ascii);
      offset += e.length + 1;
    }
  }

  @Test
  void handsOverLinesAsBytesWithNothingHeldDuringTheCall() {
    LineSplitter s = new LineSplitter(16, 10);
    byte[] chunk1 = "ab\r\ncd\nlong-line-over-16-bytes\nef".getBytes(StandardCharsets.US_ASCII);
    byte[] chunk2 = "gh\r\n".getBytes(StandardCharsets.US_ASCII);
    List<String> seen = new ArrayList<>();
    LineSplitter.LineBytes out = (b, off, n, start, end, truncated, ascii) -> {
      assertThat(s.hasPartial()).isFalse();
      assertThat(s.pendingStart()).isEqualTo(end);
      seen.add(new String(b, off, n, StandardCharsets.US_ASCII) + "@" + start + "-" + end + (truncated ? "!" : ""));
    };
    s.feed(ByteBuffer.wrap(chunk1, 1, chunk1.length - 1).slice(), out); // from "b\r\n": the chunk at an array offset
    s.feed(ByteBuffer.wrap(chunk2), out);
    assertThat(seen).containsExactly("b@10-13", "cd@13-16", "long-line-over-1@16-40!", "efgh@40-46");
  }
}
