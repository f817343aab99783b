package io.sluice.sdk.testkit;

import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Values;

/** Record generators for tests and benchmarks. */
public final class Records {
  private Records() {}

  /** A record whose body is {@code "line-" + n} (padded to {@code bodyBytes} when larger). */
  public static LogRecord numbered(long n, int bodyBytes) {
    StringBuilder body = new StringBuilder("line-").append(n);
    if (body.length() < bodyBytes) {
      body.append(' ');
      while (body.length() < bodyBytes) body.append((char) ('a' + body.length() % 26));
    }
    return LogRecord.newBuilder()
        .setTimeUnixNano(1_700_000_000_000_000_000L + n)
        .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
        .setSeverityText("INFO")
        .setBody(Values.of(body.toString()))
        .setLogger("test.Numbered")
        .setThreadName("main")
        .build();
  }

  public static LogRecord numbered(long n) {
    return numbered(n, 0);
  }

  /** The number in a {@link #numbered} record's body. */
  public static long numberOf(LogRecord r) {
    String body = r.getBody().getStringValue();
    int space = body.indexOf(' ');
    return Long.parseLong(body.substring(5, space < 0 ? body.length() : space));
  }
}
