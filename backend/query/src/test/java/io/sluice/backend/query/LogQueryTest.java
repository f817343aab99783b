package io.sluice.backend.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.backend.common.Severity;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LogQueryTest {
  @Test
  void parsesEveryFilter() throws Exception {
    LogQuery q = LogQuery.parse("acme", LogQuery.queryString("q=timed+out&service=checkout&severity=warn,ERROR"
        + "&from=2026-01-01T00:00:00Z&to=1767225660000&traceId=4BF92F3577B34DA6A3CE929D0E0E4736&limit=7"), 100);
    assertThat(q.text()).isEqualTo("timed out");
    assertThat(q.severities()).containsExactlyInAnyOrder(Severity.WARN, Severity.ERROR);
    assertThat(q.fromMillis()).isEqualTo(1767225600000L);
    assertThat(q.toMillis()).isEqualTo(1767225660000L);
    assertThat(q.traceId()).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(q.limit()).isEqualTo(7);
    assertThat(q.tenant()).isEqualTo("acme");
  }

  @Test
  void badValuesNameTheParameter() {
    Map<String, String> cases = Map.of("limit=0", "limit", "limit=501", "limit", "limit=x", "limit",
        "severity=LOUD", "severity", "from=yesterday", "from", "from=10&to=10", "to", "traceId=abc", "traceId",
        "cursor=a%20b", "cursor", "q=%ZZ", "q", "limit=1&limit=2", "limit");
    cases.forEach((query, param) -> {
      HttpError e = catchThrowableOfType(HttpError.class,
          () -> LogQuery.parse("t", LogQuery.queryString(query), 500));
      assertThat(e).as(query).isNotNull();
      assertThat(e.status).isEqualTo(400);
      assertThat(e.parameter).as(query).isEqualTo(param);
    });
  }

  @Test
  void unknownParametersAreRefusedByName() {
    HttpError e = catchThrowableOfType(HttpError.class,
        () -> LogQuery.onlyKnown(LogQuery.queryString("q=a&colour=red"), Set.of("q")));
    assertThat(e.parameter).isEqualTo("colour");
  }

  @Test
  void histogramIntervalsStayWithinTheBucketCap() throws Exception {
    assertThat(QueryServer.interval(null, 3_600_000L)).isEqualTo(60_000L);
    assertThat(QueryServer.interval(null, 900_000L)).isEqualTo(30_000L);
    assertThat(QueryServer.interval(null, 3_650L * 86_400_000L) * QueryServer.MAX_BUCKETS)
        .isGreaterThanOrEqualTo(3_650L * 86_400_000L);
    assertThat(catchThrowableOfType(HttpError.class, () -> QueryServer.interval("1000", 3_600_000L)).parameter)
        .isEqualTo("interval");
  }
}
