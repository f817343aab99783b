package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvSubstitutionTest {
  private final Map<String, String> env = Map.of("HOST", "kafka-1", "EMPTY", "");
  private final List<String> problems = new ArrayList<>();

  private String sub(String text) {
    return EnvSubstitution.apply(text, env::get, problems::add);
  }

  @Test
  void substitutesDefaultsAndEscapes() {
    assertThat(sub("${HOST}:9092")).isEqualTo("kafka-1:9092");
    assertThat(sub("${PORT:-9092}")).isEqualTo("9092");
    assertThat(sub("${EMPTY:-fallback}")).isEqualTo("fallback");
    assertThat(sub("${EMPTY}")).isEmpty();
    assertThat(sub("${PORT:-}")).isEmpty();
    assertThat(sub("cost: $$5 and ${HOST}")).isEqualTo("cost: $5 and kafka-1");
    assertThat(sub("$$${HOST}")).isEqualTo("$kafka-1");
    assertThat(sub("^(?<m>.*)$")).isEqualTo("^(?<m>.*)$"); // a lone $ stays
    assertThat(sub("$HOST")).isEqualTo("$HOST");
    assertThat(problems).isEmpty();
  }

  @Test
  void reportsEveryUnsetOrMalformedReference() {
    sub("${MISSING}/${HOST}/${ALSO_MISSING}");
    sub("${1abc}");
    sub("${HOST");
    assertThat(problems).hasSize(4);
    assertThat(problems.get(0)).contains("${MISSING}", "not set", "${MISSING:-default}");
    assertThat(problems.get(1)).contains("ALSO_MISSING");
    assertThat(problems.get(2)).contains("${1abc} is not a variable reference");
    assertThat(problems.get(3)).contains("no closing }");
  }
}
