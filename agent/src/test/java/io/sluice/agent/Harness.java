package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sdk.testkit.TestCollector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Shared bits of the agent's tests: a fast agent config against a {@link TestCollector}, writers, counting. */
final class Harness {
  private Harness() {}

  /** Fast timings for tests: 10 ms polls, 50 ms linger, rotated files released 300 ms after their last growth. */
  static AgentConfig.Builder config(TestCollector collector, Path spoolDir, InputConfig input) {
    return config(collector.endpoint(), spoolDir, input);
  }

  /** The same fast timings against any collector at {@code endpoint} (host:port). */
  static AgentConfig.Builder config(String endpoint, Path spoolDir, InputConfig input) {
    AgentConfig.Builder b = AgentConfig.builder()
        .input(input)
        .pollIntervalMs(10)
        .rescanIntervalMs(50)
        .releaseAfterMs(300)
        .http("127.0.0.1", -1);
    b.pipeline().endpoint(endpoint).spoolDir(spoolDir).lingerMs(50).reconnectMinMs(20)
        .reconnectMaxMs(200).closeTimeoutMs(5_000);
    return b;
  }

  static void append(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
          StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String lines(String prefix, int from, int to) {
    StringBuilder sb = new StringBuilder();
    for (int i = from; i < to; i++) sb.append(prefix).append(i).append('\n');
    return sb.toString();
  }

  static List<String> expected(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) out.add(prefix + i);
    return out;
  }

  /** Bodies received, each once per distinct record identity; duplicates (by body) counted separately. */
  static List<String> bodies(TestCollector c) {
    List<String> out = new ArrayList<>();
    for (TestCollector.Received r : c.received()) out.add(r.record().getBody().getStringValue());
    return out;
  }

  /** How often each body arrived more than once. */
  static int bodyDuplicates(TestCollector c) {
    Map<String, Integer> n = new HashMap<>();
    for (String b : bodies(c)) n.merge(b, 1, Integer::sum);
    int d = 0;
    for (int v : n.values()) d += v - 1;
    return d;
  }

  /** Asserts the distinct bodies are exactly {@code expected} (nothing lost, nothing invented). */
  static void assertExactly(TestCollector c, List<String> expected) {
    assertThat(new TreeMap<>(count(bodies(c))).keySet()).containsExactlyInAnyOrderElementsOf(expected);
  }

  private static Map<String, Integer> count(List<String> l) {
    Map<String, Integer> n = new HashMap<>();
    for (String s : l) n.merge(s, 1, Integer::sum);
    return n;
  }
}
