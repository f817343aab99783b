package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.TraceContext;
import io.sluice.sdk.record.Values;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.MarkerManager;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.message.StringMapMessage;
import org.apache.logging.log4j.message.StructuredDataMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real events from a real LoggerContext (sluice-mapping.xml), mapped by the appender, kept in a list. */
class Log4j2EventMapperTest {
  @TempDir
  static Path spool;
  private static LoggerContext context;
  private static SluiceAppender appender;
  // Parsed only when a test reads them: the bytes must outlive Log4j2's reuse of the event and message.
  private final List<CapturedEvent> encoded = new CopyOnWriteArrayList<>();
  private Logger log;

  @BeforeAll
  static void startContext() {
    System.setProperty("sluice.test.spool", spool.toString());
    context = Log4j2Testing.start("sluice-mapping.xml");
    appender = Log4j2Testing.sluice(context);
  }

  @AfterAll
  static void stopContext() {
    context.stop();
    System.clearProperty("sluice.test.spool");
  }

  @BeforeEach
  void recordIntoList() {
    appender.redirect(encoded::add);
    log = context.getLogger("app.Checkout");
    ThreadContext.clearAll();
  }

  @AfterEach
  void clearThreadContext() {
    ThreadContext.clearAll();
  }

  private LogRecord only() {
    assertThat(records()).hasSize(1);
    return records().get(0);
  }

  private List<LogRecord> records() {
    List<LogRecord> out = new java.util.ArrayList<>();
    for (CapturedEvent r : encoded) {
      try {
        out.add(r.parse());
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new AssertionError(e);
      }
    }
    return out;
  }

  private static Map<String, AnyValue> attributes(LogRecord r) {
    Map<String, AnyValue> map = new LinkedHashMap<>();
    for (KeyValue kv : r.getAttributesList()) map.put(kv.getKey(), kv.getValue());
    return map;
  }

