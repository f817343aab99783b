package io.sluice.backend.common;

import java.io.Serializable;
import java.time.Instant;
import java.util.Map;

/**
 * One log record as every backend job sees it: flat, immutable, serializable, decoded once from the Kafka record
 * by {@link LogEvents#decode}. Strings are never null (empty when absent).
 *
 * @param identity the record identity from the Kafka headers (what de-duplication keys on)
 * @param tenant the tenant the collector authenticated ({@code ""} when anonymous)
 * @param topic the Kafka topic it was read from
 * @param timeUnixNano when the event happened (the record's time, else its observed time, else the Kafka timestamp)
 * @param service {@code resource.service.name}, or {@code "unknown"}
 * @param host {@code resource.host.name}, or {@code ""}
 * @param severity the severity range
 * @param severityText the framework's level name as sent (e.g. {@code WARN})
 * @param body the message as a string (non-string bodies rendered)
 * @param messageTemplate the unformatted message when the framework had arguments, else {@code ""}
 * @param logger the logger name
 * @param thread the thread name
 * @param traceId lower-case hex, or {@code ""}
 * @param spanId lower-case hex, or {@code ""}
 * @param exceptionType the outermost exception's class name, or {@code ""}
 * @param exceptionMessage the outermost exception's message, or {@code ""}
 * @param topFrame the outermost exception's first frame as {@code class.method(file:line)}, or {@code ""}
 * @param fingerprint see {@link Fingerprints}: set for ERROR/FATAL records and records with an exception, else {@code ""}
 * @param attributes the record's attributes rendered as strings (resource attributes carry the {@code resource.} prefix)
 * @param sizeBytes the encoded record's size in bytes (the Kafka value)
 * @param exceptionChain the structured exception, outermost first then its causes, as {@link ExceptionChains}
 *     renders it (bounded JSON), or {@code ""}
 */
public record LogEvent(
    RecordIdentity identity,
    String tenant,
    String topic,
    long timeUnixNano,
    String service,
    String host,
    Severity severity,
    String severityText,
    String body,
    String messageTemplate,
    String logger,
    String thread,
    String traceId,
    String spanId,
    String exceptionType,
    String exceptionMessage,
    String topFrame,
    String fingerprint,
    Map<String, String> attributes,
    int sizeBytes,
    String exceptionChain)
  implements Serializable {

  /** An event without a structured exception chain (tests, and readers of sources that do not carry one). */
  public LogEvent(
      RecordIdentity identity, String tenant, String topic, long timeUnixNano, String service, String host,
      Severity severity, String severityText, String body, String messageTemplate, String logger, String thread,
      String traceId, String spanId, String exceptionType, String exceptionMessage, String topFrame,
      String fingerprint, Map<String, String> attributes, int sizeBytes) {
    this(identity, tenant, topic, timeUnixNano, service, host, severity, severityText, body, messageTemplate, logger,
        thread, traceId, spanId, exceptionType, exceptionMessage, topFrame, fingerprint, attributes, sizeBytes, "");
  }

  public static final String UNKNOWN_SERVICE = "unknown";

  public long timeMillis() {
    return timeUnixNano / 1_000_000L;
  }

  public Instant time() {
    return Instant.ofEpochSecond(timeUnixNano / 1_000_000_000L, timeUnixNano % 1_000_000_000L);
  }

  /** The start of the UTC minute the event falls in, in epoch milliseconds: the aggregation bucket. */
  public long minuteStartMillis() {
    long ms = timeMillis();
    return ms - Math.floorMod(ms, 60_000L);
  }
}
