package io.sluice.sdk.record;

import io.sluice.proto.v1.SeverityNumber;

/** Maps framework levels onto the OpenTelemetry severity numbers. */
public final class Severities {
  private Severities() {}

  public static SeverityNumber trace() { return SeverityNumber.SEVERITY_NUMBER_TRACE; }
  public static SeverityNumber debug() { return SeverityNumber.SEVERITY_NUMBER_DEBUG; }
  public static SeverityNumber info() { return SeverityNumber.SEVERITY_NUMBER_INFO; }
  public static SeverityNumber warn() { return SeverityNumber.SEVERITY_NUMBER_WARN; }
  public static SeverityNumber error() { return SeverityNumber.SEVERITY_NUMBER_ERROR; }
  public static SeverityNumber fatal() { return SeverityNumber.SEVERITY_NUMBER_FATAL; }

  /** By level name (TRACE, DEBUG, INFO, WARN/WARNING, ERROR, FATAL, case-insensitive); UNSPECIFIED otherwise. */
  public static SeverityNumber byName(String level) {
    if (level == null) return SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    return switch (level.toUpperCase(java.util.Locale.ROOT)) {
      case "TRACE", "FINEST", "FINER" -> trace();
      case "DEBUG", "FINE", "CONFIG" -> debug();
      case "INFO" -> info();
      case "WARN", "WARNING" -> warn();
      case "ERROR", "SEVERE" -> error();
      case "FATAL", "CRITICAL" -> fatal();
      default -> SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED;
    };
  }
}