  private static long nanos(Instant i) {
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  @Test
  void mapsParameterizedUnicodeMessageWithTemplateArgumentsLevelLoggerThreadAndTimes() {
    long before = nanos(Instant.now());
    log.info("Grüße {} — {} ✓ {}", "世界", 42, 2.5);
    long after = nanos(Instant.now());

    LogRecord r = only();
    long mapped = nanos(Instant.now()); // the record is encoded (and observed) in only(), as on the batcher
    assertThat(r.getBody().getStringValue()).isEqualTo("Grüße 世界 — 42 ✓ 2.5");
    assertThat(r.getMessageTemplate()).isEqualTo("Grüße {} — {} ✓ {}");
    assertThat(r.getMessageArgumentsList()).containsExactly(Values.of("世界"), Values.of((Object) 42),
        Values.of((Object) 2.5));
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
    assertThat(r.getSeverityText()).isEqualTo("INFO");
    assertThat(r.getLogger()).isEqualTo("app.Checkout");
    assertThat(r.getThreadName()).isEqualTo(Thread.currentThread().getName());
    assertThat(r.getThreadId()).isEqualTo(Thread.currentThread().getId());
    // Log4j2's clock may have only millisecond precision; the bounds allow for the truncation.
    assertThat(r.getTimeUnixNano()).isBetween(before - 1_000_000, after);
    assertThat(r.getObservedTimeUnixNano()).isBetween(r.getTimeUnixNano(), mapped);
    assertThat(r.hasException()).isFalse();
    assertThat(r.getTraceId().isEmpty()).isTrue();
  }

  @Test
  void reusedEventsAndMessagesYieldIndependentRecords() {
    for (int i = 0; i < 3; i++) log.info("event {}", i);

    assertThat(records()).extracting(r -> r.getBody().getStringValue()).containsExactly("event 0", "event 1",
        "event 2");
    assertThat(records()).extracting(r -> r.getMessageArguments(0).getIntValue()).containsExactly(0L, 1L, 2L);
  }

  @Test
  void keepsThreadContextEntriesThatPassTheIncludeAndExcludeGlobs() {
    ThreadContext.put("req.id", "r-1");
    ThreadContext.put("req.secretToken", "hidden");
    ThreadContext.put("user", "ünïcødé");
    ThreadContext.put("other", "dropped");

    log.warn("with context");

    Map<String, AnyValue> attributes = attributes(only());
    assertThat(attributes).containsEntry("req.id", Values.of("r-1")).containsEntry("user", Values.of("ünïcødé"))
        .doesNotContainKeys("req.secretToken", "other");
  }

  @Test
  void mapsMapMessageFieldsAsTypedAttributes() {
    MapMessage<?, Object> message = new MapMessage<>();
    message.with("order", "o-17").with("amount", 1250L).with("paid", true);

    log.info(message);

    LogRecord r = only();
    assertThat(attributes(r)).containsEntry("order", Values.of("o-17"))
        .containsEntry("amount", Values.of((Object) 1250L))
        .containsEntry("paid", Values.of((Object) true));
    assertThat(r.getMessageArgumentsList()).isEmpty();
    assertThat(r.getBody().getStringValue()).contains("order=\"o-17\"");
  }

  @Test
  void sendsNoTemplateWhenTheMessageHasNoArguments() {
    log.info("plain text {} stays the body");

    LogRecord r = only();
    assertThat(r.getBody().getStringValue()).isEqualTo("plain text {} stays the body");
    assertThat(r.getMessageTemplate()).isEmpty();
    assertThat(r.getMessageArgumentsList()).isEmpty();
  }

  @Test
  void mapsStructuredDataMessageFieldsIdAndType() {
    StructuredDataMessage message = new StructuredDataMessage("audit@32473", "user logged in", "Login");
    message.with("user", "ada");

    log.info(message);

    LogRecord r = only();
    assertThat(attributes(r)).containsEntry("user", Values.of("ada"))
        .containsEntry(Log4j2EventMapper.SD_ID, Values.of("audit@32473"))
        .containsEntry(Log4j2EventMapper.SD_TYPE, Values.of("Login"));
    assertThat(r.getMessageTemplate()).isEmpty(); // a map message's values are attributes, not arguments
    assertThat(r.getMessageArgumentsList()).isEmpty();
  }

  @Test
  void stringMapMessageIsAlsoMappedAsAttributes() {
    log.info(new StringMapMessage().with("k", "v"));

    assertThat(attributes(only())).containsEntry("k", Values.of("v"));
  }

  @Test
  void mapsMarkerWithItsParentsDepthFirstEachOnce() {
    Marker root = MarkerManager.getMarker("MAPPER_TEST_ROOT");
    Marker audit = MarkerManager.getMarker("MAPPER_TEST_AUDIT").setParents(root);
    Marker security = MarkerManager.getMarker("MAPPER_TEST_SECURITY").setParents(root);
    Marker login = MarkerManager.getMarker("MAPPER_TEST_LOGIN").setParents(audit, security);

    log.info(login, "marked");

    assertThat(only().getMarkersList()).containsExactly("MAPPER_TEST_LOGIN", "MAPPER_TEST_AUDIT", "MAPPER_TEST_ROOT",
        "MAPPER_TEST_SECURITY");
  }

  @Test
  void mapsExceptionWithCausesSuppressedAndTheConfiguredLimits() {
    IOException cause = new IOException("disk gone");
    IllegalStateException top = new IllegalStateException("could not save", cause);
    top.addSuppressed(new IllegalArgumentException("while closing"));

    log.error("save failed for {}", "o-17", top);

    LogRecord r = only();
    assertThat(r.getBody().getStringValue()).isEqualTo("save failed for o-17");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    ExceptionInfo e = r.getException();
    assertThat(e.getType()).isEqualTo(IllegalStateException.class.getName());
    assertThat(e.getMessage()).isEqualTo("could not save");
    assertThat(e.getFramesCount()).isEqualTo(4); // maxFrames="4"
    assertThat(e.getFrames(0).getClassName()).isEqualTo(getClass().getName());
    assertThat(e.getFramesOmitted()).isEqualTo(top.getStackTrace().length - 4);
    assertThat(e.getSuppressedList()).extracting(ExceptionInfo::getMessage).containsExactly("while closing");
    assertThat(e.getCausesList()).extracting(ExceptionInfo::getType, ExceptionInfo::getMessage)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(IOException.class.getName(), "disk gone"));
    assertThat(e.hasCause()).isFalse();
  }

