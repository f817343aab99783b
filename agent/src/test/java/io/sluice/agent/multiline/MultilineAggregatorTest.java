package io.sluice.agent.multiline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MultilineAggregatorTest {
  private final List<Event> out = new ArrayList<>();
  private long offset;

  private void line(MultilineAggregator m, String text, long now) {
    long len = text.length() + 1;
    m.onEvent(new Event(text, offset, offset + len, false, null, 0, 1), now);
    offset += len;
  }

  private static MultilineConfig java() {
    return new MultilineConfig(MultilineMode.JAVA, null, 500, 1 << 20, 1_000_000_000L);
  }

  @Test
  void joinsJavaStackTracesWithCausesSuppressedAndMore() {
    MultilineAggregator m = new MultilineAggregator(java(), out::add);
    String[] trace = {
        "2024-05-01 12:00:00 ERROR request failed",
        "java.lang.IllegalStateException: boom",
        "\tat com.example.Service.call(Service.java:42)",
        "\tat com.example.Main.main(Main.java:7)",
        "\tSuppressed: java.io.IOException: close failed",
        "\t\tat com.example.Res.close(Res.java:3)",
        "Caused by: java.lang.RuntimeException: root",
        "\tat com.example.Dao.load(Dao.java:9)",
        "\t... 2 more"};
    for (String l : trace) line(m, l, 0);
    line(m, "2024-05-01 12:00:01 INFO next", 0);
    assertThat(out).hasSize(1);
    Event e = out.get(0);
    assertThat(e.text()).isEqualTo(String.join("\n", trace));
    assertThat(e.start()).isZero();
    assertThat(e.lines()).isEqualTo(trace.length);
    assertThat(e.end()).isEqualTo(m.pendingStart());
  }

  @Test
  void startRegexBeginsEventsAndFlushTimeoutEmitsTheLast() {
    MultilineConfig c = new MultilineConfig(MultilineMode.START_REGEX, Pattern.compile("^\\d{4}-"), 500, 1 << 20, 100);
    MultilineAggregator m = new MultilineAggregator(c, out::add);
    line(m, "2024 not a start", 0);
    line(m, "2024-01-01 a", 0);
    line(m, "  more a", 0);
    line(m, "2024-01-01 b", 10);
    assertThat(out).extracting(Event::text).containsExactly("2024 not a start", "2024-01-01 a\n  more a");
    m.tick(50);
    assertThat(out).hasSize(2);
    m.tick(110);
    assertThat(out).extracting(Event::text).last().isEqualTo("2024-01-01 b");
    assertThat(m.pendingStart()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void continueRegexJoinsMatchingLines() {
    MultilineConfig c = new MultilineConfig(MultilineMode.CONTINUE_REGEX, Pattern.compile("^\\s"), 500, 1 << 20, 100);
    MultilineAggregator m = new MultilineAggregator(c, out::add);
    line(m, "a", 0);
    line(m, " a2", 0);
    line(m, "b", 0);
    m.flush();
    assertThat(out).extracting(Event::text).containsExactly("a\n a2", "b");
  }

  @Test
  void capsLinesAndBytesButKeepsTheEndOffset() {
    MultilineConfig c = new MultilineConfig(MultilineMode.JAVA, null, 3, 1 << 20, 100);
    MultilineAggregator m = new MultilineAggregator(c, out::add);
    line(m, "ERROR x", 0);
    for (int i = 0; i < 10; i++) line(m, "\tat a.B.c(B.java:" + i + ")", 0);
    long end = offset;
    m.flush();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).text().split("\n")).hasSize(3);
    assertThat(out.get(0).truncated()).isTrue();
    assertThat(out.get(0).end()).isEqualTo(end);
    assertThat(m.droppedLines()).isEqualTo(8);
  }
}
