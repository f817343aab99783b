package io.sluice.collector.ingest.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.ingest.RequestIngest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sluice's own HTTP/JSON ingest, {@code POST /v1/sluice/logs}, and its OpenAPI 3 document, {@code GET /openapi.yaml}
 * (the contract: request and response shapes, every status code). Same credentials headers as OTLP/HTTP
 * ({@code Authorization: Bearer <JWT>}, {@code X-API-Key}). The answer is written from the publisher's callback
 * once Kafka acknowledged every record, never blocking an HTTP thread. Thread-safe.
 */
public final class SluiceHttpHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(SluiceHttpHandler.class);
  public static final String PATH = "/v1/sluice/logs";
  public static final String OPENAPI_PATH = "/openapi.yaml";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String JSON = "application/json";

  private final RequestIngest ingest;
  private final int maxBytes;
  private final int maxDecodedBytes;

  public SluiceHttpHandler(RequestIngest ingest, int maxBytes, int maxDecodedBytes) {
    this.ingest = ingest;
    this.maxBytes = maxBytes;
    this.maxDecodedBytes = maxDecodedBytes;
  }

  /** The OpenAPI document, as served. */
  public static byte[] openApi() {
    try (InputStream in = SluiceHttpHandler.class.getResourceAsStream("openapi.yaml")) {
      return in.readAllBytes();
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("openapi.yaml is missing from the collector jar", e);
    }
  }

  /** Serves {@link #openApi()}. */
  public static HttpHandler openApiHandler() {
    byte[] doc = openApi();
    return ex -> HttpBodies.respond(ex, 200, "application/yaml", doc, 0);
  }

  @Override
  public void handle(HttpExchange ex) {
    if (!ex.getRequestMethod().equals("POST")) {
      error(ex, 405, "use POST", null, 0);
      return;
    }
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type == null || !type.toLowerCase().startsWith(JSON)) {
      error(ex, 415, "Content-Type must be application/json", null, 0);
      return;
    }
    RequestIngest.Part part;
    try {
      part = SluiceJson.parse(HttpBodies.read(ex, maxBytes, maxDecodedBytes), System.currentTimeMillis() * 1_000_000);
    } catch (HttpBodies.TooLarge e) {
      error(ex, 413, e.getMessage(), null, 0);
      return;
    } catch (SluiceJson.BadField e) {
      error(ex, 400, e.getMessage(), e.field, 0);
      return;
    } catch (IOException e) {
      error(ex, 400, e.getMessage(), null, 0);
      return;
    }
    Principal principal;
    try {
      principal = ingest.authenticate(OtlpHttpHandler.credentials(ex),
          ex.getRequestHeaders().getFirst("Sluice-Tenant"), null);
    } catch (AuthException e) {
      error(ex, e.status().getCode() == io.grpc.Status.Code.PERMISSION_DENIED ? 403 : 401,
          e.status().getDescription(), null, 0);
      return;
    }
    int count = part.records().size();
    try {
      ingest.publish(principal, "http", List.of(part)).whenComplete((ok, failure) -> {
        if (failure == null) {
          HttpBodies.respond(ex, 200, JSON, MAPPER.createObjectNode().put("accepted", count).toString()
              .getBytes(StandardCharsets.UTF_8), 0);
        } else {
          log.warn("Kafka did not acknowledge an HTTP request: {}", failure.toString());
          if (io.sluice.collector.publish.PublishException.retryable(failure)) {
            error(ex, 503, "Kafka did not acknowledge: " + failure + "; send the request again", null, 1000);
          } else {
            error(ex, 500, "Kafka refused for good: " + failure + "; do not send it again", null, 0);
          }
        }
      });
    } catch (io.sluice.collector.ingest.Rejected e) {
      int status = switch (e.reason()) {
        case RATE_LIMITED -> 429;
        case FORBIDDEN_TOPIC -> 403;
        default -> e.reason().retryable() ? 503 : 400;
      };
      error(ex, status, e.getMessage(), e.reason() == io.sluice.collector.NackReason.TOO_MANY_RECORDS ? "records"
          : null, e.retryAfterMs());
    } catch (RuntimeException e) {
      log.warn("an HTTP request failed unexpectedly", e);
      error(ex, 500, e.toString(), null, 0);
    }
  }

  private static void error(HttpExchange ex, int status, String message, String field, long retryAfterMs) {
    ObjectNode n = MAPPER.createObjectNode().put("code", status).put("message", message == null ? "" : message);
    if (field != null) {
      n.put("field", field);
    }
    HttpBodies.respond(ex, status, JSON, n.toString().getBytes(StandardCharsets.UTF_8),
        status == 429 || status == 503 ? Math.max(1, retryAfterMs) : 0);
  }
}
