package io.sluice.agent.tail;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiscoveryTest {
  @TempDir
  Path dir;

  @Test
  void doubleStarCrossesAndAlsoMatchesNoDirectory() throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    for (String p : List.of("top.log", "a/one.log", "a/b/two.log", "a/b/two.log.gz", "a/skip.txt")) {
      Files.writeString(dir.resolve(p), "x\n");
    }
    Discovery d = new Discovery(List.of(dir + "/**/*.log*"), List.of("*.gz"));
    assertThat(d.scan()).containsExactlyInAnyOrder(dir.resolve("top.log"), dir.resolve("a/one.log"),
        dir.resolve("a/b/two.log"));
  }

  @Test
  void singleStarStaysInItsDirectoryAndPathExcludesWork() throws Exception {
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("a.log"), "");
    Files.writeString(dir.resolve("b.log"), "");
    Files.writeString(dir.resolve("sub/c.log"), "");
    Discovery d = new Discovery(List.of(dir + "/*.log"), List.of(dir + "/b.*"));
    assertThat(d.scan()).containsExactly(dir.resolve("a.log"));
  }

  @Test
  void followsSymlinksLikeKubernetesContainerLinks() throws Exception {
    Path pods = Files.createDirectories(dir.resolve("pods/ns_pod_uid/c"));
    Files.writeString(pods.resolve("0.log"), "x\n");
    Path containers = Files.createDirectories(dir.resolve("containers"));
    Files.createSymbolicLink(containers.resolve("pod_ns_c-123.log"), pods.resolve("0.log"));
    Discovery d = new Discovery(List.of(containers + "/*.log"), List.of());
    assertThat(d.scan()).containsExactly(containers.resolve("pod_ns_c-123.log"));
  }

  @Test
  void limitsOpenFilesAndCountsTheRest() throws Exception {
    for (int i = 0; i < 5; i++) Files.writeString(dir.resolve(i + ".log"), "x\n");
    TailerConfig c = new TailerConfig(3, 512, 4096, 1024, 64, 1, 1);
    try (Tailer t = new Tailer(c, new RecordingListener())) {
      for (Path p : new Discovery(List.of(dir + "/*.log"), List.of()).scan()) t.track(p, 0);
      assertThat(t.files()).hasSize(3);
      assertThat(t.deferred()).isEqualTo(2);
    }
  }
}
