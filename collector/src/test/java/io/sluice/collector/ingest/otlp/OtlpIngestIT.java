package io.sluice.collector.ingest.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporterBuilder;
import io.opentelemetry.exporter.otlp.internal.HttpExporterBuilder;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.sluice.collector.Collector;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.kafka.KafkaHeaders;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * The real OpenTelemetry Java SDK exporters (OTLP/gRPC, OTLP/HTTP protobuf and JSON) send to a collector started
 * here; the records are read back from the shared in-JVM Kafka broker. Also the OTLP/HTTP error answers.
 */
class OtlpIngestIT {
  private static final String KEY = "otlp-acme-key";
  private static final String TRACE = "5b8efff798038103d269b633813fc60c";
  private static final String SPAN = "eee19b7ec3c1b174";
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static CollectorConfig config(String topic, RateLimit limit) {
    return CollectorConfig.builder().listen("127.0.0.1:0").httpListen("127.0.0.1:0")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).maxFrameBytes(256 * 1024)
        .tenant(new TenantConfig("acme", List.of(Authenticator.sha256Hex(KEY)), List.of(), List.of(), limit))
        .shutdownTimeout(Duration.ofSeconds(10)).build();
  }

  @Test
  void sdkExportersDeliverOverGrpcAndHttpProtobufAndJson() throws Exception {
    String topic = SharedKafka.newTopic("otlp", 1);
    try (Collector collector = Collector.start(config(topic, null))) {
      String http = "http://127.0.0.1:" + collector.httpPort() + "/v1/logs";
      export("grpc", OtlpGrpcLogRecordExporter.builder().setEndpoint("http://127.0.0.1:" + collector.port())
          .addHeader("x-api-key", KEY).build());
      export("http-protobuf", OtlpHttpLogRecordExporter.builder().setEndpoint(http).addHeader("X-API-Key", KEY)
          .setCompression("gzip").build());
      export("http-json", jsonExporter(OtlpHttpLogRecordExporter.builder().setEndpoint(http)
          .addHeader("X-API-Key", KEY)));

      List<ConsumerRecord<byte[], byte[]>> got =
          KafkaRecords.read(SharedKafka.bootstrap(), topic, 9, Duration.ofSeconds(30));
      assertThat(got).hasSize(9);
      Map<String, LogRecord> byBody = got.stream().collect(Collectors.toMap(r -> parse(r).getBody().getStringValue(),
          OtlpIngestIT::parse));
      for (String protocol : List.of("grpc", "http-protobuf", "http-json")) {
        for (int i = 0; i < 3; i++) {
          LogRecord r = byBody.get(protocol + "-" + i);
          assertThat(r).as("%s-%d in Kafka", protocol, i).isNotNull();
          assertThat(r.getLogger()).isEqualTo("otlp-test");
          assertThat(r.getSeverityNumberValue()).isEqualTo(Severity.WARN.getSeverityNumber());
          assertThat(r.getSeverityText()).isEqualTo("WARN");
          assertThat(r.getTimeUnixNano()).isEqualTo(1_700_000_000_000_000_000L + i);
          assertThat(HexFormat.of().formatHex(r.getTraceId().toByteArray())).isEqualTo(TRACE);
          assertThat(HexFormat.of().formatHex(r.getSpanId().toByteArray())).isEqualTo(SPAN);
          assertThat(r.getFlags()).isEqualTo(1);
          Map<String, KeyValue> attrs = r.getAttributesList().stream()
              .collect(Collectors.toMap(KeyValue::getKey, kv -> kv));
          assertThat(attrs.get("resource.service.name").getValue().getStringValue()).isEqualTo("otlp-" + protocol);
          assertThat(attrs.get("order.id").getValue().getIntValue()).isEqualTo(i);
          assertThat(attrs.get(OtlpLogs.SCOPE_VERSION).getValue().getStringValue()).isEqualTo("1.2.3");
        }
      }
      for (ConsumerRecord<byte[], byte[]> r : got) {
        assertThat(new String(r.headers().lastHeader(KafkaHeaders.TENANT).value(), StandardCharsets.UTF_8))
            .isEqualTo("acme");
        assertThat(new String(r.headers().lastHeader(KafkaHeaders.SOURCE).value(), StandardCharsets.UTF_8))
            .startsWith("otlp:");
        assertThat(new String(r.key(), StandardCharsets.UTF_8)).startsWith("otlp-");
      }
      // one (source, epoch, seq, idx) per record
      assertThat(got.stream().map(r -> KafkaHeaders.readInt64(r.headers().lastHeader(KafkaHeaders.SEQ).value())
          + "/" + KafkaHeaders.readInt32(r.headers().lastHeader(KafkaHeaders.IDX).value())).distinct()).hasSize(9);

      // without credentials the exporter is refused, nothing more reaches Kafka
      OtlpGrpcLogRecordExporter anonymous = OtlpGrpcLogRecordExporter.builder()
          .setEndpoint("http://127.0.0.1:" + collector.port()).build();
      assertThat(exportFails(anonymous)).isTrue();
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(9);
    }
  }

  @Test
  void otlpHttpAnswersWithTheSpecsStatusCodes() throws Exception {
    String topic = SharedKafka.newTopic("otlp-http", 1);
    try (Collector collector = Collector.start(config(topic, new RateLimit(3, 0, 1)))) {
      String url = "http://127.0.0.1:" + collector.httpPort() + "/v1/logs";
      String json = """
          {"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"curl"}}]},
           "scopeLogs":[{"scope":{"name":"by-hand"},"logRecords":[
             {"timeUnixNano":"1700000000000000001","severityNumber":17,"severityText":"ERROR",
              "body":{"stringValue":"hand-made"},"traceId":"%s","spanId":"%s",
              "attributes":[{"key":"n","value":{"intValue":"42"}},{"key":"ok","value":{"boolValue":true}}]}]}]}]}
          """.formatted(TRACE, SPAN);

      HttpResponse<String> unauthenticated = post(url, "application/json", json.getBytes(StandardCharsets.UTF_8),
          Map.of());
      assertThat(unauthenticated.statusCode()).isEqualTo(401);
      assertThat(unauthenticated.body()).contains("\"code\":16").contains("requires authentication");

      HttpResponse<String> ok = post(url, "application/json", gzip(json), Map.of("X-API-Key", KEY,
          "Content-Encoding", "gzip"));
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(ok.headers().firstValue("Content-Type")).hasValue("application/json");
      // answered only after Kafka acknowledged
      assertThat(KafkaRecords.lineCount(SharedKafka.bootstrap(), topic)).isEqualTo(1);
      LogRecord r = parse(KafkaRecords.read(SharedKafka.bootstrap(), topic, 1, Duration.ofSeconds(30)).get(0));
      assertThat(r.getBody().getStringValue()).isEqualTo("hand-made");
      assertThat(r.getLogger()).isEqualTo("by-hand");
      assertThat(HexFormat.of().formatHex(r.getTraceId().toByteArray())).isEqualTo(TRACE);
      assertThat(r.getAttributesList()).anySatisfy(kv -> {
        assertThat(kv.getKey()).isEqualTo("n");
        assertThat(kv.getValue().getIntValue()).isEqualTo(42);
      });

      HttpResponse<String> badId = post(url, "application/json",
          json.replace(TRACE, "not-hex").getBytes(StandardCharsets.UTF_8), Map.of("X-API-Key", KEY));
      assertThat(badId.statusCode()).isEqualTo(400);
      assertThat(badId.body()).contains("resourceLogs[0].scopeLogs[0].logRecords[0].traceId");

      HttpResponse<String> tooLarge = post(url, "application/x-protobuf", new byte[300 * 1024],
          Map.of("X-API-Key", KEY));
      assertThat(tooLarge.statusCode()).isEqualTo(413);

      HttpResponse<String> wrongType = post(url, "text/plain", new byte[1], Map.of("X-API-Key", KEY));
      assertThat(wrongType.statusCode()).isEqualTo(415);

      // the tenant may send 3 records a second: the next requests are throttled with a Retry-After
      HttpResponse<String> last = null;
      for (int i = 0; i < 5; i++) {
        last = post(url, "application/json", json.getBytes(StandardCharsets.UTF_8), Map.of("X-API-Key", KEY));
        if (last.statusCode() == 429) {
          break;
        }
      }
      assertThat(last.statusCode()).isEqualTo(429);
      assertThat(last.headers().firstValue("Retry-After")).isPresent();
      assertThat(last.body()).contains("RATE_LIMITED");
    }
  }

  private static void export(String protocol, LogRecordExporter exporter) {
    try (SdkLoggerProvider provider = SdkLoggerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), "otlp-" + protocol))))
        .addLogRecordProcessor(BatchLogRecordProcessor.builder(exporter).build()).build()) {
      Logger logger = provider.loggerBuilder("otlp-test").setInstrumentationVersion("1.2.3").build();
      Context ctx = Context.root().with(Span.wrap(SpanContext.create(TRACE, SPAN, TraceFlags.getSampled(),
          TraceState.getDefault())));
      for (int i = 0; i < 3; i++) {
        logger.logRecordBuilder().setContext(ctx).setSeverity(Severity.WARN).setSeverityText("WARN")
            .setTimestamp(1_700_000_000_000_000_000L + i, TimeUnit.NANOSECONDS)
            .setBody(protocol + "-" + i).setAttribute(AttributeKey.longKey("order.id"), (long) i).emit();
      }
      CompletableResultCode flushed = provider.forceFlush().join(30, TimeUnit.SECONDS);
      assertThat(flushed.isSuccess()).as("%s export succeeded", protocol).isTrue();
    }
  }

  private static boolean exportFails(LogRecordExporter exporter) {
    try (SdkLoggerProvider provider = SdkLoggerProvider.builder()
        .addLogRecordProcessor(io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor.create(exporter)).build()) {
      provider.get("x").logRecordBuilder().setBody("refused").emit();
      return !exporter.flush().join(30, TimeUnit.SECONDS).isSuccess() || !provider.forceFlush()
          .join(30, TimeUnit.SECONDS).isSuccess();
    }
  }

  /**
   * The SDK's OTLP/HTTP exporter in its JSON mode: {@code HttpExporterBuilder.exportAsJson()} is public but the
   * log exporter's builder keeps it in a private field, so reach it by reflection (tests only).
   */
  private static LogRecordExporter jsonExporter(OtlpHttpLogRecordExporterBuilder builder) throws Exception {
    Field delegate = OtlpHttpLogRecordExporterBuilder.class.getDeclaredField("delegate");
    delegate.setAccessible(true);
    ((HttpExporterBuilder) delegate.get(builder)).exportAsJson();
    return builder.build();
  }

  private static HttpResponse<String> post(String url, String type, byte[] body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static byte[] gzip(String s) throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(bos)) {
      z.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return bos.toByteArray();
  }

  private static LogRecord parse(ConsumerRecord<byte[], byte[]> r) {
    try {
      return LogRecord.parseFrom(r.value());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
