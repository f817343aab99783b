package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentResourceTest {
  @Test
  void readsKubernetesNamesFromTheStandardVariables() {
    Map<String, String> env = Map.of("K8S_POD_NAME", "checkout-7f9c", "POD_NAMESPACE", "shop", "NODE_NAME", "node-3");
    assertThat(EnvironmentResource.detect(env::get)).containsExactly(
        Map.entry("k8s.pod.name", "checkout-7f9c"), Map.entry("k8s.namespace.name", "shop"),
        Map.entry("k8s.node.name", "node-3"));
  }

  @Test
  void prefersTheK8sPrefixedVariableAndSkipsBlankOnes() {
    Map<String, String> env = Map.of("K8S_POD_NAME", " ", "POD_NAME", "fallback", "K8S_NAMESPACE", "a",
        "POD_NAMESPACE", "b");
    assertThat(EnvironmentResource.detect(env::get))
        .containsExactly(Map.entry("k8s.pod.name", "fallback"), Map.entry("k8s.namespace.name", "a"));
  }

  @Test
  void findsNothingOutsideKubernetes() {
    assertThat(EnvironmentResource.detect(name -> null)).isEmpty();
  }
}
