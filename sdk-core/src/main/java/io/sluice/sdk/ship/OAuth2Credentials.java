package io.sluice.sdk.ship;

import io.sluice.sdk.thread.SluiceThreads;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@code Bearer} tokens from an OAuth2 token endpoint with the client-credentials grant (RFC 6749 §4.4), as Keycloak
 * and other OIDC providers issue them to services. The token endpoint is given directly ({@code oauth2TokenUrl}) or
 * found in the issuer's discovery document ({@code <oauth2Issuer>/.well-known/openid-configuration}, its
 * {@code token_endpoint}). The client authenticates with HTTP Basic ({@code client_secret_basic}); its secret is a
 * string or a file re-read before every request, so it can rotate too. {@code scope} and {@code audience} are sent
 * when set.
 *
 * <p>One daemon thread ({@code sluice-oauth2}) fetches a token at start and again at {@link #REFRESH_AT} of its
 * {@code expires_in} (60 s when the endpoint sends none), so a new stream always gets a token with most of its life
 * left; a failed fetch is retried with {@link Backoff} (1 s doubling to 60 s, full jitter), counted in
 * {@link #failures()}, and the old token is used while it is still valid. {@link #refused} (the collector answered
 * UNAUTHENTICATED) fetches a new token at once. {@link #current()} never does I/O; it waits only for the very first
 * token, at most the request timeout. Uses the JDK's HTTP client (no dependency) and gRPC's bundled JSON parser.
 * Thread-safe.
 */
final class OAuth2Credentials implements Credentials {
  /** Share of a token's lifetime after which a new one is fetched. */
  static final double REFRESH_AT = 0.8;
  static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final OAuth2Settings settings;
  private final HttpClient http;
  private final ExecutorService httpExecutor;
  private final Thread thread;
  private final Backoff backoff = new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60));
  private final java.util.concurrent.atomic.LongAdder fetched = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder failures = new java.util.concurrent.atomic.LongAdder();
  private URI tokenEndpoint; // discovered once; only the refresh thread writes it
  private String token; // "Bearer <access_token>", guarded by this
  private long expiresAtNanos; // guarded by this
  private long version; // guarded by this
  private String lastError; // guarded by this
  private boolean attempted; // a fetch finished, well or not; guarded by this
  private boolean refreshNow; // guarded by this
  private volatile boolean closed;

  OAuth2Credentials(OAuth2Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    if (settings.issuer() == null && settings.tokenUrl() == null) {
      throw new IllegalArgumentException("an issuer or a token URL is required");
    }
    this.tokenEndpoint = settings.tokenUrl();
    this.httpExecutor = Executors.newSingleThreadExecutor(SluiceThreads.factory("sluice-oauth2-http"));
    this.http = HttpClient.newBuilder().connectTimeout(TIMEOUT).executor(httpExecutor)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    this.thread = SluiceThreads.newThread(this::run, "sluice-oauth2");
    thread.start();
  }

  @Override
  public synchronized String current() {
    long deadline = System.nanoTime() + TIMEOUT.toNanos() + TimeUnit.SECONDS.toNanos(1);
    while (!attempted && !closed) { // the first token: worth a short wait rather than a failed stream
      long left = deadline - System.nanoTime();
      if (left <= 0) break;
      try {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (token != null && System.nanoTime() - expiresAtNanos < 0) {
      return token;
    }
    throw new Unavailable("no valid OAuth2 token from " + where() + (lastError == null ? " yet" : ": " + lastError)
        + "; retrying with backoff", null);
  }

  @Override
  public synchronized long version() {
    return version;
  }

  @Override
  public synchronized void refused(String value) {
    if (value != null && value.equals(token)) {
      token = null; // the collector does not take it (revoked, a new signing key): never send it again
      refreshNow = true;
      notifyAll();
    }
  }

  /** Tokens received. */
  long fetched() {
    return fetched.sum();
  }

  /** Failed token requests (discovery, connection, HTTP status, response). */
  long failures() {
    return failures.sum();
  }

  private String where() {
    return tokenEndpoint != null ? tokenEndpoint.toString() : settings.issuer() + " (discovery)";
  }

  private void run() {
    while (!closed) {
      long waitNanos;
      try {
        Token t = fetch();
        long now = System.nanoTime();
        synchronized (this) {
          token = "Bearer " + t.accessToken();
          expiresAtNanos = now + t.lifetime().toNanos();
          version++;
          lastError = null;
          attempted = true;
          notifyAll();
        }
        fetched.increment();
        backoff.reset();
        waitNanos = (long) (t.lifetime().toNanos() * REFRESH_AT);
      } catch (IOException | RuntimeException e) {
        failures.increment();
        synchronized (this) {
          lastError = e.getMessage() == null ? e.toString() : e.getMessage();
          attempted = true;
          notifyAll();
        }
        waitNanos = TimeUnit.MILLISECONDS.toNanos(backoff.nextDelayMs());
      } catch (InterruptedException e) {
        return;
      }
      synchronized (this) {
        long until = System.nanoTime() + waitNanos;
        while (!closed && !refreshNow) {
          long left = until - System.nanoTime();
          if (left <= 0) break;
          try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          } catch (InterruptedException e) {
            return;
          }
        }
        refreshNow = false;
      }
    }
  }

  record Token(String accessToken, Duration lifetime) {}

  private Token fetch() throws IOException, InterruptedException {
    if (tokenEndpoint == null) {
      tokenEndpoint = discover();
    }
    StringBuilder form = new StringBuilder("grant_type=client_credentials");
    if (settings.scope() != null && !settings.scope().isBlank()) form.append("&scope=").append(enc(settings.scope()));
    if (settings.audience() != null && !settings.audience().isBlank()) {
      form.append("&audience=").append(enc(settings.audience()));
    }
    String basic = Base64.getEncoder().encodeToString((enc(settings.clientId()) + ":" + enc(secret()))
        .getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(tokenEndpoint).timeout(TIMEOUT)
        .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json")
        .header("Authorization", "Basic " + basic)
        .POST(HttpRequest.BodyPublishers.ofString(form.toString())).build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    Map<String, ?> body = json(response, "token endpoint " + tokenEndpoint);
    if (response.statusCode() != 200) {
      Object error = body == null ? null : body.get("error");
      Object description = body == null ? null : body.get("error_description");
      throw new IOException("token endpoint " + tokenEndpoint + " answered HTTP " + response.statusCode()
          + (error == null ? "" : " " + error) + (description == null ? "" : " (" + description + ")")
          + (response.statusCode() == 401 ? "; check oauth2ClientId and the client secret" : ""));
    }
    Object access = body.get("access_token");
    if (!(access instanceof String s) || s.isBlank()) {
      throw new IOException("token endpoint " + tokenEndpoint + " answered without an access_token");
    }
    Object type = body.get("token_type");
    if (type instanceof String ty && !ty.equalsIgnoreCase("Bearer")) {
      throw new IOException("token endpoint " + tokenEndpoint + " issued a \"" + ty + "\" token; a Bearer token is"
          + " needed");
    }
    Duration lifetime = DEFAULT_LIFETIME;
    Object expiresIn = body.get("expires_in");
    if (expiresIn instanceof Number n && n.doubleValue() > 0) {
      lifetime = Duration.ofMillis((long) (n.doubleValue() * 1000));
    } else if (expiresIn instanceof String str && str.matches("\\d{1,9}")) {
      lifetime = Duration.ofSeconds(Long.parseLong(str));
    }
    return new Token(s.strip(), lifetime);
  }

  private URI discover() throws IOException, InterruptedException {
    String base = settings.issuer().toString();
    URI doc = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
        + "/.well-known/openid-configuration");
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(doc).timeout(TIMEOUT)
        .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException("OIDC discovery " + doc + " answered HTTP " + response.statusCode()
          + "; check oauth2Issuer (Keycloak: https://<host>/realms/<realm>)");
    }
    Map<String, ?> body = json(response, "OIDC discovery " + doc);
    Object endpoint = body == null ? null : body.get("token_endpoint");
    if (!(endpoint instanceof String s) || s.isBlank()) {
      throw new IOException("OIDC discovery " + doc + " names no token_endpoint; set oauth2TokenUrl instead");
    }
    try {
      return URI.create(s);
    } catch (IllegalArgumentException e) {
      throw new IOException("OIDC discovery " + doc + " names a token_endpoint that is not a URL: " + s, e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, ?> json(HttpResponse<String> response, String what) throws IOException {
    String text = response.body();
    if (text == null || text.isBlank()) return null;
    if (text.length() > (256 << 10)) {
      throw new IOException(what + " answered " + text.length() + " characters, more than any token response");
    }
    try {
      Object parsed = io.grpc.internal.JsonParser.parse(text);
      return parsed instanceof Map<?, ?> m ? (Map<String, ?>) m : null;
    } catch (IOException | RuntimeException e) {
      if (response.statusCode() != 200) return null; // the status says more than an HTML error page
      throw new IOException(what + " answered HTTP " + response.statusCode() + " with a body that is not JSON: "
          + e.getMessage(), e);
    }
  }

  private String secret() throws IOException {
    if (settings.clientSecretFile() != null) {
      try {
        return Files.readString(settings.clientSecretFile(), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IOException("oauth2ClientSecretFile " + settings.clientSecretFile() + " cannot be read ("
            + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
      }
    }
    return settings.clientSecret() == null ? "" : settings.clientSecret();
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      notifyAll();
    }
    thread.interrupt();
    httpExecutor.shutdownNow();
  }
}
