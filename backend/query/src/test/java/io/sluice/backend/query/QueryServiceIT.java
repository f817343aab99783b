package io.sluice.backend.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.datastax.oss.driver.api.core.CqlSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.backend.alerts.AlertJson;
import io.sluice.backend.common.Alert;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.TestKafka;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.search.OpenSearchConnection;
import io.sluice.backend.search.OpenSearchSinkFactory;
import io.sluice.backend.search.TestOpenSearch;
import io.sluice.backend.streaming.cassandra.CassandraAggregateSink;
import io.sluice.backend.streaming.cassandra.CassandraFingerprintSink;
import io.sluice.backend.streaming.cassandra.CassandraSchema;
import io.sluice.backend.streaming.cassandra.CassandraSettings;
import io.sluice.proto.v1.SeverityNumber;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The query service over real engines, started once for the class: a KRaft broker and an OpenSearch node in this
 * JVM, a Cassandra node in a child JVM ({@link CassandraProcess}), filled through the backend's own sinks
 * (OpenSearchSink, CassandraAggregateSink, CassandraFingerprintSink) and topics, with data dated minutes before
 * now. Every JSON answer is validated against the served /openapi.json. The {@code ui*} tests drive the web UI in
 * headless Chromium over the same service (skipped with a message when Debian's chromium/chromium-driver are absent)
 * and save screenshots to target/screenshots.
 */
class QueryServiceIT {
  static final String ACME_KEY = "acme-key-1";
  static final String GLOBEX_KEY = "globex-key-1";
  static final String TOPIC = "sluice.logs";
  static final String ALERTS = "sluice-alerts";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static TestKafka kafka;
  static TestOpenSearch opensearch;
  static CassandraProcess cassandra;
  static QueryServer server;
  static QueryTestData data;
  static long now;
  static OpenApiInteractionValidator validator;

  @BeforeAll
  static void engines() throws Exception {
    CompletableFuture<CassandraProcess> node = CompletableFuture.supplyAsync(() -> {
      try {
        return CassandraProcess.start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    CompletableFuture<TestOpenSearch> search = CompletableFuture.supplyAsync(() -> {
      try {
        return TestOpenSearch.start("query-it-");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    kafka = TestKafka.shared();
    kafka.createTopic(TOPIC, 2);
    kafka.createTopic(ALERTS, 1);
    opensearch = search.join();
    cassandra = node.join();
    now = System.currentTimeMillis();
    data = QueryTestData.standard(TOPIC, now);

    try (Sink<LogEvent> sink = new OpenSearchSinkFactory(OpenSearchConnection.of(opensearch.url()), "sluice-logs-",
        true, 0).open()) {
      sink.write(data.events);
    }
    HTTP.send(HttpRequest.newBuilder(URI.create(opensearch.url() + "/sluice-logs-*/_refresh"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

    CassandraSettings settings = new CassandraSettings(List.of(cassandra.contactPoint()), "datacenter1", "sluice");
    try (CqlSession session = settings.connect()) {
      CassandraSchema.apply(session, "sluice", "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    }
    try (Sink<MinuteAggregate> sink = CassandraAggregateSink.factory(settings).open()) {
      sink.write(data.aggregates());
    }
    try (Sink<ErrorFingerprint> sink = CassandraFingerprintSink.factory(settings).open()) {
      sink.write(data.fingerprints());
    }
    List<RawRecord> alerts = new ArrayList<>();
    for (Alert a : List.of(
        new Alert("r1", "error_rate", "acme", "checkout", "checkout", now - 600_000L, 0.1, 0.05, "checkout errors 10%"),
        new Alert("r2", "new_fingerprint", "acme", "checkout", "abc", now - 500_000L, 1, 0, "new error in checkout"),
        new Alert("r1", "error_rate", "globex", "checkout", "checkout", now - 400_000L, 1, 0.05,
            "globex " + QueryTestData.SECRET))) {
      alerts.add(new RawRecord(ALERTS, a.id().getBytes(StandardCharsets.UTF_8), Map.of(), AlertJson.encode(a), now));
    }
    kafka.produce(alerts);

    QueryConfig config = QueryConfig.defaults(Map.of("acme", List.of(ApiKeys.sha256Hex(ACME_KEY)), "globex",
        List.of(ApiKeys.sha256Hex(GLOBEX_KEY))), false)
        .withOpenSearch(List.of(opensearch.url()), "sluice-logs-")
        .withCassandra(List.of(cassandra.contactPoint()), "datacenter1", "sluice")
        .withKafka(kafka.bootstrapServers(), TOPIC, ALERTS)
        .withLimits(100, Duration.ofSeconds(20), 4, 1 << 20);
    server = new QueryServer(config, Clock.systemUTC()).start();
    String doc = get("/openapi.json", null).body();
    validator = OpenApiInteractionValidator.createForInlineApiSpecification(doc).build();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (cassandra != null) {
      cassandra.close();
    }
    if (opensearch != null) {
      opensearch.close();
    }
    if (kafka != null) {
      kafka.close();
    }
  }

  static HttpResponse<String> get(String pathAndQuery, String key) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery.substring(1)));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** GETs an API path, checks the answer against the OpenAPI document, returns its JSON. */
  static JsonNode api(String path, String query, String key, int status) throws Exception {
    HttpResponse<String> r = get(path + (query.isEmpty() ? "" : "?" + query), key);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    ValidationReport report = validator.validateResponse(path, Request.Method.GET, SimpleResponse.Builder
        .status(r.statusCode()).withContentType(r.headers().firstValue("Content-Type").orElse(""))
        .withBody(r.body()).build());
    assertThat(report.getMessages()).as("OpenAPI validation of " + path + "?" + query + ": " + r.body()).isEmpty();
    return JSON.readTree(r.body());
  }

  static String range() {
    return "from=" + (now - 30 * 60_000L) + "&to=" + (now + 60_000L);
  }

  @Test
  void searchFindsTheStackTraceByTextWithItsCausesForItsOwnTenantOnly() throws Exception {
    JsonNode r = api("/api/v1/search", "q=" + enc("timed out") + "&" + range(), ACME_KEY, 200);
    assertThat(r.path("total").asLong()).isEqualTo(3);
    for (JsonNode hit : r.path("hits")) {
      assertThat(hit.path("body").asText()).startsWith("payment timed out for order");
      JsonNode chain = hit.path("exception").path("chain");
      assertThat(chain).hasSize(2);
      assertThat(chain.get(0).path("type").asText()).isEqualTo("com.example.checkout.PaymentException");
      assertThat(chain.get(0).path("frames").get(0).asText())
          .isEqualTo("com.example.checkout.PaymentClient.charge(PaymentClient.java:88)");
      assertThat(chain.get(0).path("omitted").asInt()).isEqualTo(12);
      assertThat(chain.get(1).path("type").asText()).isEqualTo("java.net.SocketTimeoutException");
      assertThat(chain.get(1).path("frames")).hasSize(2);
    }
    // newest first
    assertThat(r.path("hits").get(0).path("timeUnixNano").asLong())
        .isGreaterThan(r.path("hits").get(2).path("timeUnixNano").asLong());
    // the exception type finds them too; globex's lines stay globex's
    assertThat(api("/api/v1/search", "q=java.net.SocketTimeoutException&" + range(), ACME_KEY, 200)
        .path("total").asLong()).isZero(); // only the outermost type is indexed
    assertThat(api("/api/v1/search", "q=com.example.checkout.PaymentException&" + range(), ACME_KEY, 200)
        .path("total").asLong()).isEqualTo(3);
    assertThat(api("/api/v1/search", "q=" + QueryTestData.SECRET, ACME_KEY, 200).path("total").asLong()).isZero();
    assertThat(api("/api/v1/search", "q=" + QueryTestData.SECRET, GLOBEX_KEY, 200).path("total").asLong())
        .isEqualTo(10);
  }

  @Test
  void filtersByServiceSeverityAndTraceId() throws Exception {
    assertThat(api("/api/v1/search", "service=payments&" + range(), ACME_KEY, 200).path("total").asLong())
        .isEqualTo(10);
    JsonNode warn = api("/api/v1/search", "severity=WARN,ERROR&" + range(), ACME_KEY, 200);
    assertThat(warn.path("total").asLong()).isEqualTo(8);
    JsonNode trace = api("/api/v1/search", "traceId=" + QueryTestData.TRACE, ACME_KEY, 200);
    assertThat(trace.path("total").asLong()).isEqualTo(3);
    trace.path("hits").forEach(h -> assertThat(h.path("traceId").asText()).isEqualTo(QueryTestData.TRACE));
  }

  @Test
  void pagesWithACursorReturnEveryLineOnce() throws Exception {
    Set<String> ids = new HashSet<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = api("/api/v1/search", "limit=10&" + range() + (cursor == null ? "" : "&cursor=" + cursor),
          ACME_KEY, 200);
      page.path("hits").forEach(h -> assertThat(ids.add(h.path("id").asText())).as("seen twice").isTrue());
      cursor = page.path("next").isNull() ? null : page.path("next").asText();
      pages++;
    } while (cursor != null && pages < 20);
    assertThat(ids).hasSize((int) data.count("acme"));
  }

  @Test
  void histogramBucketsAddUpToTheSearchTotal() throws Exception {
    JsonNode h = api("/api/v1/histogram", range(), ACME_KEY, 200);
    long sum = 0;
    long errors = 0;
    for (JsonNode b : h.path("buckets")) {
      sum += b.path("count").asLong();
      errors += b.path("bySeverity").path("ERROR").asLong();
    }
    assertThat(sum).isEqualTo(h.path("total").asLong()).isEqualTo(data.count("acme"));
    assertThat(errors).isEqualTo(3);
    assertThat(h.path("buckets").size()).isLessThanOrEqualTo(QueryServer.MAX_BUCKETS);
  }

  @Test
  void countsAndFingerprintsComeFromCassandra() throws Exception {
    JsonNode counts = api("/api/v1/counts", range(), ACME_KEY, 200);
    long records = 0;
    for (JsonNode row : counts.path("rows")) {
      records += row.path("records").asLong();
    }
    assertThat(records).isEqualTo(data.count("acme"));
    JsonNode fps = api("/api/v1/fingerprints", "", ACME_KEY, 200);
    assertThat(fps.path("fingerprints")).hasSize(1);
    JsonNode fp = fps.path("fingerprints").get(0);
    long firstError = data.events.stream().filter(e -> e.tenant().equals("acme") && !e.fingerprint().isEmpty())
        .mapToLong(LogEvent::timeMillis).min().orElseThrow();
    assertThat(fp.path("firstSeen").asLong()).isEqualTo(firstError);
    assertThat(fp.path("count").asLong()).isEqualTo(3);
    assertThat(fp.path("exceptionType").asText()).isEqualTo("com.example.checkout.PaymentException");
    assertThat(api("/api/v1/fingerprints", "", GLOBEX_KEY, 200).path("fingerprints").get(0).path("count").asLong())
        .isEqualTo(10);
  }

  @Test
  void alertsAreTheTenantsOwnNewestFirst() throws Exception {
    JsonNode a = api("/api/v1/alerts", "", ACME_KEY, 200);
    assertThat(a.path("alerts")).hasSize(2);
    assertThat(a.path("alerts").get(0).path("kind").asText()).isEqualTo("new_fingerprint");
    assertThat(a.toString()).doesNotContain(QueryTestData.SECRET);
  }

  @Test
  void badQueriesGet400NamingTheParameter() throws Exception {
    Map<String, String> cases = Map.of(
        "limit=0", "limit", "limit=abc", "limit", "limit=101", "limit", "severity=LOUD", "severity",
        "from=yesterday", "from", "traceId=xyz", "traceId", "cursor=" + enc("!!"), "cursor", "colour=red", "colour",
        "from=2000&to=1000", "to");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      JsonNode r = api("/api/v1/search", c.getKey(), ACME_KEY, 400);
      assertThat(r.path("parameter").asText()).as(c.getKey()).isEqualTo(c.getValue());
      assertThat(r.path("error").asText()).startsWith(c.getValue() + ":");
    }
    assertThat(api("/api/v1/histogram", "interval=10", ACME_KEY, 400).path("parameter").asText())
        .isEqualTo("interval");
    assertThat(api("/api/v1/search", "cursor=WzEsMiwzXQ", ACME_KEY, 400).path("parameter").asText())
        .isEqualTo("cursor");
  }

  @Test
  void requestsWithoutAValidKeyGet401() throws Exception {
    assertThat(api("/api/v1/search", "", null, 401).path("error").asText()).contains("API key");
    assertThat(api("/api/v1/search", "", "wrong", 401).path("error").asText()).contains("not recognised");
    assertThat(api("/api/v1/whoami", "", GLOBEX_KEY, 200).path("tenant").asText()).isEqualTo("globex");
  }

  @Test
  void anEngineThatDoesNotAnswerGets504NamingItWithinTheTimeout() throws Exception {
    try (ServerSocket silent = new ServerSocket(0)) { // accepts connections (backlog) and never answers
      QueryConfig config = QueryConfig.defaults(Map.of("acme", List.of(ApiKeys.sha256Hex(ACME_KEY))), false)
          .withOpenSearch(List.of("http://127.0.0.1:" + silent.getLocalPort()), "sluice-logs-")
          .withLimits(100, Duration.ofMillis(500), 1, 4096);
      try (QueryServer slow = new QueryServer(config, Clock.systemUTC()).start()) {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(slow.url() + "api/v1/search"))
            .header("X-API-Key", ACME_KEY).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("opensearch did not answer within 500 ms");
        assertThat(slow.metrics().get("sluice_query_engine_errors_total{engine=\"opensearch\",kind=\"timeout\"}"))
            .isEqualTo(1);
      }
    }
  }

  @Test
  void liveTailStreamsNewLinesOfTheTenantFromNow() throws Exception {
    // a line written before the client connects is not "new"
    kafka.produce(List.of(new QueryTestData(TOPIC).add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR,
        System.currentTimeMillis(), "before the tail", null, false)));
    HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(server.url()
        + "api/v1/tail?severity=ERROR")).header("Authorization", "Bearer " + ACME_KEY).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    ConcurrentLinkedQueue<String> events = new ConcurrentLinkedQueue<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
        String event = null;
        for (String line; (line = in.readLine()) != null;) {
          if (line.startsWith("event: ")) {
            event = line.substring(7);
          } else if (line.startsWith("data: ")) {
            events.add(event + " " + line.substring(6));
          }
        }
      } catch (Exception e) {
        // closed
      }
    });
    reader.setDaemon(true);
    reader.start();
    await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().anyMatch(e -> e.startsWith("ready")));
    QueryTestData live = new QueryTestData(TOPIC);
    long t = System.currentTimeMillis();
    live.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR, t, "live error one", null, true);
    live.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_INFO, t, "live info (filtered out)", null, false);
    live.add("globex", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR, t, "live " + QueryTestData.SECRET, null,
        false);
    live.add("acme", "payments", SeverityNumber.SEVERITY_NUMBER_ERROR, t, "live error two", null, false);
    // both Kafka record formats: every other line as the collector's batch format, the rest one record per line
    List<RawRecord> mixed = new ArrayList<>();
    for (int i = 0; i < live.records.size(); i++) {
      mixed.add(i % 2 == 0 ? TestRecords.toBatchRecord(List.of(live.records.get(i))) : live.records.get(i));
    }
    kafka.produce(mixed);
    await().atMost(Duration.ofSeconds(30)).until(() -> events.stream().filter(e -> e.startsWith("log ")).count() >= 2);
    List<String> bodies = new ArrayList<>();
    for (String e : events) {
      if (e.startsWith("log ")) {
        JsonNode line = JSON.readTree(e.substring(4));
        bodies.add(line.path("body").asText());
        ValidationReport report = validator.validateResponse("/api/v1/search", Request.Method.GET,
            SimpleResponse.Builder.status(200).withContentType("application/json")
                .withBody("{\"total\":1,\"next\":null,\"hits\":["
                    + e.substring(4) + "]}")
                .build());
        assertThat(report.getMessages()).as("a tail line is a LogLine").isEmpty();
      }
    }
    assertThat(bodies).containsExactlyInAnyOrder("live error one", "live error two");
    r.body().close();
  }

  @Test
  void aSlowTailClientIsDroppedWithAReasonWhileOthersKeepReceiving() throws Exception {
    QueryMetrics metrics = new QueryMetrics();
    try (TailHub hub = new TailHub(kafka.bootstrapServers(), TOPIC, 2, 2048, metrics)) {
      TailHub.Client slow = hub.join("acme", e -> true);
      // the same buffer size for both; the reading client's filter lets 2 of the 12 lines through, so it never
      // overflows whatever the scheduling, while the slow one must (12 lines of ~600 bytes > 2048)
      TailHub.Client reading = hub.join("acme", e -> e.body().equals("line 3") || e.body().equals("line 11"));
      assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(HttpError.class,
          () -> hub.join("acme", e -> true)).status).isEqualTo(429);
      List<byte[]> received = new ArrayList<>();
      QueryTestData live = new QueryTestData(TOPIC);
      for (int i = 0; i < 12; i++) {
        live.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_INFO, System.currentTimeMillis(), "line " + i,
            null, false);
      }
      kafka.produce(live.records);
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        byte[] line = reading.next(Duration.ofMillis(100));
        if (line != null && line.length > 0) {
          received.add(line);
        }
        return received.size() == 2;
      });
      assertThat(received).extracting(b -> JSON.readTree(b).path("body").asText())
          .containsExactly("line 3", "line 11");
      assertThat(slow.dropped()).isEqualTo(TailHub.DropReason.SLOW_CLIENT);
      assertThat(reading.dropped()).isNull();
      assertThat(metrics.get("sluice_query_tail_dropped_total{reason=\"slow_client\"}")).isEqualTo(1);
      assertThat(metrics.get("sluice_query_tail_dropped_total{reason=\"too_many_clients\"}")).isEqualTo(1);
      assertThat(hub.clients()).isEqualTo(1);
      // what was buffered before the drop is still delivered, then nothing
      int buffered = 0;
      for (byte[] l; (l = slow.next(Duration.ZERO)) != null;) {
        buffered += l.length > 0 ? 1 : 0;
      }
      assertThat(buffered).isBetween(1, 11);
    }
  }

  // ---- the web UI in headless Chromium (Debian's chromium + chromium-driver; skipped when absent) ----

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final DateTimeFormatter UI_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
      .withZone(ZoneOffset.UTC);
  static WebDriver browser;

  static WebDriver browser() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: the browser tests need Debian's chromium and chromium-driver (/usr/bin/chromium, "
            + "/usr/bin/chromedriver); .ci/run installs them: apt-get install chromium chromium-driver");
    if (browser == null) {
      ChromeOptions options = new ChromeOptions();
      options.setBinary(CHROMIUM.toFile());
      options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,900",
          "--disable-gpu", "--no-first-run", "--disable-extensions");
      ChromeDriverService service = new ChromeDriverService.Builder()
          .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
      browser = new ChromeDriver(service, options);
    }
    return browser;
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  static WebDriverWait waiting(WebDriver d) {
    return new WebDriverWait(d, Duration.ofSeconds(30));
  }

  static void login(WebDriver d) {
    d.get(server.url());
    WebDriverWait wait = waiting(d);
    // a key saved by an earlier test (localStorage) logs in by itself; else the page asks for one
    wait.until(ExpectedConditions.or(ExpectedConditions.textToBe(By.id("tenant"), "tenant: acme"),
        ExpectedConditions.visibilityOfElementLocated(By.id("login"))));
    if (d.findElement(By.id("login")).isDisplayed()) {
      d.findElement(By.id("api-key")).sendKeys(ACME_KEY);
      d.findElement(By.id("login-btn")).click();
    }
    wait.until(ExpectedConditions.textToBe(By.id("tenant"), "tenant: acme"));
  }

  static void searchFor(WebDriver d, String text, long expected) {
    WebElement q = d.findElement(By.id("q"));
    q.clear();
    q.sendKeys(text, Keys.ENTER);
    waiting(d).until(ExpectedConditions.textMatches(By.id("summary"), java.util.regex.Pattern.compile(
        "^" + expected + " matching lines.*")));
    waiting(d).until(x -> x.findElements(By.cssSelector("#results li.line")).size() == expected);
  }

  static void screenshot(WebDriver d, String name) throws Exception {
    Files.write(screenshots().resolve(name), ((TakesScreenshot) d).getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void uiFindsAStackTraceByTextShowsItsMinuteAndFollowsItsTrace() throws Exception {
    WebDriver d = browser();
    login(d);
    waiting(d).until(x -> x.findElements(By.cssSelector("#results li.line")).size() == data.count("acme"));

    searchFor(d, "timed out", 3);
    List<WebElement> lines = d.findElements(By.cssSelector("#results li.line"));
    for (WebElement line : lines) {
      WebElement ex = line.findElement(By.cssSelector(".exception"));
      assertThat(ex.findElement(By.cssSelector(".throwable .title")).getText())
          .isEqualTo("com.example.checkout.PaymentException: could not charge the card");
      assertThat(ex.findElements(By.cssSelector(".throwable:first-child .frame")).get(0).getText())
          .isEqualTo("at com.example.checkout.PaymentClient.charge(PaymentClient.java:88)");
      assertThat(ex.findElement(By.cssSelector(".cause .title")).getText())
          .isEqualTo("Caused by: java.net.SocketTimeoutException: Read timed out");
      assertThat(ex.findElements(By.cssSelector(".cause .frame"))).extracting(WebElement::getText)
          .containsExactly("at java.net.SocketInputStream.socketRead0(SocketInputStream.java)",
              "at okhttp3.internal.http1.Http1ExchangeCodec.readResponseHeaders(Http1ExchangeCodec.java:120)");
    }
    // the histogram shows the matches in their minutes: bars (one per severity in a bucket) add up to 3
    Map<String, Long> byBucket = new java.util.TreeMap<>();
    for (WebElement bar : d.findElements(By.cssSelector("#histogram rect.bar"))) {
      byBucket.put(bar.getAttribute("data-start"), Long.parseLong(bar.getAttribute("data-count")));
    }
    assertThat(byBucket.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);
    long firstError = data.events.stream().filter(e -> e.tenant().equals("acme") && !e.fingerprint().isEmpty())
        .mapToLong(LogEvent::timeMillis).min().orElseThrow();
    assertThat(byBucket.keySet().stream().mapToLong(Long::parseLong))
        .anyMatch(start -> start <= firstError && firstError < start + 60_000L); // the last hour: 1-minute buckets
    screenshot(d, "search.png");

    // the trace link filters by trace id: the error's trace has 3 lines (2 INFO and this ERROR)
    WebElement traced = d.findElements(By.cssSelector("#results a.trace-link")).get(0);
    assertThat(traced.getText()).isEqualTo(TRACE_ID);
    traced.click();
    waiting(d).until(ExpectedConditions.visibilityOfElementLocated(By.id("trace-filter")));
    searchFor(d, "", 3);
    assertThat(d.findElements(By.cssSelector("#results .sev"))).extracting(WebElement::getText)
        .containsExactlyInAnyOrder("ERROR", "INFO", "INFO");
    d.findElement(By.id("trace-clear")).click();
    waiting(d).until(ExpectedConditions.invisibilityOfElementLocated(By.id("trace-filter")));

    // severity filter
    d.findElement(By.id("severity-WARN")).click();
    waiting(d)
        .until(ExpectedConditions.textMatches(By.id("summary"), java.util.regex.Pattern.compile("^5 matching.*")));
    assertThat(d.findElements(By.cssSelector("#results .sev"))).extracting(WebElement::getText).containsOnly("WARN");

    // error fingerprints with first seen and count (the table is redrawn after every search: read it in one go)
    String expectedRow = "3 " + UI_TIME.format(java.time.Instant.ofEpochMilli(firstError));
    waiting(d).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(x -> {
      List<WebElement> rows = x.findElements(By.cssSelector("#fingerprints tbody tr[data-fingerprint]"));
      return rows.size() == 1 && expectedRow.equals(rows.get(0).findElement(By.cssSelector(".count")).getText() + " "
          + rows.get(0).findElement(By.cssSelector(".first-seen")).getText());
    });
    assertThat(d.getPageSource()).doesNotContain(QueryTestData.SECRET);
  }

  @Test
  void uiLiveTailShowsNewLinesAndHoldsThemWhilePaused() throws Exception {
    WebDriver d = browser();
    login(d);
    d.findElement(By.id("service")).sendKeys("storefront");
    d.findElement(By.id("tail-toggle")).click();
    waiting(d).until(ExpectedConditions.textToBe(By.id("tail-status"), "live"));

    QueryTestData live = new QueryTestData(TOPIC);
    long t = System.currentTimeMillis();
    live.add("acme", "storefront", SeverityNumber.SEVERITY_NUMBER_INFO, t, "cart 1 opened", null, false);
    live.add("globex", "storefront", SeverityNumber.SEVERITY_NUMBER_INFO, t, "cart " + QueryTestData.SECRET, null,
        false);
    live.add("acme", "storefront", SeverityNumber.SEVERITY_NUMBER_ERROR, t, "cart 1 checkout failed", TRACE_ID,
        true);
    kafka.produce(live.records);
    waiting(d).until(x -> x.findElements(By.cssSelector("#tail-lines li.line")).size() == 2);

    d.findElement(By.id("tail-toggle")).click(); // pause
    waiting(d).until(ExpectedConditions.textToBe(By.id("tail-status"), "paused, 0 new lines held"));
    QueryTestData more = new QueryTestData(TOPIC);
    for (int i = 2; i <= 4; i++) {
      more.add("acme", "storefront", SeverityNumber.SEVERITY_NUMBER_INFO, System.currentTimeMillis(),
          "cart " + i + " opened", null, false);
    }
    kafka.produce(more.records);
    waiting(d).until(ExpectedConditions.textToBe(By.id("tail-status"), "paused, 3 new lines held"));
    assertThat(d.findElements(By.cssSelector("#tail-lines li.line"))).hasSize(2);

    d.findElement(By.id("tail-toggle")).click(); // resume
    waiting(d).until(x -> x.findElements(By.cssSelector("#tail-lines li.line")).size() == 5);
    assertThat(d.findElements(By.cssSelector("#tail-lines .body"))).extracting(WebElement::getText).containsExactly(
        "cart 1 opened", "cart 1 checkout failed", "cart 2 opened", "cart 3 opened", "cart 4 opened");
    assertThat(d.findElement(By.cssSelector("#tail-lines .cause .title")).getText())
        .isEqualTo("Caused by: java.net.SocketTimeoutException: Read timed out");
    assertThat(d.getPageSource()).doesNotContain(QueryTestData.SECRET);
    screenshot(d, "tail.png");
    d.findElement(By.id("tail-toggle")).click(); // pause again: the page keeps its connection until it is closed
  }

  // ---- the notebook, executed by Jupyter (Debian's jupyter-notebook, jupyter-nbconvert, python3-pandas; skipped
  // when absent) against this service ----

  static final Path NOTEBOOK = Path.of(System.getProperty("notebooks.dir", "notebooks"), "sluice-questions.ipynb");

  static Path notebookOut(String name) throws Exception {
    Path dir = Path.of(System.getProperty("notebooks.out", "target/notebooks"));
    Files.createDirectories(dir);
    return Files.createTempDirectory(dir, name + "-");
  }

  static void assumeJupyter() {
    String why = NotebookRun.unavailable();
    Assumptions.assumeTrue(why == null, () -> "skipped: the notebook test needs Jupyter with pandas: " + why);
  }

  @Test
  void notebookAnswersTheThreeQuestionsFromTheApi() throws Exception {
    assumeJupyter();
    long windowMs = 60_000L;
    NotebookRun run = NotebookRun.execute(NOTEBOOK, notebookOut("answers"), Map.of("SLUICE_URL", server.url(),
        "SLUICE_API_KEY", ACME_KEY, "SLUICE_INCIDENT_TEXT", "timed out", "SLUICE_WINDOW_SECONDS", "60"));
    assertThat(run.exit).as(run.log).isZero();
    for (JsonNode outputs : run.codeCellOutputs()) {
      outputs.forEach(o -> assertThat(o.path("output_type").asText()).as(o.toString()).isNotEqualTo("error"));
    }
    // each question shows a table
    assertThat(run.codeCellOutputs().stream().filter(o -> o.toString().contains("text/html")).count())
        .isGreaterThanOrEqualTo(3);
    String printed = run.stdoutOfCellTagged("answers");
    assertThat(printed).doesNotContain(QueryTestData.SECRET);
    JsonNode answers = JSON.readTree(printed);
    assertThat(answers.path("tenant").asText()).isEqualTo("acme");
    List<LogEvent> acme = data.events.stream().filter(e -> e.tenant().equals("acme")).toList();

    // 1. error rate by service: checkout 3 errors of 32 lines, payments none of 10; the highest rate first
    Map<String, JsonNode> rates = new java.util.HashMap<>();
    answers.path("error_rate").forEach(r -> rates.put(r.path("service").asText(), r));
    Map<String, Long> lines = acme.stream().collect(Collectors.groupingBy(LogEvent::service, Collectors.counting()));
    Map<String, Long> errors = acme.stream().filter(e -> e.severity().isError())
        .collect(Collectors.groupingBy(LogEvent::service, Collectors.counting()));
    assertThat(rates.keySet()).isEqualTo(lines.keySet());
    lines.forEach((service, n) -> {
      long err = errors.getOrDefault(service, 0L);
      assertThat(rates.get(service).path("records").asLong()).as(service).isEqualTo(n);
      assertThat(rates.get(service).path("errors").asLong()).as(service).isEqualTo(err);
      assertThat(rates.get(service).path("error_rate").asDouble()).as(service)
          .isCloseTo((double) err / n, org.assertj.core.data.Offset.offset(1e-9));
    });
    assertThat(answers.path("error_rate").get(0).path("service").asText()).isEqualTo("checkout");
    assertThat(answers.path("error_rate").get(0).path("errors").asLong()).isEqualTo(3);

    // 2. the seeded fingerprint is the top one, with its first seen
    assertThat(answers.path("fingerprints_from").asText()).isEqualTo("cassandra");
    assertTopFingerprintIsTheSeededOne(answers, acme);

    // 3. the newest stack trace matching "timed out", and every line of its service within 60 s of it
    LogEvent incident = acme.stream().filter(e -> e.body().contains("timed out") && !e.exceptionChain().isEmpty())
        .max(java.util.Comparator.comparingLong(LogEvent::timeUnixNano)).orElseThrow();
    assertThat(answers.path("incident").path("body").asText()).isEqualTo(incident.body());
    assertThat(answers.path("incident").path("timeUnixNano").asLong()).isEqualTo(incident.timeUnixNano());
    List<String> expected = acme.stream().filter(e -> e.service().equals(incident.service())
        && Math.abs(e.timeMillis() - incident.timeMillis()) <= windowMs)
        .sorted(java.util.Comparator.comparingLong(LogEvent::timeUnixNano)).map(LogEvent::body).toList();
    assertThat(expected).contains("order 1013 placed", "order 1015 placed", "payment timed out for order 3000");
    List<String> window = new ArrayList<>();
    answers.path("incident_window").forEach(l -> window.add(l.path("body").asText()));
    assertThat(window).containsExactlyElementsOf(expected);
  }

  static void assertTopFingerprintIsTheSeededOne(JsonNode answers, List<LogEvent> events) {
    LogEvent firstError = events.stream().filter(e -> !e.fingerprint().isEmpty())
        .min(java.util.Comparator.comparingLong(LogEvent::timeMillis)).orElseThrow();
    JsonNode top = answers.path("top_fingerprints");
    assertThat(top).as(top.toString()).hasSize(1);
    assertThat(top.get(0).path("fingerprint").asText()).isEqualTo(firstError.fingerprint());
    assertThat(top.get(0).path("service").asText()).isEqualTo("checkout");
    assertThat(top.get(0).path("count").asLong()).isEqualTo(3);
    assertThat(top.get(0).path("firstSeen").asLong()).isEqualTo(firstError.timeMillis());
    assertThat(top.get(0).path("exceptionType").asText()).isEqualTo("com.example.checkout.PaymentException");
  }

  @Test
  void notebookCountsFingerprintsFromTheSearchWhenCassandraHasNone() throws Exception {
    assumeJupyter();
    // the shape of `./sluice demo --ui`: the job wrote per-minute counts but no fingerprints (it ran before the
    // errors were logged). Tenant initech (a service of its own; the other tests never see it): its lines in
    // OpenSearch, their per-minute counts in Cassandra, no fingerprints.
    QueryTestData initech = new QueryTestData(TOPIC);
    long t = System.currentTimeMillis() - 10 * 60_000L;
    for (int i = 0; i < 6; i++) {
      initech.add("initech", "checkout", SeverityNumber.SEVERITY_NUMBER_INFO, t + i * 20_000L, "order " + i + " placed",
          null, false);
    }
    for (int i = 0; i < 3; i++) {
      initech.add("initech", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR, t + 5_000L + i * 30_000L,
          "payment timed out for order " + i, null, true);
    }
    try (Sink<LogEvent> sink = new OpenSearchSinkFactory(OpenSearchConnection.of(opensearch.url()), "sluice-logs-",
        true, 0).open()) {
      sink.write(initech.events);
    }
    HTTP.send(HttpRequest.newBuilder(URI.create(opensearch.url() + "/sluice-logs-*/_refresh"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    CassandraSettings settings = new CassandraSettings(List.of(cassandra.contactPoint()), "datacenter1", "sluice");
    try (Sink<MinuteAggregate> sink = CassandraAggregateSink.factory(settings).open()) {
      sink.write(initech.aggregates());
    }
    String key = "initech-key-1";
    QueryConfig config = QueryConfig.defaults(Map.of("initech", List.of(ApiKeys.sha256Hex(key))), false)
        .withOpenSearch(List.of(opensearch.url()), "sluice-logs-")
        .withCassandra(List.of(cassandra.contactPoint()), "datacenter1", "sluice")
        .withLimits(100, Duration.ofSeconds(20), 4, 1 << 20);
    try (QueryServer initechServer = new QueryServer(config, Clock.systemUTC()).start()) {
      assertThat(api(initechServer, "/api/v1/fingerprints", key).path("fingerprints")).isEmpty();
      NotebookRun run = NotebookRun.execute(NOTEBOOK, notebookOut("search-fingerprints"), Map.of("SLUICE_URL",
          initechServer.url(), "SLUICE_API_KEY", key, "SLUICE_INCIDENT_TEXT", "timed out"));
      assertThat(run.exit).as(run.log).isZero();
      JsonNode answers = JSON.readTree(run.stdoutOfCellTagged("answers"));
      assertThat(answers.path("tenant").asText()).isEqualTo("initech");
      assertThat(answers.path("error_rate").get(0).path("errors").asLong()).isEqualTo(3);
      // the answer the job's fingerprints would give, counted from the error lines OpenSearch returns
      assertThat(answers.path("fingerprints_from").asText()).isEqualTo("search");
      assertTopFingerprintIsTheSeededOne(answers, initech.events);
    }
  }

  static JsonNode api(QueryServer other, String path, String key) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(other.url() + path.substring(1)))
        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  @Test
  void notebookFailsTheRunWhenAQuestionFindsNothing() throws Exception {
    assumeJupyter();
    NotebookRun run = NotebookRun.execute(NOTEBOOK, notebookOut("nothing"), Map.of("SLUICE_URL", server.url(),
        "SLUICE_API_KEY", ACME_KEY, "SLUICE_INCIDENT_TEXT", "nosuchwordanywhere"));
    assertThat(run.exit).as(run.log).isNotZero();
    assertThat(run.log).contains("AssertionError")
        .contains("no ERROR/FATAL line with a stack trace matches 'nosuchwordanywhere'");
  }

  static final String TRACE_ID = QueryTestData.TRACE;

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static Path screenshots() throws Exception {
    Path dir = Path.of(System.getProperty("screenshots.dir", "target/screenshots"));
    Files.createDirectories(dir);
    return dir;
  }

  static String ids(JsonNode hits) {
    List<String> out = new ArrayList<>();
    hits.forEach(h -> out.add(h.path("id").asText()));
    return out.stream().collect(Collectors.joining(","));
  }
}
