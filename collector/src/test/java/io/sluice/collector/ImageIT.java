package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.sdk.testkit.ContainerImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container image the build wrote (target/sluice-collector-image.tar, Jib from "scratch" + a jlink'ed runtime)
 * really starts the collector: unpacked and run like a container runtime would (its entrypoint, environment and
 * non-root user), it brings up its embedded Kafka broker and answers /readyz.
 */
class ImageIT {
  private static final Path IMAGE = Path.of("target/sluice-collector-image.tar");
  private static final Pattern OPS_PORT = Pattern.compile("serving /livez /readyz /metrics on port (\\d+)");

  @Test
  void imageRunsTheCollectorAsNonRootAndBecomesReady(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(IMAGE), "no image: built with -Dimage.skip");
    assumeTrue(ContainerImage.runnableHere(), "running an image needs Linux, root and chroot");
    ContainerImage image = ContainerImage.unpack(IMAGE, dir);
    assertThat(image.user()).isEqualTo("65532");
    assertThat(image.entrypoint()).first().isEqualTo("/opt/java/bin/java");
    // an OutOfMemoryError ends the process, so the orchestrator restarts it (as the Helm chart and launcher do)
    assertThat(image.entrypoint()).contains("-XX:+ExitOnOutOfMemoryError");
    Files.writeString(
        image.rootfs().resolve("var/lib/sluice/collector.yaml"),
        "listen: 127.0.0.1:0\nhttp: {listen: \"127.0.0.1:0\"}\nauth: {anonymous: true}\n");

    try (ContainerImage.Running collector =
        image.start(
            List.of("--config", "/var/lib/sluice/collector.yaml", "--embedded-kafka", "--embedded-kafka-dir",
                "/tmp/kafka"))) {
      int port =
          await("the collector in the image reports its ops port")
              .atMost(Duration.ofMinutes(3))
              .pollInterval(Duration.ofMillis(200))
              .until(() -> opsPort(collector.output()), pt -> pt > 0 || !collector.process().isAlive());
      assertThat(collector.process().isAlive()).as("collector exited: %s", collector.output()).isTrue();
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz")).build();
      await().atMost(Duration.ofMinutes(1))
          .until(() -> http.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
      int exit = collector.stop(60); // SIGTERM: the collector drains and exits
      assertThat(collector.output()).as("exit %s", exit).anyMatch(l -> l.startsWith("sluice collector stopped"));
    }
  }

  private static int opsPort(List<String> output) {
    for (String line : output) {
      Matcher m = OPS_PORT.matcher(line);
      if (m.find()) {
        return Integer.parseInt(m.group(1));
      }
    }
    return -1;
  }
}
