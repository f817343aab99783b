package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.record.TraceContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behind Log4j2's AsyncAppender the event is mapped on another thread than the one that logged it. */
class SluiceAppenderAsyncTest {
  @TempDir
  Path spool;
  private LoggerContext context;

  @AfterEach
  void stopContext() {
    if (context != null) context.stop();
    ThreadContext.clearAll();
    System.clearProperty("sluice.test.spool");
  }

  @Test
  void offTheLoggingThreadKeepsTheEventsThreadAndUsesOnlyTheThreadContextTraceIds() {
    System.setProperty("sluice.test.spool", spool.toString());
    context = Log4j2Testing.start("sluice-async.xml");
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Log4j2Testing.sluice(context).redirect(r -> records.add(r.build()));
    ThreadContext.put("trace_id", "0af7651916cd43dd8448eb211c80319c");
    ThreadContext.put("span_id", "b7ad6b7169203331");

    try (SdkTracerProvider tracing = SdkTracerProvider.builder().build()) {
      Span span = tracing.get("test").spanBuilder("checkout").startSpan();
      try (Scope ignored = span.makeCurrent()) {
        context.getLogger("app.Async").info("queued {}", "event");
      } finally {
        span.end();
      }
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> records.size() == 1);
    LogRecord r = records.get(0);
    assertThat(r.getBody().getStringValue()).isEqualTo("queued event");
    assertThat(r.getThreadName()).isEqualTo(Thread.currentThread().getName());
    assertThat(r.getThreadId()).isEqualTo(Thread.currentThread().getId());
    assertThat(r.getTraceId().toByteArray())
        .isEqualTo(TraceContext.hexToBytes("0af7651916cd43dd8448eb211c80319c", 16));
    assertThat(r.getSpanId().toByteArray()).isEqualTo(TraceContext.hexToBytes("b7ad6b7169203331", 8));
  }
}
