package io.sluice.bench.e2e;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.sluice.bench.data.LogLines;
import io.sluice.bench.logback.LogbackContexts;
import io.sluice.logback.SluiceAppender;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.Map;

/**
 * Sluice: the Logback appender (its own LoggerContext) → queue → batch → zstd → RocksDB spool → gRPC → the real
 * collector → Kafka. Settings are the README defaults except {@code whenFull=block} (the lossless policy: a full
 * queue makes the logging thread wait rather than drop), and whatever {@code overrides} sets.
 */
final class SluiceLogbackEmitter implements Emitter {
  private final LoggerContext context = LogbackContexts.create("sluice");
  private final SluiceAppender appender = new SluiceAppender();
  private final Logger logger;

  SluiceLogbackEmitter(String endpoint, Path spoolDir, Map<String, String> overrides) {
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.setEndpoint(endpoint);
    appender.setServiceName("bench-app");
    appender.setSpoolDir(spoolDir.toString());
    appender.setWhenFull("block");
    appender.setBlockTimeoutMs("30s");
    appender.setCloseTimeoutMs("60s");
    appender.setSpoolMaxBytes("2GiB");
    appender.setReconnectMinMs("50");
    appender.setReconnectMaxMs("500");
    overrides.forEach((k, v) -> {
      switch (k) {
        case "lingerMs" -> appender.setLingerMs(v);
        case "zstdLevel" -> appender.setZstdLevel(v);
        case "batchMaxRecords" -> appender.setBatchMaxRecords(v);
        case "maxInFlightBatches" -> appender.setMaxInFlightBatches(v);
        case "queueMaxRecords" -> appender.setQueueMaxRecords(v);
        default -> throw new IllegalArgumentException("unsupported Sluice override " + k);
      }
    });
    appender.start();
    if (!appender.isStarted()) {
      throw new IllegalStateException(
          "the Sluice appender did not start: " + context.getStatusManager().getCopyOfStatusList());
    }
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

  PipelineStats stats() {
    return appender.stats();
  }

  @Override
  public long droppedBySetup() {
    PipelineStats s = appender.stats();
    return s == null ? -1 : s.dropped();
  }

  @Override
  public Sink sink() {
    return Sink.KAFKA;
  }

  @Override
  public void close() {
    appender.stop();
    context.stop();
  }
}
