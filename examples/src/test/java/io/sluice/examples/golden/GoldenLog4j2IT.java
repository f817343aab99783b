package io.sluice.examples.golden;

import static io.sluice.examples.golden.Golden.bool;
import static io.sluice.examples.golden.Golden.bytes;
import static io.sluice.examples.golden.Golden.f64;
import static io.sluice.examples.golden.Golden.i64;
import static io.sluice.examples.golden.Golden.kv;
import static io.sluice.examples.golden.Golden.nanos;
import static io.sluice.examples.golden.Golden.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.collector.Collector;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.wire.kafka.KafkaFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.MarkerManager;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.time.MutableInstant;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.ParameterizedMessage;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.message.StructuredDataMessage;
import org.apache.logging.log4j.util.SortedArrayStringMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Golden round trip for Log4j2: the {@code Sluice} plugin configured from {@code golden-log4j2.xml} → sdk-core →
 * a real collector → an in-process Kafka broker; every record read back must be exactly the expected one (see
 * {@link Golden#assertRecord}). Events carry fixed nanosecond instants and go through the logger's
 * {@link LoggerConfig} (filters, appender control, the plugin), as a Logger does after its level check.
 */
class GoldenLog4j2IT {
  private static final Instant T0 = Instant.parse("2026-11-23T11:15:30.987654321Z");
  private static final String FQCN = LoggerConfig.class.getName();

  @TempDir
  Path dir;

  private final List<LogRecord> expected = new ArrayList<>();
  private LoggerContext context;

  @ParameterizedTest
  @EnumSource(KafkaFormat.class)
  void everyCapturedFieldArrivesInKafkaExactlyAsLogged(KafkaFormat format) throws Exception {
    EmbeddedKafka kafka = Golden.kafka();
    String topic = Golden.topic(kafka);
    Instant start = Instant.now();
    try (Collector collector = Golden.collector(kafka, topic, format)) {
      System.setProperty("golden.endpoint", "127.0.0.1:" + collector.port());
      System.setProperty("golden.spool", dir.resolve("spool").toString());
      System.setProperty("golden.environment", "golden-log4j2-env");
      context = new LoggerContext("golden-log4j2", null,
          GoldenLog4j2IT.class.getResource("/golden-log4j2.xml").toURI());
      context.start();
      Appender appender = context.getConfiguration().getAppender("SLUICE");
      assertThat(appender).as("the Sluice plugin was built").isNotNull();

      logEveryField();
      logMapMessages();
      logEachLevel();
      logFailureWithCausesAndSuppressed();
      logTwoHundredDeepCauseChain();
      logUnicodeFromAThreadOfItsOwn();
      logOneMebibyteMessage();

      await().atMost(Duration.ofSeconds(60)).until(() -> stats(appender).acknowledged() == expected.size());
      assertThat(stats(appender).dropped()).isZero();
      Instant end = Instant.now();

      List<LogRecord> actual = Golden.consume(kafka, topic, expected.size(), Duration.ofSeconds(60));
      List<KeyValue> resource = Golden.resource("golden-log4j2", "golden-log4j2-env");
      for (int i = 0; i < expected.size(); i++) {
        LogRecord want = expected.get(i).toBuilder().addAllAttributes(resource).build();
        Golden.assertRecord("record " + i, actual.get(i), want, start, end);
      }
    } finally {
      if (context != null) context.stop();
      System.clearProperty("golden.endpoint");
      System.clearProperty("golden.spool");
      System.clearProperty("golden.environment");
      ThreadContext.clearAll();
    }
  }

  /** Template with typed parameters, ThreadContext through include/exclude globs, a marker with a parent, a span. */
  private void logEveryField() {
    ThreadContext.put("request.id", "r-1");
    ThreadContext.put("user_id", "u-7");
    ThreadContext.put("request.secret_token", "s3cr3t"); // excluded by request.secret*
    ThreadContext.put("session", "not-included");
    Marker audit = MarkerManager.getMarker("GOLDEN_AUDIT").setParents(MarkerManager.getMarker("GOLDEN_SECURITY"));

    SdkTracerProvider tracing = SdkTracerProvider.builder().build();
    Span span = tracing.get("golden").spanBuilder("checkout").startSpan();
    SpanContext sc = span.getSpanContext();
    Instant t = T0;
    StackTraceElement caller;
    try (Scope ignored = span.makeCurrent()) {
      Log4jLogEvent.Builder e = event("golden.orders", Level.INFO,
          new ParameterizedMessage("order {} for {} at {}", 42, "ana", 12.5), null, t).setMarker(audit);
      caller = emit(e);
    } finally {
      span.end();
      tracing.close();
      ThreadContext.clearMap();
    }
    expected
        .add(base(t, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.orders", "order 42 for ana at 12.5", caller)
            .setMessageTemplate("order {} for {} at {}")
            .addMessageArguments(i64(42)).addMessageArguments(str("ana")).addMessageArguments(f64(12.5))
            .addAttributes(kv("request.id", str("r-1"))).addAttributes(kv("user_id", str("u-7")))
            .addMarkers("GOLDEN_AUDIT").addMarkers("GOLDEN_SECURITY")
            .setTraceId(bytes(sc.getTraceIdBytes())).setSpanId(bytes(sc.getSpanIdBytes()))
            .setFlags(sc.getTraceFlags().asByte() & 0xff) // sampled, and W3C level 2 "random trace id"
            .build());
  }

  /** MapMessage values become typed attributes; StructuredDataMessage adds its id and type. */
  private void logMapMessages() {
    MapMessage<?, ?> map = new MapMessage<>().with("amount", 12.5).with("paid", true).with("items", 3L)
        .with("customer", "ana");
    Instant t = T0.plusSeconds(1);
    StackTraceElement caller = emit(event("golden.map", Level.INFO, map, null, t));
    // The body is Log4j2's own rendering of the message (key="value" pairs); a map message has no template.
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.map", map.getFormattedMessage(), caller)
        .addAttributes(kv("amount", f64(12.5))).addAttributes(kv("paid", bool(true)))
        .addAttributes(kv("items", i64(3))).addAttributes(kv("customer", str("ana"))).build());

    StructuredDataMessage sd = new StructuredDataMessage("audit@32473", "user signed in", "Audit").with("user", "ana");
    Instant t2 = T0.plusSeconds(2);
    StackTraceElement caller2 = emit(event("golden.map", Level.INFO, sd, null, t2));
    LogRecord.Builder b = base(t2, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.map", sd.getFormattedMessage(),
        caller2).addAttributes(kv("user", str("ana")))
        .addAttributes(kv("structured_data.id", str("audit@32473")))
        .addAttributes(kv("structured_data.type", str("Audit")));
    expected.add(b.build());
  }

  /** FATAL … TRACE map to 21, 17, 13, 9, 5, 1; a custom level between INFO and WARN lands inside INFO's band. */
  private void logEachLevel() {
    Level[] levels = {Level.FATAL, Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG, Level.TRACE,
        Level.forName("GOLDEN_NOTICE", 350)};
    SeverityNumber[] numbers = {SeverityNumber.SEVERITY_NUMBER_FATAL, SeverityNumber.SEVERITY_NUMBER_ERROR,
        SeverityNumber.SEVERITY_NUMBER_WARN, SeverityNumber.SEVERITY_NUMBER_INFO, SeverityNumber.SEVERITY_NUMBER_DEBUG,
        SeverityNumber.SEVERITY_NUMBER_TRACE, SeverityNumber.SEVERITY_NUMBER_INFO3};
    for (int i = 0; i < levels.length; i++) {
      Instant t = T0.plusSeconds(3 + i).plusNanos(i);
      String message = "at " + levels[i].name();
      StackTraceElement caller = emit(event("golden.levels", levels[i], new SimpleMessage(message), null, t));
      expected.add(base(t, numbers[i], levels[i].name(), "golden.levels", message, caller).build());
    }
  }

  private void logFailureWithCausesAndSuppressed() {
    IllegalStateException failure = Golden.failure();
    Instant t = T0.plusSeconds(10);
    StackTraceElement caller = emit(event("golden.payments", Level.ERROR,
        new ParameterizedMessage("charge {} failed", "c-9"), failure, t));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "golden.payments", "charge c-9 failed", caller)
        .setMessageTemplate("charge {} failed").addMessageArguments(str("c-9"))
        .setException(Golden.expectedFailure(failure)).build());
  }

  private void logTwoHundredDeepCauseChain() {
    Throwable chain = Golden.deepChain(200);
    Instant t = T0.plusSeconds(11);
    StackTraceElement caller = emit(event("golden.deep", Level.ERROR, new SimpleMessage("deep"), chain, t));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "golden.deep", "deep", caller)
        .setException(Golden.expectedDeepChain(chain, 200)).build());
  }

  private void logUnicodeFromAThreadOfItsOwn() throws InterruptedException {
    Instant t = T0.plusSeconds(12).plusNanos(1);
    AtomicReference<StackTraceElement> caller = new AtomicReference<>();
    Thread worker = new Thread(() -> caller.set(emit(event("golden.ünicode.日本", Level.WARN,
        new ParameterizedMessage(Golden.UNICODE + " {}", "ü→∞"), null, t))), "wörker-🧵-2");
    worker.start();
    worker.join();
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_WARN, "WARN", "golden.ünicode.日本", Golden.UNICODE + " ü→∞",
        caller.get()).setThreadName("wörker-🧵-2").setThreadId(worker.getId())
        .setMessageTemplate(Golden.UNICODE + " {}").addMessageArguments(str("ü→∞")).build());
  }

  private void logOneMebibyteMessage() {
    String big = Golden.text(1 << 20);
    Instant t = T0.plusSeconds(13);
    StackTraceElement caller = emit(event("golden.big", Level.INFO, new SimpleMessage(big), null, t));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.big", big, caller).build());
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** An event as a Logger creates it: ThreadContext copied, thread and location left to the event itself. */
  private static Log4jLogEvent.Builder event(String logger, Level level, Message message, Throwable thrown,
      Instant at) {
    MutableInstant instant = new MutableInstant();
    instant.initFromEpochSecond(at.getEpochSecond(), at.getNano());
    return Log4jLogEvent.newBuilder().setLoggerName(logger).setLoggerFqcn(FQCN).setLevel(level).setMessage(message)
        .setThrown(thrown).setInstant(instant).setIncludeLocation(true)
        .setContextData(new SortedArrayStringMap(ThreadContext.getImmutableContext()));
  }

  /** Hands the event to its LoggerConfig; returns this line, which Log4j2 reports as the caller. */
  private StackTraceElement emit(Log4jLogEvent.Builder b) {
    Log4jLogEvent e = b.build();
    LoggerConfig config = context.getConfiguration().getLoggerConfig(e.getLoggerName());
    // spotless:off -- one line: the caller Log4j2 reports must be the line of `here`
    StackTraceElement here = new Throwable().getStackTrace()[0]; config.log(e); return here;
    // spotless:on
  }

  /** What every record of this test has: time, level, logger, body, the logging thread, caller data. */
  private static LogRecord.Builder base(Instant t, SeverityNumber severity, String level, String logger, String body,
      StackTraceElement caller) {
    return LogRecord.newBuilder().setTimeUnixNano(nanos(t)).setSeverityNumber(severity).setSeverityText(level)
        .setBody(str(body)).setLogger(logger)
        .setThreadName(Thread.currentThread().getName()).setThreadId(Thread.currentThread().getId())
        .addAttributes(kv("code.filepath", str(caller.getFileName())))
        .addAttributes(kv("code.lineno", i64(caller.getLineNumber())))
        .addAttributes(kv("code.namespace", str(caller.getClassName())))
        .addAttributes(kv("code.function", str(caller.getMethodName())));
  }

  private static PipelineStats stats(Appender appender) {
    return ((io.sluice.log4j2.SluiceAppender) appender).stats();
  }
}
