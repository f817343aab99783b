package io.sluice.backend.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.backend.common.Alert;
import java.io.IOException;

/**
 * The alerts topic's value format: one JSON object per alert with the {@link Alert} fields plus {@code id}.
 * Thread-safe (a shared, never reconfigured ObjectMapper).
 */
public final class AlertJson {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AlertJson() {}

  public static byte[] encode(Alert alert) {
    ObjectNode n = MAPPER.createObjectNode();
    n.put("id", alert.id());
    n.put("ruleId", alert.ruleId());
    n.put("kind", alert.kind());
    n.put("tenant", alert.tenant());
    n.put("service", alert.service());
    n.put("subject", alert.subject());
    n.put("windowEndMillis", alert.windowEndMillis());
    n.put("value", alert.value());
    n.put("threshold", alert.threshold());
    n.put("text", alert.text());
    try {
      return MAPPER.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode alert " + alert.id(), e);
    }
  }

  /** Decodes a value written by {@link #encode}; throws {@link IOException} for anything else. */
  public static Alert decode(byte[] json) throws IOException {
    var n = MAPPER.readTree(json);
    if (n == null || !n.isObject() || !n.hasNonNull("ruleId") || !n.hasNonNull("windowEndMillis")) {
      throw new IOException("not an alert: needs an object with ruleId and windowEndMillis");
    }
    return new Alert(
        n.path("ruleId").asText(), n.path("kind").asText(), n.path("tenant").asText(), n.path("service").asText(),
        n.path("subject").asText(), n.path("windowEndMillis").asLong(), n.path("value").asDouble(),
        n.path("threshold").asDouble(), n.path("text").asText());
  }
}
