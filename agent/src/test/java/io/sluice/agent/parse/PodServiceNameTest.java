package io.sluice.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.agent.parse.PodServiceName.Mode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PodServiceNameTest {
  static Path pod(String ns, String pod, String container) {
    return Path.of("/var/log/pods", ns + "_" + pod + "_5f0e7a4c-2b1d-4c8e-9a6f-0d3b2c1a9e8f", container, "0.log");
  }

  @Test
  void workloadIsTheControllersNameInTheGeneratedPodName() {
    assertThat(PodServiceName.workload("checkout-7d9f8b6c5d-x2k4p")).isEqualTo("checkout"); // Deployment
    assertThat(PodServiceName.workload("order-api-5c6b4f9d8-tq7zn")).isEqualTo("order-api"); // 9-char hash
    assertThat(PodServiceName.workload("fluent-x2k4p")).isEqualTo("fluent"); // DaemonSet, Job
    assertThat(PodServiceName.workload("report-29061420-x2k4p")).isEqualTo("report"); // CronJob
    assertThat(PodServiceName.workload("kafka-2")).isEqualTo("kafka"); // StatefulSet
    assertThat(PodServiceName.workload("node-sync-worker")).isEqualTo("node-sync-worker"); // a bare pod
    assertThat(PodServiceName.workload("hello")).isEqualTo("hello");
    assertThat(PodServiceName.workload("x2k4p")).isEqualTo("x2k4p"); // nothing before the suffix: kept
  }

  @Test
  void eachModeNamesThePodFromItsLogPathAndOtherFilesKeepTheConfiguredName() {
    Path p = pod("shop", "checkout-7d9f8b6c5d-x2k4p", "app");
    assertThat(PodServiceName.of(Mode.WORKLOAD, p, "node-agent")).isEqualTo("checkout");
    assertThat(PodServiceName.of(Mode.CONTAINER, p, "node-agent")).isEqualTo("app");
    assertThat(PodServiceName.of(Mode.NAMESPACE_WORKLOAD, p, "node-agent")).isEqualTo("shop/checkout");
    assertThat(PodServiceName.of(Mode.CONFIG, p, "node-agent")).isEqualTo("node-agent");
    assertThat(PodServiceName.of(Mode.WORKLOAD, Path.of("/var/log/app/app.log"), "node-agent")).isEqualTo("node-agent");
    assertThat(Mode.parse("namespace-workload")).isEqualTo(Mode.NAMESPACE_WORKLOAD);
    assertThat(Mode.parse("pods")).isNull();
  }
}
