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
 *
 * <p>A routed topic name is not guaranteed to be one Kafka accepts: {@code {service}} and {@code {tenant}} come from
 * the client, and their illegal characters become {@code _}, but a long {@code service.name} still makes a name
 * longer than {@value #MAX_TOPIC_LENGTH}. {@link #topicProblem(String)} says why a name can never be a topic; the
 * publisher dead-letters the records routed to such a name (reason {@code TOPIC_INVALID}) instead of asking Kafka.
 */
public final class Router {
  private final List<Rule> rules = new ArrayList<>();
  private final String defaultTopic;
  private final String deadLetterTopic;
  private final int maxRecordBytes;
  private final Map<String, List<Pattern>> allowed = new HashMap<>();
  private final boolean readsService;

  public Router(CollectorConfig config) {
    boolean service = false;
    for (RouteRule r : config.routes()) {
      rules.add(new Rule(glob(r.tenant()), glob(r.service()), r.minSeverity(), r.topic()));
      service |= r.service() != null || r.topic() != null && r.topic().contains("{service}");
    }
    this.readsService = service;
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
    String svc = service.isEmpty() ? attribute(record, "service.name") : service;
    return route(tenant, svc, record.getSeverityNumberValue());
  }

  /**
   * True if some rule matches or names the service: only then does {@link #route(String, String, int)} need a
   * record's own {@code service.name} attribute when the resource has none.
   */
  public boolean readsService() {
    return readsService;
  }

  /**
   * The topic of a record with {@code severityNumber}; {@code service} is the resource's service.name, or when that
   * is empty the record's own {@code service.name} attribute (needed only if {@link #readsService()}).
   */
  public String route(String tenant, String service, int severityNumber) {
    for (Rule r : rules) {
      if ((r.tenant == null || r.tenant.matcher(tenant).matches())
          && (r.service == null || r.service.matcher(service).matches())
          && severityNumber >= r.minSeverity) {
        return r.topic.replace("{tenant}", sanitize(tenant)).replace("{service}", sanitize(service));
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
    return invalidReason(record.getTraceId().size(), record.getSpanId().size(), record.getSeverityNumberValue(),
        valueBytes);
  }

  /** Like {@link #invalidReason(LogRecord, int)} from the only fields it reads (the ingest path scans them). */
  public String invalidReason(int traceIdSize, int spanIdSize, int severityNumber, int valueBytes) {
    if (traceIdSize != 0 && traceIdSize != 16) {
      return "INVALID_TRACE_ID: trace_id has " + traceIdSize + " bytes, not 16";
    }
    if (spanIdSize != 0 && spanIdSize != 8) {
      return "INVALID_SPAN_ID: span_id has " + spanIdSize + " bytes, not 8";
    }
    if (severityNumber < 0 || severityNumber > 24) {
      return "INVALID_SEVERITY: severity_number " + severityNumber + " is not 0..24";
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
    return truncatedCopy(record);
  }

  /** Kafka's longest topic name (its {@code Topic.MAX_NAME_LENGTH}). */
  public static final int MAX_TOPIC_LENGTH = 249;

  /**
   * Why {@code topic} can never be a Kafka topic, or null if it is a legal name: Kafka's rule, 1 to
   * {@value #MAX_TOPIC_LENGTH} of {@code [a-zA-Z0-9._-]}, and not {@code "."} or {@code ".."}.
   */
  public static String topicProblem(String topic) {
    if (topic == null || topic.isEmpty()) {
      return "the routed topic name is empty";
    }
    if (topic.equals(".") || topic.equals("..")) {
      return "\"" + topic + "\" is not a legal topic name";
    }
    if (topic.length() > MAX_TOPIC_LENGTH) {
      return "the routed topic name has " + topic.length() + " characters, more than Kafka's " + MAX_TOPIC_LENGTH
          + " (a long service.name or tenant in a {service}/{tenant} route): \"" + topic.substring(0, 64) + "...\"";
    }
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
          || c == '-')) {
        return "the routed topic name \"" + topic + "\" has the character '" + c + "'; Kafka allows [a-zA-Z0-9._-]";
      }
    }
    return null;
  }

  /**
   * A copy of {@code record} small enough for any dead-letter topic: attributes, exception and arguments dropped, the
   * body cut to 4096 characters, {@code truncated} set. For records Kafka refused as too large.
   */
  public static LogRecord truncatedCopy(LogRecord record) {
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
