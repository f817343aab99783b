package io.sluice.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.LoggingEventVO;
import com.google.protobuf.ByteString;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Exceptions;
import io.sluice.sdk.record.KeyGlobs;
import io.sluice.sdk.record.Values;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import org.slf4j.Marker;
import org.slf4j.helpers.BasicMarkerFactory;

class LogbackEventMapperTest {
  private static final Instant NOW = Instant.ofEpochSecond(1_800_000_000L, 987_654_321);
  private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  private LoggerContext context;
  private RecordingAppender recorder;
  private Logger logger;

  @BeforeEach
  void configureLogback() {
    context = LogbackTesting.configure("mapper-logback.xml", Map.of());
    recorder = (RecordingAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("RECORD");
    recorder.mapper = mapper(false, "", "", 64, 256);
    logger = context.getLogger("com.example.Checkout");
  }

  @AfterEach
  void stopLogback() {
    MDC.clear();
    context.stop();
  }

  private static LogbackEventMapper mapper(boolean callerData, String include, String exclude, int depth, int frames) {
    return new LogbackEventMapper(CLOCK, callerData, KeyGlobs.parse(include), KeyGlobs.parse(exclude), depth, frames,
        false);
  }

  private LogRecord only() {
    assertThat(recorder.records).hasSize(1);
    return recorder.records.get(0);
  }

  private static Map<String, AnyValue> attributes(LogRecord r) {
    Map<String, AnyValue> out = new LinkedHashMap<>();
    for (KeyValue kv : r.getAttributesList()) {
      assertThat(out).as("attribute keys are unique").doesNotContainKey(kv.getKey());
      out.put(kv.getKey(), kv.getValue());
    }
    return out;
  }

  @Test
  void mapsBodyTemplateAndTypedArguments() {
    logger.info("order {} paid {} by {} ({})", 42, 9.5, "alice", true);

    LogRecord r = only();
    assertThat(r.getBody()).isEqualTo(Values.of("order 42 paid 9.5 by alice (true)"));
    assertThat(r.getMessageTemplate()).isEqualTo("order {} paid {} by {} ({})");
    assertThat(r.getMessageArgumentsList()).containsExactly(
        AnyValue.newBuilder().setIntValue(42).build(),
        AnyValue.newBuilder().setDoubleValue(9.5).build(),
        AnyValue.newBuilder().setStringValue("alice").build(),
        AnyValue.newBuilder().setBoolValue(true).build());
  }

  @Test
  void writesTheBodyAsSlf4jFormatsIt() {
    // The encoder formats the usual event itself; RecordingAppender checks its bytes against the builder's, which
    // takes Logback's getFormattedMessage(). Placeholders beyond the arguments, arguments beyond the placeholders,
    // escapes (left to Logback), nulls and every boxed type.
    logger.info("a {} b {} c {}", 1L, "x");
    logger.info("only {}", 1, 2, 3);
    logger.info("escaped \\{} and {}", "y");
    logger.info("{}{}{}{}{}{}{}{}", (byte) 1, (short) 2, 3.25f, 'c', null, java.math.BigDecimal.ONE, false, -7.5d);
    logger.info("no placeholder", "z");
    logger.info("ünïcödé {} ✓", "😀");

    assertThat(recorder.records).extracting(r -> r.getBody().getStringValue()).containsExactly(
        "a 1 b x c {}", "only 1", "escaped {} and y", "123.25cnull1false-7.5", "no placeholder", "ünïcödé 😀 ✓");
    assertThat(recorder.records).extracting(r -> r.getBody().getStringValue())
        .isEqualTo(recorder.events.stream().map(ILoggingEvent::getFormattedMessage).toList());
  }

  @Test
  void leavesTheTrailingThrowableOutOfTheArguments() {
    logger.warn("failed for {}", "bob", new IllegalStateException("boom"));

    LogRecord r = only();
    assertThat(r.getMessageArgumentsList()).containsExactly(Values.of("bob"));
    assertThat(r.getBody().getStringValue()).isEqualTo("failed for bob");
    assertThat(r.getException().getType()).isEqualTo("java.lang.IllegalStateException");
  }

  @Test
  void mapsEachLevelToItsOpenTelemetrySeverity() {
    logger.trace("t");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");

    assertThat(recorder.records).extracting(LogRecord::getSeverityNumber).containsExactly(
        SeverityNumber.SEVERITY_NUMBER_TRACE, SeverityNumber.SEVERITY_NUMBER_DEBUG, SeverityNumber.SEVERITY_NUMBER_INFO,
        SeverityNumber.SEVERITY_NUMBER_WARN, SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(recorder.records).extracting(LogRecord::getSeverityText)
        .containsExactly("TRACE", "DEBUG", "INFO", "WARN", "ERROR");
  }

  @Test
  void mapsLoggerThreadNameAndTheLoggingThreadsId() {
    logger.info("hello");

    LogRecord r = only();
    assertThat(r.getLogger()).isEqualTo("com.example.Checkout");
    assertThat(r.getThreadName()).isEqualTo(Thread.currentThread().getName());
    assertThat(r.getThreadId()).isEqualTo(Thread.currentThread().getId()).isNotZero();
  }

  @Test
  void leavesThreadIdZeroWhenMappedOffTheLoggingThread() {
    logger.info("hello");
    ILoggingEvent event = recorder.events.get(0);

    LogRecord r = CompletableFuture.supplyAsync(() -> recorder.mapper.map(event)).join();

    assertThat(r.getThreadName()).isEqualTo(Thread.currentThread().getName());
    assertThat(r.getThreadId()).isZero();
  }

  @Test
  void keepsNanosecondsOfTheEventTimeAndStampsObservedTimeFromTheClock() {
    LoggingEvent event = new LoggingEvent(Logger.FQCN, logger, Level.INFO, "at {}", null, new Object[] {1});
    event.setInstant(Instant.ofEpochSecond(1_700_000_000L, 123_456_789));

    LogRecord r = recorder.mapper.map(event);

    assertThat(r.getTimeUnixNano()).isEqualTo(1_700_000_000_123_456_789L);
    assertThat(r.getObservedTimeUnixNano()).isEqualTo(1_800_000_000_987_654_321L);
  }

  @Test
  void takesTheEventTimeFromTheLoggedInstant() {
    logger.info("now");

    Instant instant = recorder.events.get(0).getInstant();
    assertThat(only().getTimeUnixNano()).isEqualTo(instant.getEpochSecond() * 1_000_000_000L + instant.getNano());
  }

  @Test
  void keepsNanosecondsOfADeserializedEvent() {
    LoggingEvent event = new LoggingEvent(Logger.FQCN, logger, Level.INFO, "m", null, null);
    event.setInstant(Instant.ofEpochSecond(1_700_000_000L, 5_000_042));

    LogRecord r = recorder.mapper.map(roundTrip(LoggingEventVO.build(event)));

    assertThat(r.getTimeUnixNano()).isEqualTo(1_700_000_000_005_000_042L);
  }

  @Test
  void fallsBackToMillisecondsWhenTheNanosecondsDisagree() {
    assertThat(LogbackEventMapper.eventTimeNanos(1_700_000_000_123L, 0)).isEqualTo(1_700_000_000_123_000_000L);
    assertThat(LogbackEventMapper.eventTimeNanos(1_700_000_000_123L, -1)).isEqualTo(1_700_000_000_123_000_000L);
    assertThat(LogbackEventMapper.eventTimeNanos(-1L, 999_999_999)).isEqualTo(-1L);
  }

  @Test
  void shipsEveryMdcEntryAsAnAttributeByDefault() {
    MDC.put("request.id", "r-1");
    MDC.put("user_id", "u-7");
    logger.info("with mdc");

    assertThat(attributes(only())).containsOnly(
        Map.entry("request.id", Values.of("r-1")), Map.entry("user_id", Values.of("u-7")));
  }

  @Test
  void filtersMdcKeysByIncludeThenExcludeGlobs() {
    recorder.mapper = mapper(false, "request.*, user_?d", "request.secret*", 64, 256);
    MDC.put("request.id", "r-1");
    MDC.put("request.secret_token", "hunter2");
    MDC.put("user_id", "u-7");
    MDC.put("session", "s-1");
    logger.info("with mdc");

    assertThat(attributes(only())).containsOnlyKeys("request.id", "user_id");
  }

  @Test
  void mapsSlf4jKeyValuePairsAsTypedAttributes() {
    logger.atInfo().addKeyValue("order", 42).addKeyValue("vip", true).addKeyValue("note", "gift")
        .setMessage("placed").log();

    assertThat(attributes(only())).containsOnly(
        Map.entry("order", AnyValue.newBuilder().setIntValue(42).build()),
        Map.entry("vip", AnyValue.newBuilder().setBoolValue(true).build()),
        Map.entry("note", Values.of("gift")));
  }

  @Test
  void mapsMarkersWithTheirReferencesEachNameOnce() {
    BasicMarkerFactory markers = new BasicMarkerFactory();
    Marker audit = markers.getDetachedMarker("AUDIT");
    Marker security = markers.getDetachedMarker("SECURITY");
    Marker pii = markers.getDetachedMarker("PII");
    security.add(pii);
    audit.add(security);
    Marker billing = markers.getDetachedMarker("BILLING");
    billing.add(pii);

    logger.atInfo().addMarker(audit).addMarker(billing).log("marked");

    assertThat(only().getMarkersList()).containsExactly("AUDIT", "SECURITY", "PII", "BILLING");
  }

  @Test
  void mapsACauseChainAndSuppressedExceptionsStructurally() {
    Exception error = threeDeepWithSuppressed();
    logger.error("payment failed", error);

    ExceptionInfo e = only().getException();
    assertThat(e.getType()).isEqualTo("java.lang.IllegalStateException");
    assertThat(e.getMessage()).isEqualTo("payment failed");
    assertThat(e.getFrames(0).getClassName()).isEqualTo(LogbackEventMapperTest.class.getName());
    assertThat(e.getFrames(0).getMethodName()).isEqualTo("threeDeepWithSuppressed");
    assertThat(e.getFrames(0).getFileName()).isEqualTo("LogbackEventMapperTest.java");
    assertThat(e.getFrames(0).getLineNumber()).isPositive();
    assertThat(e.getSuppressedList()).extracting(ExceptionInfo::getType, ExceptionInfo::getMessage)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("java.io.IOException", "close failed"));
    assertThat(e.hasCause()).isFalse();
    assertThat(e.getCausesList()).extracting(ExceptionInfo::getType, ExceptionInfo::getMessage).containsExactly(
        org.assertj.core.groups.Tuple.tuple("java.io.UncheckedIOException", "write failed"),
        org.assertj.core.groups.Tuple.tuple("java.io.IOException", "connection reset"),
        org.assertj.core.groups.Tuple.tuple("java.net.SocketException", "peer gone"));
    assertThat(e.getCausesList()).allSatisfy(c -> assertThat(c.hasCause() || c.getCausesCount() > 0).isFalse());
    assertThat(e.getTruncated()).isFalse();
    assertThat(e).isEqualTo(Exceptions.toProto(error, 64, 256));
  }

  @Test
  void rebuildsTheSameExceptionFromADeserializedEvent() {
    Exception error = threeDeepWithSuppressed();
    logger.error("payment failed", error);
    ILoggingEvent deserialized = roundTrip(LoggingEventVO.build(recorder.events.get(0)));

    LogRecord r = recorder.mapper.map(deserialized);

    assertThat(r.getException()).isEqualTo(Exceptions.toProto(error, 64, 256));
  }

  @Test
  void putsTheRootCauseFirstOnBothPathsWhenAsked() {
    recorder.mapper = new LogbackEventMapper(CLOCK, false, KeyGlobs.parse(""), KeyGlobs.parse(""), 64, 256, true);
    Exception error = threeDeepWithSuppressed();
    logger.error("payment failed", error);
    ExceptionInfo fromThrowable = only().getException();
    ExceptionInfo fromProxy = recorder.mapper.map(roundTrip(LoggingEventVO.build(recorder.events.get(0))))
        .getException();

    assertThat(fromThrowable.getType()).isEqualTo("java.net.SocketException");
    assertThat(fromThrowable).isEqualTo(Exceptions.toProto(error, 64, 256, true)).isEqualTo(fromProxy);
  }

  @Test
  void boundsExceptionDepthAndFramesOnBothPaths() {
    recorder.mapper = mapper(false, "", "", 2, 3);
    Exception error = threeDeepWithSuppressed();
    logger.error("payment failed", error);
    ExceptionInfo fromThrowable = only().getException();
    ExceptionInfo fromProxy = recorder.mapper.map(roundTrip(LoggingEventVO.build(recorder.events.get(0))))
        .getException();

    assertThat(fromThrowable).isEqualTo(Exceptions.toProto(error, 2, 3)).isEqualTo(fromProxy);
    assertThat(fromThrowable.getFramesCount()).isEqualTo(3);
    assertThat(fromThrowable.getFramesOmitted()).isEqualTo(error.getStackTrace().length - 3);
    assertThat(fromThrowable.getSuppressedCount()).isEqualTo(1);
    assertThat(fromThrowable.hasCause()).isFalse();
    assertThat(fromThrowable.getCausesCount()).isZero();
    assertThat(fromThrowable.getTruncated()).isTrue();
  }

  @Test
  void takesTraceContextFromTheCurrentSpanAndIgnoresMdcIdsThen() {
    MDC.put(LogbackEventMapper.MDC_TRACE_ID, "0af7651916cd43dd8448eb211c80319c");
    MDC.put(LogbackEventMapper.MDC_SPAN_ID, "b7ad6b7169203331");
    try (SdkTracerProvider tracing = SdkTracerProvider.builder().build()) {
      Span span = tracing.get("test").spanBuilder("checkout").startSpan();
      try (Scope ignored = span.makeCurrent()) {
        logger.info("inside a span");
      } finally {
        span.end();
      }
      SpanContext sc = span.getSpanContext();

      LogRecord r = only();
      assertThat(r.getTraceId()).isEqualTo(ByteString.copyFrom(sc.getTraceIdBytes()));
      assertThat(r.getSpanId()).isEqualTo(ByteString.copyFrom(sc.getSpanIdBytes()));
      assertThat(r.getTraceId().size()).isEqualTo(16);
      assertThat(r.getSpanId().size()).isEqualTo(8);
      // The SDK sets sampled (0x01) and, per W3C Trace Context level 2, random (0x02): copy the byte, whatever it is.
      assertThat(r.getFlags()).isEqualTo(sc.getTraceFlags().asByte() & 0xff);
      assertThat(r.getFlags() & 0x01).as("sampled").isEqualTo(1);
    }
  }

  @Test
  void fallsBackToMdcTraceContextOutsideASpan() {
    MDC.put(LogbackEventMapper.MDC_TRACE_ID, "0af7651916cd43dd8448eb211c80319c");
    MDC.put(LogbackEventMapper.MDC_SPAN_ID, "b7ad6b7169203331");
    MDC.put(LogbackEventMapper.MDC_TRACE_FLAGS, "01");
    logger.info("outside a span");

    LogRecord r = only();
    assertThat(r.getTraceId())
        .isEqualTo(ByteString.copyFrom(HexFormat.of().parseHex("0af7651916cd43dd8448eb211c80319c")));
    assertThat(r.getSpanId()).isEqualTo(ByteString.copyFrom(HexFormat.of().parseHex("b7ad6b7169203331")));
    assertThat(r.getFlags()).isEqualTo(1);
  }

  @Test
  void ignoresMalformedOrAllZeroMdcTraceIds() {
    MDC.put(LogbackEventMapper.MDC_TRACE_ID, "00000000000000000000000000000000");
    MDC.put(LogbackEventMapper.MDC_SPAN_ID, "b7ad6b7169203331");
    logger.info("zero trace id");
    MDC.put(LogbackEventMapper.MDC_TRACE_ID, "0af7651916cd43dd8448eb211c80319c");
    MDC.put(LogbackEventMapper.MDC_SPAN_ID, "not-hex-at-all!!");
    logger.info("bad span id");
    MDC.put(LogbackEventMapper.MDC_SPAN_ID, "b7ad6b71");
    logger.info("short span id");

    assertThat(recorder.records).hasSize(3).allSatisfy(r -> {
      assertThat(r.getTraceId()).isEmpty();
      assertThat(r.getSpanId()).isEmpty();
      assertThat(r.getFlags()).isZero();
    });
  }

  @Test
  void sendsNoTemplateWhenTheEventHasNoArguments() {
    logger.info("plain text {} stays the body");

    LogRecord r = only();
    assertThat(r.getBody().getStringValue()).isEqualTo("plain text {} stays the body");
    assertThat(r.getMessageTemplate()).isEmpty();
    assertThat(r.getMessageArgumentsList()).isEmpty();
  }

  @Test
  void keepsUnicodeIntactEverywhere() throws Exception {
    MDC.put("kunde", "Jürgen Öztürk");
    Logger unicodeLogger = context.getLogger("com.example.Übersicht");
    unicodeLogger.info("Grüße {} — 世界 🚀", "ünïcödé");

    LogRecord r = only();
    assertThat(r.getBody().getStringValue()).isEqualTo("Grüße ünïcödé — 世界 🚀");
    assertThat(r.getMessageTemplate()).isEqualTo("Grüße {} — 世界 🚀");
    assertThat(r.getMessageArguments(0).getStringValue()).isEqualTo("ünïcödé");
    assertThat(r.getLogger()).isEqualTo("com.example.Übersicht");
    assertThat(attributes(r)).containsEntry("kunde", Values.of("Jürgen Öztürk"));
    assertThat(LogRecord.parseFrom(r.toByteString()).getBody().getStringValue()).isEqualTo("Grüße ünïcödé — 世界 🚀");
  }

  @Test
  void addsCallerDataAsCodeAttributesOnlyWhenEnabled() {
    logger.info("without caller data");
    recorder.mapper = mapper(true, "", "", 64, 256);
    // spotless:off -- one line: the caller line Logback reports is the line of `line`
    int line = new Throwable().getStackTrace()[0].getLineNumber(); logger.info("with caller data");
    // spotless:on

    assertThat(recorder.records).hasSize(2);
    assertThat(attributes(recorder.records.get(0))).isEmpty();
    assertThat(attributes(recorder.records.get(1))).containsOnly(
        Map.entry("code.filepath", Values.of("LogbackEventMapperTest.java")),
        Map.entry("code.lineno", AnyValue.newBuilder().setIntValue(line).build()),
        Map.entry("code.namespace", Values.of(LogbackEventMapperTest.class.getName())),
        Map.entry("code.function", Values.of("addsCallerDataAsCodeAttributesOnlyWhenEnabled")));
  }

  @Test
  void matchesGlobsWithStarsAndQuestionMarks() {
    KeyGlobs globs = KeyGlobs.parse(" request.* , ?ser_id,exact ,*.secret,a*b*c");
    assertThat(List.of("request.id", "request.", "user_id", "exact", "db.secret", "abc", "aXbYc", "abbc"))
        .allMatch(globs::matchesAny);
    assertThat(List.of("request", "ser_id", "exactly", "secret", "ab", "acb", "REQUEST.id"))
        .noneMatch(globs::matchesAny);
    assertThat(KeyGlobs.parse(" , ").isEmpty()).isTrue();
  }

  private static Exception threeDeepWithSuppressed() {
    java.net.SocketException root = new java.net.SocketException("peer gone");
    IOException middle = new IOException("connection reset", root);
    UncheckedIOException wrapper = new UncheckedIOException("write failed", middle);
    IllegalStateException top = new IllegalStateException("payment failed", wrapper);
    top.addSuppressed(new IOException("close failed"));
    return top;
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T serializable) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(serializable);
      }
      try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
        return (T) in.readObject();
      }
    } catch (IOException | ClassNotFoundException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void formatsOnTheBatcherOnlyWhenEveryArgumentIsAnImmutableJdkValue() {
    assertThat(LogbackEventMapper.formatsTheSameLater(null)).isTrue();
    assertThat(LogbackEventMapper.formatsTheSameLater(new Object[] {"a", 1, 2L, 2.5, true, 'c', null,
        java.util.UUID.randomUUID(), Instant.EPOCH, new java.math.BigDecimal("1.5")})).isTrue();
    assertThat(LogbackEventMapper.formatsTheSameLater(new Object[] {"a", new StringBuilder("b")})).isFalse();
    assertThat(LogbackEventMapper.formatsTheSameLater(new Object[] {new int[] {1}})).isFalse();
    assertThat(LogbackEventMapper.formatsTheSameLater(new Object[] {List.of("x")})).isFalse();
  }

  @Test
  void aMutableArgumentIsFormattedOnTheLoggingThreadWithItsStateAtTheCall() {
    LogbackEventMapper m = mapper(false, "", "", 64, 256);
    StringBuilder cart = new StringBuilder("3 items");
    LoggingEvent event = new LoggingEvent(Logger.FQCN, logger, Level.INFO, "cart {} for {}", null,
        new Object[] {cart, "alice"});

    LogbackEventMapper.Captured captured = m.capture(event);
    cart.setLength(0);
    cart.append("emptied later");
    LogRecord r = CompletableFuture.supplyAsync(captured::build).join();

    assertThat(r.getBody().getStringValue()).isEqualTo("cart 3 items for alice");
  }

  @Test
  void anEventWithImmutableArgumentsIsFormattedOnTheBatcherWithTheSameBody() {
    LogbackEventMapper m = mapper(false, "", "", 64, 256);
    LoggingEvent event = new LoggingEvent(Logger.FQCN, logger, Level.INFO, "order {} of {} at {}", null,
        new Object[] {42, "alice", 2.5});

    LogbackEventMapper.Captured captured = m.capture(event);
    LogRecord r = CompletableFuture.supplyAsync(captured::build).join();

    assertThat(r.getBody().getStringValue()).isEqualTo("order 42 of alice at 2.5");
    assertThat(captured.estimatedBytes()).as("a lower bound of the encoded record")
        .isPositive().isLessThanOrEqualTo(r.getSerializedSize());
  }
}
