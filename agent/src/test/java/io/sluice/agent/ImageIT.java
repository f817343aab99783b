package io.sluice.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sluice.sdk.testkit.ContainerImage;
import io.sluice.sdk.testkit.TestCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's container image (target/sluice-agent-image.tar: Jib from "scratch" + a jlink'ed runtime and glibc)
 * runs the real agent: as its non-root user it tails a file, keeps its RocksDB spool (native library included) and
 * ships every line to a collector on the host.
 */
class ImageIT {
  private static final Path IMAGE = Path.of("target/sluice-agent-image.tar");

  @Test
  void imageTailsAFileAndShipsEveryLine(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(IMAGE), "no image: built with -Dimage.skip");
    assumeTrue(ContainerImage.runnableHere(), "running an image needs Linux, root and chroot");
    ContainerImage image = ContainerImage.unpack(IMAGE, dir);
    assertThat(image.user()).isEqualTo("65532");
    Path logs = Files.createDirectories(image.rootfs().resolve("var/log/app"));
    Harness.append(logs.resolve("app.log"), Harness.lines("img-", 0, 500));
    try (TestCollector collector = new TestCollector()) {
      Files.writeString(
          image.rootfs().resolve("var/lib/sluice/agent.yaml"),
          AgentCrashTest.yaml(collector, Path.of("/var/lib/sluice/spool"), "/var/log/app/*.log"));
      try (ContainerImage.Running agent = image.start(List.of("--config", "/var/lib/sluice/agent.yaml"))) {
        await("500 lines from the agent in the image")
            .atMost(Duration.ofMinutes(2))
            .until(() -> collector.distinct() >= 500 || !agent.process().isAlive());
        assertThat(collector.distinct()).as("lines received; output: %s", agent.output()).isEqualTo(500);
        assertThat(collector.received()).extracting(r -> r.record().getBody().getStringValue())
            .contains("img-0", "img-499");
        int exit = agent.stop(30); // SIGTERM: drain and exit
        assertThat(agent.output()).as("exit %s", exit).anyMatch(l -> l.contains("sluice-agent: started"));
      }
    }
  }
}
