package io.sluice.backend.common;

import java.io.Serializable;

/**
 * One occurrence summary of an error shape (see {@link Fingerprints}) for a tenant's service: when it was first
 * seen and one example, plus how many occurrences this summary covers.
 */
public record ErrorFingerprint(
    String tenant,
    String service,
    String fingerprint,
    String exceptionType,
    String topFrame,
    String template,
    String exampleMessage,
    long firstSeenMillis,
    long count)
  implements Serializable {

  public static ErrorFingerprint of(LogEvent e) {
    return new ErrorFingerprint(
        e.tenant(),
        e.service(),
        e.fingerprint(),
        e.exceptionType(),
        e.topFrame(),
        e.messageTemplate().isEmpty() ? Fingerprints.mask(e.body()) : e.messageTemplate(),
        e.body(),
        e.timeMillis(),
        1);
  }
}
