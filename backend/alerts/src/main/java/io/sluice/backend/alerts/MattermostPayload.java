package io.sluice.backend.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sluice.backend.common.Alert;
import java.io.IOException;
import java.time.Instant;
import java.util.Locale;

/**
 * The webhook body for one alert, in the Mattermost incoming-webhook format (also accepted by Slack-compatible
 * receivers): {@code text}, {@code username}, one message attachment with the alert's fields, and the alert id in
 * {@code props} so a receiver can spot a copy. Stateless and thread-safe.
 */
public final class MattermostPayload {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private MattermostPayload() {}

  public static byte[] of(Alert alert, String username) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("text", ":rotating_light: " + alert.text());
    root.put("username", username);
    ArrayNode attachments = root.putArray("attachments");
    ObjectNode a = attachments.addObject();
    a.put("fallback", alert.text());
    a.put("color", "error_rate".equals(alert.kind()) ? "#D0021B" : "#F5A623");
    a.put("title", alert.kind() + " on " + alert.tenant() + "/" + alert.service());
    a.put("text", alert.text());
    ArrayNode fields = a.putArray("fields");
    field(fields, "Rule", alert.ruleId(), true);
    field(fields, "Kind", alert.kind(), true);
    field(fields, "Tenant", alert.tenant(), true);
    field(fields, "Service", alert.service(), true);
    field(fields, "Value", String.format(Locale.ROOT, "%.4g", alert.value()), true);
    field(fields, "Threshold", String.format(Locale.ROOT, "%.4g", alert.threshold()), true);
    field(fields, "Subject", alert.subject(), false);
    field(fields, "At", Instant.ofEpochMilli(alert.windowEndMillis()).toString(), false);
    root.putObject("props").put("sluice_alert_id", alert.id());
    try {
      return MAPPER.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode the webhook payload of alert " + alert.id(), e);
    }
  }

  private static void field(ArrayNode fields, String title, String value, boolean isShort) {
    fields.addObject().put("short", isShort).put("title", title).put("value", value);
  }
}
