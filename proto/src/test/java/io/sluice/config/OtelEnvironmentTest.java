package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtelEnvironmentTest {
  private final List<String> problems = new ArrayList<>();

  @Test
  void serviceNameWinsOverTheAttributeAndValuesArePercentDecoded() {
    OtelEnvironment e = OtelEnvironment.read(Map.of(
        "OTEL_SERVICE_NAME", "checkout",
        "OTEL_RESOURCE_ATTRIBUTES", "service.name=ignored, deployment.environment = prod ,team=a%2Cb%20c,x=1+1,"
            + "name=caf%C3%A9")::get,
        problems::add);
    assertThat(e.serviceName()).isEqualTo("checkout");
    assertThat(e.attributes()).containsExactly(Map.entry("deployment.environment", "prod"),
        Map.entry("team", "a,b c"), Map.entry("x", "1+1"), Map.entry("name", "café"));
    assertThat(problems).isEmpty();
  }

  @Test
  void serviceNameFromTheAttributesWhenTheVariableIsUnset() {
    OtelEnvironment e = OtelEnvironment.read(Map.of("OTEL_RESOURCE_ATTRIBUTES", "service.name=cart")::get,
        problems::add);
    assertThat(e.serviceName()).isEqualTo("cart");
    assertThat(e.attributes()).isEmpty();
    assertThat(OtelEnvironment.read(Map.<String, String>of()::get, problems::add).serviceName()).isNull();
  }

  @Test
  void aMalformedListIsDiscardedAsAWholeAndReported() {
    OtelEnvironment e = OtelEnvironment.read(Map.of("OTEL_RESOURCE_ATTRIBUTES", "a=1,broken,service.name=x")::get,
        problems::add);
    assertThat(e.attributes()).isEmpty();
    assertThat(e.serviceName()).isNull();
    assertThat(problems).singleElement().asString().contains("OTEL_RESOURCE_ATTRIBUTES", "\"broken\"");
    problems.clear();
    OtelEnvironment.read(Map.of("OTEL_RESOURCE_ATTRIBUTES", "a=100%")::get, problems::add);
    assertThat(problems).singleElement().asString().contains("%25");
  }
}
