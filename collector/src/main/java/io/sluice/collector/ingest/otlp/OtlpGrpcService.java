package io.sluice.collector.ingest.otlp;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.sluice.collector.auth.AuthException;
import io.sluice.collector.auth.Principal;
import io.sluice.collector.auth.TlsSessions;
import io.sluice.collector.ingest.RequestIngest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code opentelemetry.proto.collector.logs.v1.LogsService/Export} on the collector's gRPC listener: any
 * OpenTelemetry SDK or collector can send logs. Credentials come from the call's metadata: {@code authorization:
 * Bearer <JWT>} or {@code x-api-key: <key>} (else the TLS client certificate, else anonymous if enabled);
 * {@code sluice-tenant} may name the tenant. The response is sent only after Kafka acknowledged every record.
 *
 * <p>Errors follow the OTLP specification: UNAUTHENTICATED / PERMISSION_DENIED, INVALID_ARGUMENT (not retryable),
 * RESOURCE_EXHAUSTED with a {@code google.rpc.RetryInfo} delay when the tenant is over its rate limit, UNAVAILABLE
 * with a RetryInfo when Kafka did not acknowledge or the collector is busy or shutting down. Never blocks a gRPC
 * thread. Thread-safe.
 */
public final class OtlpGrpcService extends LogsServiceGrpc.LogsServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(OtlpGrpcService.class);
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> API_KEY = Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> TENANT = Metadata.Key.of("sluice-tenant", Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<Metadata> HEADERS = Context.key("sluice-otlp-headers");

  private final RequestIngest ingest;

  public OtlpGrpcService(RequestIngest ingest) {
    this.ingest = ingest;
  }

  /** Makes a call's metadata visible to {@link #export}; install it with {@code ServerInterceptors.intercept}. */
  public static ServerInterceptor headers() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(HEADERS, headers), call, headers, next);
      }
    };
  }

  /** With a request marshaller that never throws: undecodable requests get INVALID_ARGUMENT, not UNKNOWN. */
  public io.grpc.ServerServiceDefinition safeDefinition() {
    return io.sluice.collector.ingest.SafeMarshaller.rebind(bindService(),
        ExportLogsServiceRequest.getDefaultInstance());
  }

  @Override
  public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
    String undecodable = io.sluice.collector.ingest.SafeMarshaller.undecodable(request);
    if (undecodable != null) {
      ingest.undecodable("an OTLP/gRPC request is not an ExportLogsServiceRequest: " + undecodable);
      response.onError(Status.INVALID_ARGUMENT.withDescription("the request is not an ExportLogsServiceRequest: "
          + undecodable).asRuntimeException());
      return;
    }
    Metadata md = HEADERS.get();
    String credentials = "";
    String tenant = "";
    if (md != null) {
      String auth = md.get(AUTHORIZATION);
      String key = md.get(API_KEY);
      credentials = auth != null ? auth : key != null ? key : "";
      tenant = md.get(TENANT) == null ? "" : md.get(TENANT);
    }
    Principal principal;
    try {
      principal = ingest.authenticate(credentials, tenant, TlsSessions.current());
    } catch (AuthException e) {
      response.onError(e.status().asRuntimeException());
      return;
    }
    try {
      ingest.publish(principal, "otlp", OtlpLogs.toParts(request)).whenComplete((ok, error) -> {
        if (error == null) {
          response.onNext(ExportLogsServiceResponse.getDefaultInstance());
          response.onCompleted();
        } else {
          log.warn("Kafka did not acknowledge an OTLP request: {}", error.toString());
          response.onError(io.sluice.collector.publish.PublishException.retryable(error)
              ? retry(Code.UNAVAILABLE, "Kafka did not acknowledge: " + error, 1000)
              : Status.INTERNAL.withDescription("Kafka refused for good: " + error).asRuntimeException());
        }
      });
    } catch (io.sluice.collector.ingest.Rejected e) {
      response.onError(switch (e.reason()) {
        case RATE_LIMITED -> retry(Code.RESOURCE_EXHAUSTED, e.getMessage(), e.retryAfterMs());
        case FORBIDDEN_TOPIC -> Status.PERMISSION_DENIED.withDescription(e.getMessage()).asRuntimeException();
        default -> e.reason().retryable() ? retry(Code.UNAVAILABLE, e.getMessage(), e.retryAfterMs())
            : Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
      });
    } catch (RuntimeException e) {
      log.warn("an OTLP request failed unexpectedly", e);
      response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
    }
  }

  private static RuntimeException retry(Code code, String message, long retryAfterMs) {
    RetryInfo info = RetryInfo.newBuilder().setRetryDelay(Duration.newBuilder()
        .setSeconds(retryAfterMs / 1000).setNanos((int) (retryAfterMs % 1000) * 1_000_000)).build();
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(code.getNumber())
        .setMessage(message).addDetails(Any.pack(info)).build());
  }
}
