package io.sluice.collector.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import io.sluice.collector.Collector;
import io.sluice.collector.KafkaRecords;
import io.sluice.collector.SharedKafka;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import io.sluice.collector.config.TenantConfig;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real HTTP requests to a collector's {@code POST /v1/sluice/logs}, each request and response checked against the
 * OpenAPI document the collector itself serves at {@code /openapi.yaml} (Atlassian's swagger-request-validator):
 * 200 with the records in Kafka, 400 naming the field, 401, 413, 415 and 429 with Retry-After.
 */
class HttpIngestContractIT {
  private static final String KEY = "http-acme-key";
  private static final String PATH = SluiceHttpHandler.PATH;
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Collector collector;
  private static String topic;
  private static OpenApiInteractionValidator validator;

  @BeforeAll
  static void start() throws Exception {
    topic = SharedKafka.newTopic("http", 1);
    collector = Collector.start(CollectorConfig.builder().listen("127.0.0.1:0").httpListen("127.0.0.1:0")
        .kafkaBootstrap(SharedKafka.bootstrap()).topic(topic).createTopic(false).maxFrameBytes(64 * 1024)
        .tenant(new TenantConfig("acme", List.of(Authenticator.sha256Hex(KEY)), List.of(), List.of(),
            new RateLimit(10, 0, 1)))
        .build());
    HttpResponse<String> doc = HTTP.send(HttpRequest.newBuilder(uri("/openapi.yaml")).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(doc.statusCode()).isEqualTo(200);
    validator = OpenApiInteractionValidator.createForInlineApiSpecification(doc.body()).build();
    assertValid(validator.validateResponse("/openapi.yaml", Request.Method.GET,
        SimpleResponse.Builder.status(200).withContentType("application/yaml").withBody(doc.body()).build()));
  }

  @AfterAll
  static void stop() {
    collector.close();
  }

  @Test
  void acceptedRecordsAreInKafkaAndTheExchangeMatchesTheContract() throws Exception {
    String body = """
        {"resource": {"service.name": "billing", "host.name": "h1"},
         "records": [
           {"timeUnixNano": "1700000000000000001", "severityNumber": 17, "severityText": "ERROR",
            "body": "payment failed", "logger": "billing.Pay", "threadName": "main",
            "attributes": {"order": 42, "retry": true, "ratio": 0.5, "tags": ["a", "b"], "ctx": {"k": "v"}},
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"},
           {"body": {"structured": "yes"}}
         ]}
        """;
    HttpResponse<String> r = exchange(body, Map.of("X-API-Key", KEY), true);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"accepted\":2}");
    // the topic is shared with the other test's accepted requests: all of it, then this request's two records
    int total = (int) KafkaRecords.lineCount(SharedKafka.bootstrap(), topic);
    List<LogRecord> got = KafkaRecords.read(SharedKafka.bootstrap(), topic, total, Duration.ofSeconds(30)).stream()
        .map(c -> parse(c.value())).filter(x -> x.getBody().getStringValue().equals("payment failed")
            || x.getBody().hasKvlistValue())
        .toList();
    assertThat(got).hasSize(2);
    LogRecord first = got.stream().filter(x -> x.getBody().hasStringValue()).findFirst().orElseThrow();
    assertThat(first.getBody().getStringValue()).isEqualTo("payment failed");
    assertThat(first.getTimeUnixNano()).isEqualTo(1_700_000_000_000_000_001L);
    assertThat(first.getSeverityNumberValue()).isEqualTo(17);
    assertThat(first.getLogger()).isEqualTo("billing.Pay");
    assertThat(HexFormat.of().formatHex(first.getTraceId().toByteArray()))
        .isEqualTo("5b8efff798038103d269b633813fc60c");
    Map<String, KeyValue> attrs = first.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey,
        kv -> kv));
    assertThat(attrs.get("order").getValue().getIntValue()).isEqualTo(42);
    assertThat(attrs.get("retry").getValue().getBoolValue()).isTrue();
    assertThat(attrs.get("tags").getValue().getArrayValue().getValuesCount()).isEqualTo(2);
    assertThat(attrs.get("resource.service.name").getValue().getStringValue()).isEqualTo("billing");
    LogRecord second = got.stream().filter(x -> x.getBody().hasKvlistValue()).findFirst().orElseThrow();
    assertThat(second.getTimeUnixNano()).isPositive(); // default: the time of receipt
  }

  @Test
  void errorsMatchTheContractAndNameWhatToFix() throws Exception {
    String bad = "{\"records\": [{\"body\": \"x\", \"severityNumber\": 99}]}";
    HttpResponse<String> badField = exchange(bad, Map.of("X-API-Key", KEY), false);
    assertThat(badField.statusCode()).isEqualTo(400);
    assertThat(badField.body()).contains("\"field\":\"records[0].severityNumber\"");
    // the document says so too: the validator refuses the same request
    assertThat(validator.validateRequest(request(bad, Map.of("X-API-Key", KEY))).hasErrors()).isTrue();

    HttpResponse<String> unknown = exchange("{\"records\": [{\"bdy\": \"x\"}]}", Map.of("X-API-Key", KEY), false);
    assertThat(unknown.statusCode()).isEqualTo(400);
    assertThat(unknown.body()).contains("records[0].bdy: unknown field");

    HttpResponse<String> noKey = exchange("{\"records\": [{\"body\": \"x\"}]}", Map.of(), true);
    assertThat(noKey.statusCode()).isEqualTo(401);
    HttpResponse<String> wrongKey = exchange("{\"records\": [{\"body\": \"x\"}]}", Map.of("X-API-Key", "nope"),
        true);
    assertThat(wrongKey.statusCode()).isEqualTo(401);
    assertThat(wrongKey.body()).contains("apiKeys");

    String huge = "{\"records\": [{\"body\": \"" + "x".repeat(80 * 1024) + "\"}]}";
    HttpResponse<String> tooLarge = exchange(huge, Map.of("X-API-Key", KEY), true);
    assertThat(tooLarge.statusCode()).isEqualTo(413);
    assertThat(tooLarge.body()).contains("limits.maxFrameBytes");

    HttpResponse<String> text = HTTP.send(HttpRequest.newBuilder(uri(PATH)).header("Content-Type", "text/plain")
        .POST(HttpRequest.BodyPublishers.ofString("hello")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(text.statusCode()).isEqualTo(415);
    assertValid(validator.validateResponse(PATH, Request.Method.POST, response(text)));

    // 10 records a second for acme: a request of 8 passes, the next one is throttled
    StringBuilder eight = new StringBuilder("{\"records\": [");
    for (int i = 0; i < 8; i++) {
      eight.append(i == 0 ? "" : ",").append("{\"body\": \"r").append(i).append("\"}");
    }
    eight.append("]}");
    HttpResponse<String> last = null;
    for (int i = 0; i < 3 && (last == null || last.statusCode() != 429); i++) {
      last = exchange(eight.toString(), Map.of("X-API-Key", KEY), true);
    }
    assertThat(last.statusCode()).isEqualTo(429);
    assertThat(last.headers().firstValue("Retry-After")).isPresent();
    assertThat(last.body()).contains("RATE_LIMITED");
  }

  /** Sends a request, checks it (if {@code checkRequest}) and its response against the contract. */
  private static HttpResponse<String> exchange(String body, Map<String, String> headers, boolean checkRequest)
      throws Exception {
    if (checkRequest) {
      assertValid(validator.validateRequest(request(body, headers)));
    }
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(PATH)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertValid(validator.validateResponse(PATH, Request.Method.POST, response(r)));
    return r;
  }

  private static SimpleRequest request(String body, Map<String, String> headers) {
    SimpleRequest.Builder b = SimpleRequest.Builder.post(PATH).withContentType("application/json").withBody(body);
    headers.forEach(b::withHeader);
    return b.build();
  }

  private static SimpleResponse response(HttpResponse<String> r) {
    SimpleResponse.Builder b = SimpleResponse.Builder.status(r.statusCode()).withBody(r.body());
    r.headers().map().forEach((k, v) -> b.withHeader(k, v));
    r.headers().firstValue("Content-Type").ifPresent(b::withContentType);
    return b.build();
  }

  private static void assertValid(ValidationReport report) {
    assertThat(report.hasErrors()).as("%s", report.getMessages()).isFalse();
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + collector.httpPort() + path);
  }

  private static LogRecord parse(byte[] value) {
    try {
      return LogRecord.parseFrom(value);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
