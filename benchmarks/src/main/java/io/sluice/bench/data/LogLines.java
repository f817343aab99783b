package io.sluice.bench.data;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.record.Values;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Realistic application log lines, deterministic for a seed: ISO timestamps that advance by a few milliseconds,
 * skewed levels (mostly INFO), a service's class names, pool thread names, 16-hex request ids, and ~30 message
 * shapes (HTTP access, SQL timings, cache hits, retries, payment and order events, warnings with exceptions' text)
 * whose numbers, ids and names vary. Repetition is the one real logs have: the same few templates with varying
 * fields, which is what zstd's ratio depends on. Not thread-safe: one generator per thread.
 */
public final class LogLines {

  /** One generated event: what an appender call gets (template + arguments) and its formatted message. */
  public record Event(long epochMillis, String level, String logger, String thread, String requestId,
      String template, Object[] args, String message) {

    /** The line as a text logger would print it (what the agent would tail). */
    public String asText() {
      return Instant.ofEpochMilli(epochMillis) + " " + level + (level.length() == 4 ? "  [" : " [") + thread + "] "
          + logger + " - req=" + requestId + " " + message;
    }
  }

  private static final String[] PACKAGES = {"com.example.checkout", "com.example.checkout.payment",
      "com.example.inventory", "com.example.web", "com.example.persistence", "com.example.cache",
      "org.springframework.web.servlet", "org.hibernate.SQL", "io.netty.channel"};
  private static final String[] CLASSES = {"OrderService", "PaymentGateway", "StockLevels", "RequestLogFilter",
      "CustomerRepository", "PriceCache", "DispatcherServlet", "SessionImpl", "DefaultChannelPipeline",
      "CartController", "ShippingQuoteClient", "FraudCheck", "InvoiceRenderer", "RetryTemplate"};
  private static final String[] THREADS = {"http-nio-8080-exec-", "kafka-producer-network-thread-", "scheduling-",
      "ForkJoinPool.commonPool-worker-", "pool-3-thread-", "main"};
  private static final String[] PATHS = {"/api/v1/orders", "/api/v1/cart", "/api/v1/customers/{id}",
      "/api/v2/payments", "/health", "/api/v1/inventory/sku", "/api/v1/shipping/quote"};
  private static final String[] METHODS = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  private static final String[] TABLES = {"orders", "order_lines", "customers", "payments", "stock", "invoices"};
  private static final String[] CURRENCIES = {"EUR", "USD", "GBP", "CHF"};
  private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "NL", "ES", "IT", "CH"};
  private static final String[] ERRORS = {"java.net.SocketTimeoutException: Read timed out",
      "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
      "org.springframework.dao.OptimisticLockingFailureException: Row was updated or deleted by another transaction",
      "java.io.IOException: Broken pipe", "com.example.payment.DeclinedException: card declined (code 51)"};
  private static final String[] WORDS = {"customer", "order", "cart", "session", "token", "refresh", "quote",
      "warehouse", "region", "carrier", "discount", "coupon", "priority", "express", "standard", "retry", "cache",
      "tenant", "account", "invoice", "batch", "window", "partition", "shard", "replica", "lease"};

  private final SplittableRandom random;
  private final int targetMessageBytes;
  private long clockMillis = 1_795_000_000_000L;

  /**
   * @param seed fixes the sequence
   * @param targetMessageBytes 0 for natural lengths (about 60–200 bytes); otherwise each message is padded with
   *     realistic key=value detail to about this many bytes (UTF-8), or cut to it
   */
  public LogLines(long seed, int targetMessageBytes) {
    this.random = new SplittableRandom(seed);
    this.targetMessageBytes = targetMessageBytes;
  }

  public LogLines(long seed) {
    this(seed, 0);
  }

  public Event next() {
    clockMillis += random.nextInt(0, 8);
    int l = random.nextInt(100);
    String level = l < 4 ? "ERROR" : l < 12 ? "WARN" : l < 25 ? "DEBUG" : "INFO";
    String pkg = PACKAGES[random.nextInt(PACKAGES.length)];
    String cls = CLASSES[random.nextInt(CLASSES.length)];
    String threadPrefix = THREADS[random.nextInt(THREADS.length)];
    String thread = threadPrefix.equals("main") ? "main" : threadPrefix + (1 + random.nextInt(24));
    String requestId = hex16();
    String template;
    Object[] args;
    switch (level.equals("ERROR") || level.equals("WARN") ? 100 + random.nextInt(4) : random.nextInt(9)) {
      case 0 -> {
        template = "{} {} -> {} in {} ms ({} bytes)";
        args = new Object[] {METHODS[random.nextInt(METHODS.length)], PATHS[random.nextInt(PATHS.length)],
            pick(200, 200, 200, 201, 204, 304, 400, 404), random.nextInt(1, 900), random.nextInt(120, 48_000)};
      }
      case 1 -> {
        template = "order {} placed for customer {}: {} items, total {} {}";
        args = new Object[] {random.nextLong(10_000_000L, 99_999_999L), "c-" + random.nextInt(1, 500_000),
            random.nextInt(1, 12), money(), CURRENCIES[random.nextInt(CURRENCIES.length)]};
      }
      case 2 -> {
        template = "select from {} where id = ? took {} ms, {} rows";
        args = new Object[] {TABLES[random.nextInt(TABLES.length)], random.nextInt(0, 250), random.nextInt(0, 400)};
      }
      case 3 -> {
        template = "cache {} for key {}:{} (size {}, hit ratio {})";
        args = new Object[] {random.nextBoolean() ? "hit" : "miss", WORDS[random.nextInt(WORDS.length)],
            random.nextInt(1, 1_000_000), random.nextInt(1_000, 65_536), String.format("%.3f", random.nextDouble())};
      }
      case 4 -> {
        template = "payment {} authorised via {} for {} {} in {} ms";
        args = new Object[] {"pay_" + hex16(), random.nextBoolean() ? "adyen" : "stripe", money(),
            CURRENCIES[random.nextInt(CURRENCIES.length)], random.nextInt(40, 1_800)};
      }
      case 5 -> {
        template = "shipping quote for {} parcels to {}: {} options, cheapest {} EUR";
        args = new Object[] {random.nextInt(1, 6), COUNTRIES[random.nextInt(COUNTRIES.length)],
            random.nextInt(1, 7), money()};
      }
      case 6 -> {
        template = "stock level of sku {} in warehouse {} is {} (reserved {})";
        args = new Object[] {"SKU-" + random.nextInt(100_000, 999_999), "wh-" + random.nextInt(1, 9),
            random.nextInt(0, 5_000), random.nextInt(0, 200)};
      }
      case 7 -> {
        template = "user {} logged in from {} using {}";
        args = new Object[] {"u" + random.nextInt(1, 2_000_000), ip(), random.nextBoolean() ? "password" : "sso"};
      }
      case 8 -> {
        template = "scheduled job {} finished: {} processed, {} skipped in {} s";
        args = new Object[] {WORDS[random.nextInt(WORDS.length)] + "-sync", random.nextInt(0, 100_000),
            random.nextInt(0, 50), random.nextInt(1, 600)};
      }
      case 100 -> {
        template = "retrying call to {} (attempt {} of {}) after {}";
        args = new Object[] {
            "http://" + WORDS[random.nextInt(WORDS.length)] + "-svc:8080" + PATHS[random.nextInt(PATHS.length)],
            random.nextInt(1, 4), 3, ERRORS[random.nextInt(ERRORS.length)]};
      }
      case 101 -> {
        template = "slow request {} {}: {} ms over the {} ms budget";
        args = new Object[] {METHODS[random.nextInt(METHODS.length)], PATHS[random.nextInt(PATHS.length)],
            random.nextInt(1_000, 9_000), 1_000};
      }
      case 102 -> {
        template = "failed to process order {}: {}";
        args = new Object[] {random.nextLong(10_000_000L, 99_999_999L), ERRORS[random.nextInt(ERRORS.length)]};
      }
      default -> {
        template = "connection pool {} exhausted: {} active, {} idle, {} waiting";
        args = new Object[] {"HikariPool-" + random.nextInt(1, 3), random.nextInt(8, 32), 0, random.nextInt(1, 80)};
      }
    }
    String message = format(template, args);
    if (targetMessageBytes > 0) {
      StringBuilder sb = new StringBuilder(message);
      while (utf8Length(sb) < targetMessageBytes) {
        sb.append(' ').append(WORDS[random.nextInt(WORDS.length)]).append('=').append(random.nextInt(0, 100_000));
      }
      message = sb.length() > targetMessageBytes ? sb.substring(0, targetMessageBytes) : sb.toString();
    }
    return new Event(clockMillis, level, pkg + "." + cls, thread, requestId, template, args, message);
  }

  /** A {@code sluice.v1.LogRecord} for this event, filled the way the Logback appender fills one. */
  public static LogRecord toRecord(Event e) {
    LogRecord.Builder b = LogRecord.newBuilder()
        .setTimeUnixNano(e.epochMillis() * 1_000_000L)
        .setObservedTimeUnixNano(e.epochMillis() * 1_000_000L + 150_000)
        .setSeverityNumber(severity(e.level()))
        .setSeverityText(e.level())
        .setBody(Values.of(e.message()))
        .setLogger(e.logger())
        .setThreadName(e.thread())
        .setThreadId(e.thread().hashCode() & 0xffff)
        .setMessageTemplate(e.template())
        .addAttributes(KeyValue.newBuilder().setKey("request.id").setValue(Values.of(e.requestId())));
    for (Object a : e.args()) b.addMessageArguments(Values.of(a));
    return b.build();
  }

  /** {@code n} records from a fresh generator. */
  public static List<LogRecord> records(long seed, int n, int targetMessageBytes) {
    LogLines g = new LogLines(seed, targetMessageBytes);
    List<LogRecord> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add(toRecord(g.next()));
    return out;
  }

  /** {@code n} text lines, newline-terminated, as one UTF-8 block. */
  public static byte[] textBlock(long seed, int n) {
    LogLines g = new LogLines(seed);
    StringBuilder sb = new StringBuilder(n * 160);
    for (int i = 0; i < n; i++) sb.append(g.next().asText()).append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static SeverityNumber severity(String level) {
    return switch (level) {
      case "ERROR" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
      case "WARN" -> SeverityNumber.SEVERITY_NUMBER_WARN;
      case "DEBUG" -> SeverityNumber.SEVERITY_NUMBER_DEBUG;
      default -> SeverityNumber.SEVERITY_NUMBER_INFO;
    };
  }

  private Object pick(int... values) {
    return values[random.nextInt(values.length)];
  }

  private String money() {
    return random.nextInt(1, 2_000) + "." + (10 + random.nextInt(90));
  }

  private String ip() {
    return "10." + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(1, 255);
  }

  private String hex16() {
    String h = Long.toHexString(random.nextLong());
    return h.length() == 16 ? h : "0".repeat(16 - h.length()) + h;
  }

  /** SLF4J-style "{}" formatting (no escapes needed: the templates are ours). */
  static String format(String template, Object[] args) {
    StringBuilder sb = new StringBuilder(template.length() + 16 * args.length);
    int from = 0;
    for (Object a : args) {
      int at = template.indexOf("{}", from);
      if (at < 0) break;
      sb.append(template, from, at).append(a);
      from = at + 2;
    }
    return sb.append(template, from, template.length()).toString();
  }

  private static int utf8Length(CharSequence s) {
    return s.length(); // the vocabulary above is ASCII
  }
}
