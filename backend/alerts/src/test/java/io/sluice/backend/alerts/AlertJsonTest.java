package io.sluice.backend.alerts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.backend.common.Alert;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AlertJsonTest {
  @Test
  void roundTripsEveryField() throws Exception {
    Alert a = new Alert("r", "error_rate", "t", "s", "s", 1_700_000_000_123L, 0.125, 0.05, "t/s: \"quoted\" ünicode");
    assertThat(AlertJson.decode(AlertJson.encode(a))).isEqualTo(a);
    assertThat(new String(AlertJson.encode(a), StandardCharsets.UTF_8)).contains("\"id\":\"" + a.id() + "\"");
  }

  @Test
  void refusesWhatIsNotAnAlert() {
    assertThatThrownBy(() -> AlertJson.decode("{\"text\":\"hi\"}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IOException.class).hasMessageContaining("ruleId");
  }

  @Test
  void schemaSplitsIntoStatementsWithoutComments() {
    assertThat(JdbcAlertRuleSource.schemaStatements())
        .singleElement().asString().startsWith("CREATE TABLE IF NOT EXISTS alert_rules").doesNotContain("--");
  }
}