  @Test
  void cutsTheCauseChainAtMaxExceptionDepth() {
    Throwable chain = new RuntimeException("level 0");
    for (int i = 1; i < 10; i++) chain = new RuntimeException("level " + i, chain);

    log.error("deep", chain);

    ExceptionInfo e = only().getException();
    assertThat(e.getCausesList()).extracting(ExceptionInfo::getMessage) // maxExceptionDepth="3"
        .containsExactly("level 8", "level 7");
    assertThat(e.getCauses(1).getTruncated()).isTrue();
  }

  @Test
  void takesTraceContextFromTheCurrentOpenTelemetrySpan() {
    try (SdkTracerProvider tracing = SdkTracerProvider.builder().build()) {
      Span span = tracing.get("test").spanBuilder("checkout").startSpan();
      ThreadContext.put("trace_id", "0af7651916cd43dd8448eb211c80319c"); // the span wins over the fallback
      try (Scope ignored = span.makeCurrent()) {
        log.info("in a span");
      } finally {
        span.end();
      }

      LogRecord r = only();
      assertThat(r.getTraceId().toByteArray()).isEqualTo(span.getSpanContext().getTraceIdBytes());
      assertThat(r.getSpanId().toByteArray()).isEqualTo(span.getSpanContext().getSpanIdBytes());
      assertThat(r.getFlags()).isEqualTo(span.getSpanContext().getTraceFlags().asByte() & 0xff);
      assertThat(r.getFlags() & 1).as("sampled").isEqualTo(1);
    }
  }

  @Test
  void fallsBackToThreadContextTraceIdsOutsideASpan() {
    ThreadContext.put("trace_id", "0af7651916cd43dd8448eb211c80319c");
    ThreadContext.put("span_id", "b7ad6b7169203331");
    ThreadContext.put("trace_flags", "01");

    log.info("no span");

    LogRecord r = only();
    assertThat(r.getTraceId().toByteArray()).isEqualTo(
        TraceContext.hexToBytes("0af7651916cd43dd8448eb211c80319c", 16));
    assertThat(r.getSpanId().toByteArray()).isEqualTo(TraceContext.hexToBytes("b7ad6b7169203331", 8));
    assertThat(r.getFlags()).isEqualTo(1);
  }

  @Test
  void ignoresMalformedThreadContextTraceIds() {
    ThreadContext.put("trace_id", "00000000000000000000000000000000");
    ThreadContext.put("span_id", "not-hex!");

    log.info("bad ids");

    assertThat(only().getTraceId().isEmpty()).isTrue();
  }

  @Test
  void addsCallerDataWhenEnabled() {
    log.info("where am I");

    Map<String, AnyValue> attributes = attributes(only());
    assertThat(attributes).containsEntry("code.namespace", Values.of(getClass().getName()))
        .containsEntry("code.function", Values.of("addsCallerDataWhenEnabled"))
        .containsEntry("code.filepath", Values.of("Log4j2EventMapperTest.java"));
    assertThat(attributes.get("code.lineno").getIntValue()).isPositive();
  }

  @Test
  void mapsCustomLevelsByIntLevel() {
    log.log(Level.forName("NOTICE", 350), "custom");

    LogRecord r = only();
    assertThat(r.getSeverityText()).isEqualTo("NOTICE");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO3);
  }

  @Test
  void severityBandsFollowTheStandardLevels() {
    assertThat(Log4j2EventMapper.severity(Level.FATAL.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_FATAL);
    assertThat(Log4j2EventMapper.severity(Level.ERROR.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(Log4j2EventMapper.severity(Level.WARN.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(Log4j2EventMapper.severity(Level.INFO.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
    assertThat(Log4j2EventMapper.severity(Level.DEBUG.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_DEBUG);
    assertThat(Log4j2EventMapper.severity(Level.TRACE.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_TRACE);
    assertThat(Log4j2EventMapper.severity(Level.ALL.intLevel())).isEqualTo(SeverityNumber.SEVERITY_NUMBER_TRACE);
    assertThat(Log4j2EventMapper.severity(101)).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR4);
    assertThat(Log4j2EventMapper.severity(150)).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR3);
    assertThat(Log4j2EventMapper.severity(550)).isEqualTo(SeverityNumber.SEVERITY_NUMBER_TRACE3);
    assertThat(Log4j2EventMapper.severity(0)).isEqualTo(SeverityNumber.SEVERITY_NUMBER_FATAL4);
  }
}
