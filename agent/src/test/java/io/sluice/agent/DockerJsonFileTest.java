package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.agent.multiline.MultilineConfig;
import io.sluice.agent.multiline.MultilineMode;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.testkit.TestCollector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A container's log as Docker's json-file driver writes it ({@code /var/lib/docker/containers/<id>/<id>-json.log}:
 * one JSON object per line, lines over 16 KiB split into pieces without a trailing newline, stdout and stderr
 * interleaved, rotated by renaming to {@code -json.log.1} at max-size), through the agent to a collector: each
 * application line arrives once, whole, with its stream and the time Docker recorded.
 */
class DockerJsonFileTest {
  @TempDir
  Path tmp;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int DOCKER_PIECE = 16 * 1024; // dockerd's bufio line limit: longer lines arrive in pieces

  /** Appends one application line as Docker would log it (split into 16 KiB pieces). */
  private static void dockerLine(Path file, String stream, String text, Instant time) throws Exception {
    StringBuilder out = new StringBuilder();
    String rest = text + "\n";
    while (!rest.isEmpty()) {
      String piece = rest.length() > DOCKER_PIECE ? rest.substring(0, DOCKER_PIECE) : rest;
      rest = rest.substring(piece.length());
      Map<String, String> o = new LinkedHashMap<>();
      o.put("log", piece);
      o.put("stream", stream);
      o.put("time", time.toString());
      out.append(JSON.writeValueAsString(o)).append('\n');
    }
    Files.writeString(file, out, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static String shortly(String s) {
    return s.length() <= 80 ? s : s.substring(0, 60) + "...(" + s.length() + " chars)";
  }

  private static String attr(LogRecord r, String key) {
    for (KeyValue kv : r.getAttributesList()) if (kv.getKey().equals(key)) return kv.getValue().getStringValue();
    return null;
  }

  @Test
  void shipsDockerJsonFileLinesWholeWithStreamAndTimeAcrossRotation() throws Exception {
    String id = "3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";
    Path dir = Files.createDirectories(tmp.resolve("containers").resolve(id));
    Path log = dir.resolve(id + "-json.log");
    Instant t0 = Instant.parse("2024-05-01T12:00:00.123456789Z");
    Map<String, String> want = new HashMap<>(); // body -> stream
    List<String> order = new ArrayList<>();
    InputConfig input = InputConfig.plain("docker", tmp.resolve("containers") + "/*/*-json.log")
        .withFormat(ContainerFormat.DOCKER, ParserKind.PLAIN, null)
        .withMultiline(new MultilineConfig(MultilineMode.JAVA, null, 500, 1 << 20, 200_000_000L));
    try (TestCollector collector = new TestCollector();
        Agent agent = Agent.start(Harness.config(collector, tmp.resolve("spool"), input).build())) {
      int n = 0;
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 200; i++, n++) {
          String stream = n % 3 == 0 ? "stderr" : "stdout";
          String body = switch (n % 50) {
            case 7 -> "line-" + n + " long " + "x".repeat(40_000); // three Docker pieces
            case 13 -> "line-" + n + " ERROR failed\njava.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)";
            default -> "line-" + n + " ünïcödé \"quoted\" \\ tab\tend";
          };
          for (String l : body.split("\n", -1)) dockerLine(log, stream, l, t0.plusMillis(n));
          want.put(body, stream);
          order.add(body);
        }
        // dockerd's max-size rotation, long after the agent found the file (it is not in the include glob once
        // renamed): the file is renamed (.1, .2 shift up) and a new one created.
        int sent = n;
        await().atMost(Duration.ofSeconds(10)).until(() -> collector.received().size() >= sent * 9 / 10);
        for (int k = round; k >= 1; k--)
          Files.move(dir.resolve(id + "-json.log." + k), dir.resolve(id + "-json.log." + (k + 1)));
        Files.move(log, dir.resolve(id + "-json.log.1"));
      }
      for (int i = 0; i < 50; i++, n++) {
        String body = "tail-" + n;
        dockerLine(log, "stdout", body, t0.plusMillis(n));
        want.put(body, "stdout");
      }
      org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
          .until(() -> collector.received().size() >= want.size());
      // and nothing extra trickles in afterwards (the assertions below say what is missing or doubled)
      org.awaitility.Awaitility.await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
          .until(() -> collector.received().size() == want.size());
      Map<String, LogRecord> got = new HashMap<>();
      for (TestCollector.Received r : collector.received()) {
        LogRecord prev = got.put(r.record().getBody().getStringValue(), r.record());
        assertThat(prev).as("delivered twice: %s", r.record().getBody().getStringValue()).isNull();
      }
      List<String> missing = new ArrayList<>();
      for (String b : want.keySet()) if (!got.containsKey(b)) missing.add(shortly(b));
      List<String> extra = new ArrayList<>();
      for (String b : got.keySet()) if (!want.containsKey(b)) extra.add(shortly(b));
      assertThat(missing).as("missing").isEmpty();
      assertThat(extra).as("not written").isEmpty();
      for (Map.Entry<String, LogRecord> e : got.entrySet()) {
        assertThat(attr(e.getValue(), "log.iostream")).as(e.getKey()).isEqualTo(want.get(e.getKey()));
      }
      LogRecord first = got.get(order.get(0));
      assertThat(first.getTimeUnixNano()).isEqualTo(t0.getEpochSecond() * 1_000_000_000L + t0.getNano());
      assertThat(got.get(order.get(7)).getBody().getStringValue()).hasSize(order.get(7).length());
    }
  }
}
