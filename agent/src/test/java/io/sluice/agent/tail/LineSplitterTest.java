package io.sluice.agent.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
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
}
