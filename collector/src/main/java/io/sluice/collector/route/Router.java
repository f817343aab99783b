package io.sluice.collector.route;

import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RouteRule;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Chooses each record's topic: the first rule of {@code routes} whose tenant glob, service glob and minimum
 * severity all match, else the default topic; and says whether a tenant may write there ({@code tenants.*.topics}
 * globs; none = any). Also decides which records are permanently invalid and go to the dead-letter topic.
 * Immutable; a reload builds a new one. Thread-safe.
 */
public final class Router {
  private final List<Rule> rules = new ArrayList<>();
  private final String defaultTopic;
  private final String deadLetterTopic;
  private final int maxRecordBytes;
  private final Map<String, List<Pattern>> allowed = new HashMap<>();

  public Router(CollectorConfig config) {
    for (RouteRule r : config.routes()) {
      rules.add(new Rule(glob(r.tenant()), glob(r.service()), r.minSeverity(), r.topic()));
    }
    this.defaultTopic = config.topic();
    this.deadLetterTopic = config.deadLetterTopic();
    this.maxRecordBytes = config.maxRecordBytes();
    for (TenantConfig t : config.tenants().values()) {
      if (!t.topics().isEmpty()) {
        allowed.put(t.name(), t.topics().stream().map(Router::glob).toList());
      }
    }
  }

  public String deadLetterTopic() {
    return deadLetterTopic;
  }

  /** The topic of {@code record}; {@code service} is the resource's service.name ("" if none). */
  public String route(String tenant, String service, LogRecord record) {
    String svc = service;
    if (svc.isEmpty()) {
      svc = attribute(record, "service.name");
    }
    int severity = record.getSeverityNumberValue();
    for (Rule r : rules) {
      if ((r.tenant == null || r.tenant.matcher(tenant).matches())
          && (r.service == null || r.service.matcher(svc).matches())
          && severity >= r.minSeverity) {
        return r.topic.replace("{tenant}", sanitize(tenant)).replace("{service}", sanitize(svc));
      }
    }
    return defaultTopic;
  }

  /** True if {@code tenant} may write to {@code topic}. */
  public boolean allowed(String tenant, String topic) {
    List<Pattern> globs = allowed.get(tenant);
    return globs == null || globs.stream().anyMatch(p -> p.matcher(topic).matches());
  }

  /** Why {@code record} can never be published (it goes to the dead-letter topic), or null if it is fine. */
  public String invalidReason(LogRecord record) {
    return invalidReason(record, record.getSerializedSize());
  }

  /**
   * Like {@link #invalidReason(LogRecord)} when the record's published value is {@code valueBytes} long (the
   * collector publishes spliced bytes, see {@code RecordEnricher.spliceValues}, and does not encode the record).
   */
  public String invalidReason(LogRecord record, int valueBytes) {
    int trace = record.getTraceId().size();
    if (trace != 0 && trace != 16) {
      return "INVALID_TRACE_ID: trace_id has " + trace + " bytes, not 16";
    }
    int span = record.getSpanId().size();
    if (span != 0 && span != 8) {
      return "INVALID_SPAN_ID: span_id has " + span + " bytes, not 8";
    }
    if (record.getSeverityNumberValue() < 0 || record.getSeverityNumberValue() > 24) {
      return "INVALID_SEVERITY: severity_number " + record.getSeverityNumberValue() + " is not 0..24";
    }
    if (valueBytes > maxRecordBytes) {
      return "RECORD_TOO_LARGE: " + valueBytes + " bytes > limits.maxRecordBytes " + maxRecordBytes;
    }
    return null;
  }

  /** What the dead-letter topic gets for an invalid record: itself, or a truncated copy if it is too large. */
  public LogRecord deadLetterValue(LogRecord record) {
    if (record.getSerializedSize() <= maxRecordBytes) {
      return record;
    }
    String body = record.getBody().hasStringValue() ? record.getBody().getStringValue() : "";
    return record.toBuilder().clearAttributes().clearException().clearMessageArguments()
        .setBody(AnyValue.newBuilder().setStringValue(body.substring(0, Math.min(body.length(), 4096))))
        .setTruncated(true).build();
  }

  private static String attribute(LogRecord record, String key) {
    for (KeyValue kv : record.getAttributesList()) {
      if (kv.getKey().equals(key) && kv.getValue().hasStringValue()) {
        return kv.getValue().getStringValue();
      }
    }
    return "";
  }

  private static String sanitize(String s) {
    String v = s.replaceAll("[^a-zA-Z0-9._-]", "_");
    return v.isEmpty() ? "_" : v;
  }

  static Pattern glob(String glob) {
    if (glob == null) {
      return null;
    }
    String[] parts = glob.split("\\*", -1);
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        re.append(".*");
      }
      re.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(re.toString());
  }

  private record Rule(Pattern tenant, Pattern service, int minSeverity, String topic) {}
}
