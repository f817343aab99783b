package io.sluice.backend.common;

import java.io.Serializable;

/**
 * An alert a rule fired. {@link #id()} is deterministic (rule, subject, window), so a replayed pipeline or two
 * evaluators produce the same id and a notifier can send each alert once.
 *
 * @param ruleId the rule's id in the rules database
 * @param kind e.g. {@code error_rate} or {@code new_fingerprint}
 * @param tenant the tenant the subject belongs to
 * @param service the service concerned
 * @param subject what fired: the fingerprint for {@code new_fingerprint}, the service for {@code error_rate}
 * @param windowEndMillis the end of the evaluated window (or the first-seen time)
 * @param value the observed value (e.g. the error rate), and {@code threshold} the rule's limit
 * @param text a one-line human summary
 */
public record Alert(
    String ruleId,
    String kind,
    String tenant,
    String service,
    String subject,
    long windowEndMillis,
    double value,
    double threshold,
    String text)
  implements Serializable {

  public String id() {
    return ruleId + "|" + tenant + "|" + service + "|" + subject + "|" + windowEndMillis;
  }
}
