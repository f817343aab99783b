package io.sluice.backend.common;

import java.io.Serializable;

/**
 * How many records (and encoded bytes) one tenant's service logged at one severity in one UTC minute, after
 * de-duplication. The unit every count-based output (Cassandra table, reports, alerts) is built from.
 */
public record MinuteAggregate(
    String tenant, String service, Severity severity, long minuteStartMillis, long count, long bytes)
  implements Serializable {}
