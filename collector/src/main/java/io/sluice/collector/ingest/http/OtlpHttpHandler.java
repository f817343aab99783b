package io.sluice.collector.ingest.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.ingest.RequestIngest;
import io.sluice.collector.ingest.otlp.OtlpJson;
import io.sluice.collector.ingest.otlp.OtlpLogs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/HTTP logs, {@code POST /v1/logs}: {@code application/x-protobuf} or {@code application/json} (the OTLP JSON
 * mapping), optionally {@code Content-Encoding: gzip}. Credentials: {@code Authorization: Bearer <JWT>} or
 * {@code X-API-Key: <key>}; {@code Sluice-Tenant} may name the tenant. Answers 200 with an empty
 * ExportLogsServiceResponse in the request's encoding after Kafka acknowledged every record; errors carry a
 * {@code google.rpc.Status} in that encoding: 400 (bad body), 401/403, 413 (over limits.maxFrameBytes or
 * maxDecompressedBytes), 415, 429 with Retry-After (tenant rate limit), 503 with Retry-After (Kafka, busy, shutting
 * down), as the OTLP specification asks. The response is written from the publisher's callback, never blocking
 * an HTTP thread. Thread-safe.
 */
public final class OtlpHttpHandler implements HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(OtlpHttpHandler.class);
  static final String PROTOBUF = "application/x-protobuf";
  static final String JSON = "application/json";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final RequestIngest ingest;
  private final int maxBytes;
  private final int maxDecodedBytes;

  public OtlpHttpHandler(RequestIngest ingest, int maxBytes, int maxDecodedBytes) {
    this.ingest = ingest;
    this.maxBytes = maxBytes;
    this.maxDecodedBytes = maxDecodedBytes;
  }

  @Override
  public void handle(HttpExchange ex) {
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    boolean json = type != null && type.toLowerCase().startsWith(JSON);
    if (!ex.getRequestMethod().equals("POST")) {
      error(ex, json, 405, "use POST", 0);
      return;
    }
    if (!json && (type == null || !type.toLowerCase().startsWith(PROTOBUF))) {
      error(ex, false, 415, "Content-Type must be " + PROTOBUF + " or " + JSON, 0);
      return;
    }
    ExportLogsServiceRequest request;
    try {
      byte[] body = HttpBodies.read(ex, maxBytes, maxDecodedBytes);
      request = json ? OtlpJson.parse(body) : ExportLogsServiceRequest.parseFrom(body);
    } catch (HttpBodies.TooLarge e) {
      error(ex, json, 413, e.getMessage(), 0);
      return;
    } catch (InvalidProtocolBufferException e) {
      error(ex, json, 400, "the body is not an ExportLogsServiceRequest: " + e.getMessage(), 0);
      return;
    } catch (IllegalArgumentException | IOException e) {
      error(ex, json, 400, e.getMessage(), 0);
      return;
    }
    Principal principal;
    try {
      principal = ingest.authenticate(credentials(ex), ex.getRequestHeaders().getFirst("Sluice-Tenant"), null);
    } catch (AuthException e) {
      error(ex, json, e.status().getCode() == io.grpc.Status.Code.PERMISSION_DENIED ? 403 : 401,
          e.status().getDescription(), 0);
      return;
    }
    try {
      ingest.publish(principal, "otlp", OtlpLogs.toParts(request)).whenComplete((ok, error) -> {
        if (error == null) {
          HttpBodies.respond(ex, 200, json ? JSON : PROTOBUF,
              json ? "{}".getBytes(StandardCharsets.UTF_8)
                  : ExportLogsServiceResponse.getDefaultInstance().toByteArray(),
              0);
        } else {
          log.warn("Kafka did not acknowledge an OTLP/HTTP request: {}", error.toString());
          if (io.sluice.collector.publish.PublishException.retryable(error)) {
            error(ex, json, 503, "Kafka did not acknowledge: " + error, 1000);
          } else { // OTLP clients do not retry a 500
            error(ex, json, 500, "Kafka refused for good: " + error, 0);
          }
        }
      });
    } catch (io.sluice.collector.ingest.Rejected e) {
      int status = switch (e.reason()) {
        case RATE_LIMITED -> 429;
        case FORBIDDEN_TOPIC -> 403;
        default -> e.reason().retryable() ? 503 : 400;
      };
      error(ex, json, status, e.getMessage(), e.retryAfterMs());
    } catch (RuntimeException e) {
      log.warn("an OTLP/HTTP request failed unexpectedly", e);
      error(ex, json, 500, e.toString(), 0);
    }
  }

  /** {@code Authorization} as is (a bearer token), else {@code X-API-Key}, else "". */
  static String credentials(HttpExchange ex) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null && !auth.isBlank()) {
      return auth;
    }
    String key = ex.getRequestHeaders().getFirst("X-API-Key");
    return key == null ? "" : key;
  }

  private static void error(HttpExchange ex, boolean json, int status, String message, long retryAfterMs) {
    int code = switch (status) {
      case 400, 413, 415 -> com.google.rpc.Code.INVALID_ARGUMENT_VALUE;
      case 401 -> com.google.rpc.Code.UNAUTHENTICATED_VALUE;
      case 403 -> com.google.rpc.Code.PERMISSION_DENIED_VALUE;
      case 429 -> com.google.rpc.Code.RESOURCE_EXHAUSTED_VALUE;
      case 503 -> com.google.rpc.Code.UNAVAILABLE_VALUE;
      default -> com.google.rpc.Code.INTERNAL_VALUE;
    };
    byte[] body;
    if (json) {
      ObjectNode n = MAPPER.createObjectNode().put("code", code).put("message", message);
      body = n.toString().getBytes(StandardCharsets.UTF_8);
    } else {
      body = com.google.rpc.Status.newBuilder().setCode(code).setMessage(message).build().toByteArray();
    }
    HttpBodies.respond(ex, status, json ? JSON : PROTOBUF, body, retryAfterMs);
  }
}
