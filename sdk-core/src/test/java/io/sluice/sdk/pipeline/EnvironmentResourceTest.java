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

  @Test
  void readsOpenTelemetrysServiceNameAndResourceAttributes() {
    Map<String, String> env = Map.of("OTEL_RESOURCE_ATTRIBUTES",
        "service.name=from-attrs, deployment.environment=prod,team=pay%20ments,broken, k8s.pod.name=p1",
        "OTEL_SERVICE_NAME", "checkout", "K8S_POD_NAME", "p0");
    Map<String, String> found = EnvironmentResource.detect(env::get);
    assertThat(found).containsEntry("service.name", "checkout").containsEntry("deployment.environment", "prod")
        .containsEntry("team", "pay ments").containsEntry("k8s.pod.name", "p1").doesNotContainKey("broken");

    PipelineConfig.Builder b = PipelineConfig.builder();
    found.forEach(b::resourceAttribute);
    PipelineConfig fromEnv = b.build();
    assertThat(fromEnv.serviceName()).isEqualTo("checkout");
    assertThat(fromEnv.resource()).extracting(kv -> kv.getKey() + "=" + kv.getValue().getStringValue())
        .contains("service.name=checkout", "deployment.environment=prod", "team=pay ments")
        .filteredOn(s -> s.startsWith("service.name=")).hasSize(1);
    // Configuration, applied after the environment, wins.
    assertThat(b.set("serviceName", "configured").build().serviceName()).isEqualTo("configured");
  }
}
