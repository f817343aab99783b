package io.sluice.bench.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.sluice.bench.data.LogLines;
import io.sluice.bench.logback.LogbackContexts;
import java.util.concurrent.TimeUnit;

/**
 * Peer: the OpenTelemetry Logback appender (key-value capture on) → SDK {@link BatchLogRecordProcessor} (defaults:
 * queue 2,048, batch 512, 1 s delay; it drops silently when its queue is full) → OTLP/HTTP-protobuf exporter (JDK
 * HTTP client) → the Sluice collector's {@code POST /v1/logs} → the same Kafka broker: the same collector, producer
 * settings and acknowledgement rule as the Sluice setup, so the two differ only in the client.
 */
final class OtelLogbackEmitter implements Emitter {
  private final LoggerContext context = LogbackContexts.create("otel");
  private final SdkLoggerProvider provider;
  private final Logger logger;

  OtelLogbackEmitter(String endpoint) {
    OtlpHttpLogRecordExporter exporter = OtlpHttpLogRecordExporter.builder()
        .setEndpoint(endpoint).setCompression("none").build();
    provider = SdkLoggerProvider.builder().addLogRecordProcessor(BatchLogRecordProcessor.builder(exporter).build())
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setLoggerProvider(provider).build();
    OpenTelemetryAppender appender = new OpenTelemetryAppender();
    appender.setContext(context);
    appender.setName("OTEL");
    appender.setCaptureKeyValuePairAttributes(true);
    appender.setOpenTelemetry(sdk);
    appender.start();
    logger = context.getLogger("com.example.checkout.OrderService");
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    logger.addAppender(appender);
  }

  @Override
  public void log(LogLines.Event e, long id, long intendedNanos) {
    logger.atInfo().addKeyValue(AttributeDecoder.ID, id).addKeyValue(AttributeDecoder.T0, intendedNanos)
        .addKeyValue("request.id", e.requestId()).log(e.message());
  }

  @Override
  public boolean decode(byte[] value, long[] out) {
    return AttributeDecoder.decode(value, out);
  }

  @Override
  public Sink sink() {
    return Sink.KAFKA;
  }

  @Override
  public void close() {
    provider.forceFlush().join(30, TimeUnit.SECONDS);
    provider.close();
    context.stop();
  }
}
