package io.sluice.backend.common;

import java.io.Serializable;

/**
 * A rule the alerting stage evaluates (stored in the rules database; see the alerts module).
 *
 * @param id stable id, part of every {@link Alert#id()} it fires
 * @param kind {@link #ERROR_RATE} or {@link #NEW_FINGERPRINT}
 * @param tenant the tenant it applies to, {@code "*"} for all
 * @param service the service it applies to, {@code "*"} for all
 * @param windowSeconds error-rate window length (sliding; ignored for new fingerprints)
 * @param threshold error-rate limit as a fraction of all records in the window, 0..1 (ignored for new fingerprints)
 * @param minRecords no error-rate alert for windows with fewer records than this (avoids 1-of-1 = 100 %)
 */
public record AlertRule(
    String id, String kind, String tenant, String service, long windowSeconds, double threshold, long minRecords)
  implements Serializable {
  public static final String ERROR_RATE = "error_rate";
  public static final String NEW_FINGERPRINT = "new_fingerprint";

  public boolean appliesTo(String tenant, String service) {
    return ("*".equals(this.tenant) || this.tenant.equals(tenant))
        && ("*".equals(this.service) || this.service.equals(service));
  }
}
