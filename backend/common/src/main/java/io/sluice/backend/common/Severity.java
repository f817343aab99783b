package io.sluice.backend.common;

/** The six OpenTelemetry severity ranges the backend aggregates by; finer numbers (INFO2...) fold into their range. */
public enum Severity {
  UNSPECIFIED, TRACE, DEBUG, INFO, WARN, ERROR, FATAL;

  /** The range of an OpenTelemetry severity number (1-4 TRACE ... 21-24 FATAL; anything else UNSPECIFIED). */
  public static Severity ofNumber(int number) {
    if (number < 1 || number > 24) {
      return UNSPECIFIED;
    }
    return values()[1 + (number - 1) / 4];
  }

  /** ERROR and FATAL: what error rates and fingerprints count. */
  public boolean isError() {
    return this == ERROR || this == FATAL;
  }
}
