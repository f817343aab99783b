package io.sluice.collector.ingest;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

/**
 * OpenTelemetry spans of the ingest path: one {@code sluice.ingest} span per batch (stream) or request (OTLP,
 * HTTP), from its arrival to the answer (ack, nack or error), with children {@code sluice.decode} (decompress and
 * parse) and {@code sluice.publish} (until Kafka acknowledged). Attributes: protocol, tenant, source, sequence,
 * records, and the nack reason when there is one. No-op unless an SDK is installed. Thread-safe.
 */
public final class IngestSpans {
  public static final String INSTRUMENTATION = "io.sluice.collector";
  public static final AttributeKey<String> PROTOCOL = AttributeKey.stringKey("sluice.protocol");
  public static final AttributeKey<String> TENANT = AttributeKey.stringKey("sluice.tenant");
  public static final AttributeKey<String> SOURCE = AttributeKey.stringKey("sluice.source");
  public static final AttributeKey<Long> SEQUENCE = AttributeKey.longKey("sluice.seq");
  public static final AttributeKey<Long> RECORDS = AttributeKey.longKey("sluice.records");
  public static final AttributeKey<String> NACK = AttributeKey.stringKey("sluice.nack");

  private final Tracer tracer;

  public IngestSpans(OpenTelemetry openTelemetry) {
    this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
  }

  /** Starts the span of one batch or request. */
  public Span batch(String protocol, String tenant, String source, long sequence, long records) {
    return tracer.spanBuilder("sluice.ingest").setSpanKind(SpanKind.SERVER).setNoParent()
        .setAttribute(PROTOCOL, protocol).setAttribute(TENANT, tenant).setAttribute(SOURCE, source)
        .setAttribute(SEQUENCE, sequence).setAttribute(RECORDS, records).startSpan();
  }

  /** Starts a child ({@code sluice.decode}, {@code sluice.publish}) of {@code parent}. */
  public Span child(Span parent, String name) {
    return tracer.spanBuilder(name).setParent(Context.root().with(parent)).startSpan();
  }

  /** Ends {@code span} as refused: error status and the reason. */
  public static void nacked(Span span, String reason, String message) {
    span.setAttribute(NACK, reason);
    span.setStatus(StatusCode.ERROR, message);
    span.end();
  }

  /** Ends {@code span}, with an error status when {@code error} is not null. */
  public static void end(Span span, Throwable error) {
    if (error != null) {
      span.recordException(error);
      span.setStatus(StatusCode.ERROR, String.valueOf(error.getMessage()));
    }
    span.end();
  }
}
