package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The fat jar as an operator runs it: start, one line with the port, serve, SIGTERM, graceful exit 0. */
class CollectorMainIT {
  private static final Pattern LISTENING =
      Pattern.compile(
          "sluice collector listening on 127\\.0\\.0\\.1:(\\d+), publishing to topic (\\S+) at bootstrap (\\S+)");

  @Test
  void fatJarServesAndShutsDownGracefullyOnSigterm() throws Exception {
    Path jar = Path.of("target", "sluice-collector.jar");
    assertThat(jar).exists(); // built by the package phase, before failsafe runs
    String topic = SharedKafka.newTopic("cli", 1);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx256m", "-jar", jar.toString(), "--listen", "127.0.0.1:0",
        "--kafka-bootstrap", SharedKafka.bootstrap(), "--topic", topic, "--anonymous")
        .redirectError(Files.createTempFile("collector", ".err").toFile())
        .start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
      Matcher m = LISTENING.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      assertThat(m.group(2)).isEqualTo(topic);
      int port = Integer.parseInt(m.group(1));
      String ops = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
      assertThat(ops).startsWith("sluice collector serving /livez /readyz /metrics on port ");
      String opsPort = ops.substring(ops.lastIndexOf(' ') + 1);
      assertThat(Http.get("http://127.0.0.1:" + opsPort + "/readyz").status()).isEqualTo(200);

      try (IngestClient client = new IngestClient(port)) {
        IngestClient.Stream s = client.open().send(Frames.hello("cli", 1))
            .send(Frames.zstdBatch(1, Frames.logBatch("cli", 2)));
        assertThat(s.next().getAck().getSequence()).isEqualTo(1);

        p.toHandle().destroy(); // SIGTERM (Process.destroy() would also close our end of stdout)
        assertThat(s.next().hasGoAway()).isTrue();
        String last = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
        assertThat(last).startsWith("sluice collector stopped: ").contains("batchesAcked=1");
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(143); // the JVM's status after SIGTERM, once the hooks have finished
      }
    } finally {
      p.destroyForcibly();
    }
  }

  private static String readLine(BufferedReader r) {
    try {
      return String.valueOf(r.readLine());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
