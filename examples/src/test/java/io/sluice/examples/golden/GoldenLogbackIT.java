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

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.joran.spi.JoranException;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.collector.Collector;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.logback.SluiceAppender;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.wire.kafka.KafkaFormat;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.Marker;
import org.slf4j.MarkerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Golden round trip for Logback: a fixed set of events, each covering some of the captured fields, goes through a
 * Logback context configured from {@code golden-logback.xml} → SluiceAppender → sdk-core (queue, zstd, RocksDB
 * spool, gRPC) → a real collector → an in-process Kafka broker; read back from Kafka, every record must be exactly
 * the expected one (see {@link Golden#assertRecord}). Events carry fixed nanosecond instants
 * ({@code LoggingEvent.setInstant}) and are handed to the logger's appenders ({@code callAppenders}), as Logback
 * itself does after its level check.
 */
class GoldenLogbackIT {
  private static final Instant T0 = Instant.parse("2026-11-23T10:15:30.123456789Z");
  private static final String FQCN = Logger.class.getName();

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
    System.setProperty("golden.environment", "golden-logback-env");
    try (Collector collector = Golden.collector(kafka, topic, format)) {
      context = configure("127.0.0.1:" + collector.port());
      SluiceAppender appender = (SluiceAppender) context.getLogger("golden").getAppender("SLUICE");
      assertThat(appender).as("status: %s", context.getStatusManager().getCopyOfStatusList()).isNotNull();
      assertThat(appender.isStarted()).isTrue();

      logEveryField();
      logEachLevel();
      logFailureWithCausesAndSuppressed();
      logTwoHundredDeepCauseChain();
      logUnicodeFromAThreadOfItsOwn();
      logOneMebibyteMessage();

      await().atMost(Duration.ofSeconds(60)).until(() -> appender.stats().acknowledged() == expected.size());
      assertThat(appender.stats().dropped()).isZero();
      Instant end = Instant.now();

      List<LogRecord> actual = Golden.consume(kafka, topic, expected.size(), Duration.ofSeconds(60));
      List<KeyValue> resource = Golden.resource("golden-logback", "golden-logback-env");
      for (int i = 0; i < expected.size(); i++) {
        LogRecord want = expected.get(i).toBuilder().addAllAttributes(resource).build();
        Golden.assertRecord("record " + i, actual.get(i), want, start, end);
      }
    } finally {
      if (context != null) context.stop();
      System.clearProperty("golden.environment");
    }
  }

  /** Template with typed arguments, MDC through include/exclude globs, key-values, markers, a real span. */
  private void logEveryField() {
    Logger logger = context.getLogger("golden.orders");
    context.getMDCAdapter().put("request.id", "r-1");
    context.getMDCAdapter().put("user_id", "u-7");
    context.getMDCAdapter().put("request.secret_token", "s3cr3t"); // excluded by request.secret*
    context.getMDCAdapter().put("session", "not-included");
    Marker audit = MarkerFactory.getDetachedMarker("AUDIT");
    audit.add(MarkerFactory.getDetachedMarker("SECURITY"));

    SdkTracerProvider tracing = SdkTracerProvider.builder().build();
    Span span = tracing.get("golden").spanBuilder("checkout").startSpan();
    SpanContext sc = span.getSpanContext();
    Instant t = T0;
    LoggingEvent e = event(logger, Level.INFO, "order {} for {} at {}", null, t, 42, "ana", 12.5);
    e.addKeyValuePair(new KeyValuePair("amount", 12.5));
    e.addKeyValuePair(new KeyValuePair("paid", true));
    e.addKeyValuePair(new KeyValuePair("items", 3L));
    e.addKeyValuePair(new KeyValuePair("customer", "ana"));
    e.addMarker(audit);
    StackTraceElement caller;
    try (Scope ignored = span.makeCurrent()) {
      caller = emit(logger, e);
    } finally {
      span.end();
      tracing.close();
      context.getMDCAdapter().clear();
    }
    expected
        .add(base(t, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.orders", "order 42 for ana at 12.5", caller)
            .setMessageTemplate("order {} for {} at {}")
            .addMessageArguments(i64(42)).addMessageArguments(str("ana")).addMessageArguments(f64(12.5))
            .addAttributes(kv("request.id", str("r-1"))).addAttributes(kv("user_id", str("u-7")))
            .addAttributes(kv("amount", f64(12.5))).addAttributes(kv("paid", bool(true)))
            .addAttributes(kv("items", i64(3))).addAttributes(kv("customer", str("ana")))
            .addMarkers("AUDIT").addMarkers("SECURITY")
            .setTraceId(bytes(sc.getTraceIdBytes())).setSpanId(bytes(sc.getSpanIdBytes()))
            .setFlags(sc.getTraceFlags().asByte() & 0xff) // sampled, and W3C level 2 "random trace id"
            .build());
  }

  /** TRACE … ERROR map to 1, 5, 9, 13, 17; a message without arguments is its own template. */
  private void logEachLevel() {
    Logger logger = context.getLogger("golden.levels");
    Level[] levels = {Level.TRACE, Level.DEBUG, Level.INFO, Level.WARN, Level.ERROR};
    SeverityNumber[] numbers = {SeverityNumber.SEVERITY_NUMBER_TRACE, SeverityNumber.SEVERITY_NUMBER_DEBUG,
        SeverityNumber.SEVERITY_NUMBER_INFO, SeverityNumber.SEVERITY_NUMBER_WARN, SeverityNumber.SEVERITY_NUMBER_ERROR};
    for (int i = 0; i < levels.length; i++) {
      Instant t = T0.plusSeconds(1 + i).plusNanos(i);
      String message = "at " + levels[i];
      StackTraceElement caller = emit(logger, event(logger, levels[i], message, null, t));
      expected.add(base(t, numbers[i], levels[i].levelStr, "golden.levels", message, caller).build());
    }
  }

  private void logFailureWithCausesAndSuppressed() {
    Logger logger = context.getLogger("golden.payments");
    IllegalStateException failure = Golden.failure();
    Instant t = T0.plusSeconds(10);
    StackTraceElement caller = emit(logger, event(logger, Level.ERROR, "charge {} failed", failure, t, "c-9"));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "golden.payments", "charge c-9 failed", caller)
        .setMessageTemplate("charge {} failed").addMessageArguments(str("c-9"))
        .setException(Golden.expectedFailure(failure)).build());
  }

  private void logTwoHundredDeepCauseChain() {
    Logger logger = context.getLogger("golden.deep");
    Throwable chain = Golden.deepChain(200);
    Instant t = T0.plusSeconds(11);
    StackTraceElement caller = emit(logger, event(logger, Level.ERROR, "deep", chain, t));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_ERROR, "ERROR", "golden.deep", "deep", caller)
        .setException(Golden.expectedDeepChain(chain, 200)).build());
  }

  private void logUnicodeFromAThreadOfItsOwn() throws InterruptedException {
    Logger logger = context.getLogger("golden.ünicode.日本");
    Instant t = T0.plusSeconds(12).plusNanos(1);
    AtomicReference<StackTraceElement> caller = new AtomicReference<>();
    Thread worker = new Thread(() -> caller.set(emit(logger,
        event(logger, Level.WARN, Golden.UNICODE + " {}", null, t, "ü→∞"))), "wörker-🧵-1");
    worker.start();
    worker.join();
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_WARN, "WARN", "golden.ünicode.日本", Golden.UNICODE + " ü→∞",
        caller.get()).setThreadName("wörker-🧵-1").setThreadId(worker.getId())
        .setMessageTemplate(Golden.UNICODE + " {}").addMessageArguments(str("ü→∞")).build());
  }

  private void logOneMebibyteMessage() {
    Logger logger = context.getLogger("golden.big");
    String big = Golden.text(1 << 20);
    Instant t = T0.plusSeconds(13);
    StackTraceElement caller = emit(logger, event(logger, Level.INFO, big, null, t));
    expected.add(base(t, SeverityNumber.SEVERITY_NUMBER_INFO, "INFO", "golden.big", big, caller).build());
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private LoggerContext configure(String endpoint) throws JoranException {
    LoggerContext c = new LoggerContext();
    c.setName("golden-logback");
    c.setMDCAdapter(new LogbackMDCAdapter());
    c.putProperty("golden.endpoint", endpoint);
    c.putProperty("golden.spool", dir.resolve("spool").toString());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(c);
    configurator.doConfigure(GoldenLogbackIT.class.getResource("/golden-logback.xml"));
    return c;
  }

  private static LoggingEvent event(Logger logger, Level level, String template, Throwable thrown, Instant at,
      Object... args) {
    LoggingEvent e = new LoggingEvent(FQCN, logger, level, template, thrown, args.length == 0 ? null : args);
    e.setInstant(at);
    return e;
  }

  /** Hands the event to the logger's appenders; returns this line, which Logback reports as the caller. */
  private static StackTraceElement emit(Logger logger, LoggingEvent e) {
    // spotless:off -- one line: the caller Logback reports must be the line of `here`
    StackTraceElement here = new Throwable().getStackTrace()[0]; logger.callAppenders(e); return here;
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
}
