package io.sluice.bench.logback;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import io.opentelemetry.instrumentation.logback.appender.v1_0.OpenTelemetryAppender;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.sluice.bench.AckingCollector;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.CallerCpu;
import io.sluice.bench.data.LogLines;
import io.sluice.logback.SluiceAppender;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one SLF4J/Logback log call on the caller's thread, with the appender under test as the only appender of a
 * fresh {@link LoggerContext}, in the same run:
 *
 * <ul>
 *   <li>{@code sluice}: the Sluice appender, its pipeline running for real (queue, batcher, zstd, RocksDB spool in a
 *       temp dir, gRPC shipper) against an {@link AckingCollector} on 127.0.0.1, so the queue drains. Default policy
 *       ({@code drop-oldest}); the teardown prints appended / acknowledged / dropped, so a run that outpaced the
 *       pipeline says so.
 *   <li>{@code async-file}: Logback's {@link AsyncAppender} (queue 8,192, no discarding, blocking when full) over a
 *       {@link FileAppender} with a pattern encoder and {@code immediateFlush=false}.
 *   <li>{@code otel}: the OpenTelemetry Logback appender (key-value capture on) into an SDK logger provider with the
 *       default {@link BatchLogRecordProcessor} (queue 2,048, batch 512, 1 s) and an exporter that counts and
 *       discards (so no network cost is on the background side; the caller's side is the full appender path).
 *   <li>{@code none}: an appender that does nothing: the cost of the SLF4J/Logback call itself.
 * </ul>
 *
 * <p>Every call logs a realistic event (template + 3–5 arguments + one key-value), pre-generated.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "-Xmx1g")
public class LogbackAppenderBench {
  static final int EVENTS = 4096;

  @Param({"sluice", "async-file", "otel", "none"})
  String appender;

  LoggerContext context;
  Logger logger;
  LogLines.Event[] events;
  AckingCollector collector;
  Path dir;
  SluiceAppender sluice;
  SdkLoggerProvider otelProvider;
  final LongAdder otelExported = new LongAdder();

  @Setup
  public void setUp() {
    CallerCpu.reset();
    dir = BenchSupport.tempDir("sluice-logback-bench");
    context = LogbackContexts.create("bench-" + appender);
    Appender<ILoggingEvent> a = switch (appender) {
      case "sluice" -> sluice();
      case "async-file" -> asyncFile(context, dir.resolve("app.log"));
      case "otel" -> otel();
      case "none" -> none();
      default -> throw new IllegalArgumentException("unknown appender " + appender);
    };
    logger = context.getLogger("com.example.checkout.OrderService");
    logger.setLevel(Level.INFO);
    logger.setAdditive(false);
    logger.addAppender(a);
    LogLines g = new LogLines(5);
    events = new LogLines.Event[EVENTS];
    for (int i = 0; i < EVENTS; i++) events[i] = g.next();
  }

  private Appender<ILoggingEvent> sluice() {
    collector = new AckingCollector();
    sluice = new SluiceAppender();
    sluice.setContext(context);
    sluice.setName("SLUICE");
    sluice.setEndpoint(collector.endpoint());
    sluice.setServiceName("bench");
    sluice.setSpoolDir(dir.resolve("spool").toString());
    sluice.start();
    if (!sluice.isStarted()) throw new IllegalStateException("the Sluice appender did not start");
    return sluice;
  }

  /** An appender that does nothing: Logback's and SLF4J's own cost of the call, the floor under every row. */
  private Appender<ILoggingEvent> none() {
    UnsynchronizedAppenderBase<ILoggingEvent> none = new UnsynchronizedAppenderBase<>() {
      @Override
      protected void append(ILoggingEvent event) {}
    };
    none.setContext(context);
    none.setName("NONE");
    none.start();
    return none;
  }

  /** Logback's AsyncAppender over a buffered file: the usual "don't block on I/O" setup. */
  public static AsyncAppender asyncFile(LoggerContext context, Path file) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{ISO8601} %-5level [%thread] %logger - %kvp %msg%n");
    encoder.start();
    FileAppender<ILoggingEvent> fileAppender = new FileAppender<>();
    fileAppender.setContext(context);
    fileAppender.setName("FILE");
    fileAppender.setFile(file.toString());
    fileAppender.setEncoder(encoder);
    fileAppender.setImmediateFlush(false);
    fileAppender.start();
    AsyncAppender async = new AsyncAppender();
    async.setContext(context);
    async.setName("ASYNC");
    async.setQueueSize(8192);
    async.setDiscardingThreshold(0);
    async.setNeverBlock(false);
    async.addAppender(fileAppender);
    async.start();
    return async;
  }

  private Appender<ILoggingEvent> otel() {
    LogRecordExporter discard = new LogRecordExporter() {
      @Override
      public CompletableResultCode export(Collection<LogRecordData> logs) {
        otelExported.add(logs.size());
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    otelProvider = SdkLoggerProvider.builder()
        .addLogRecordProcessor(BatchLogRecordProcessor.builder(discard).build()).build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setLoggerProvider(otelProvider).build();
    OpenTelemetryAppender otel = new OpenTelemetryAppender();
    otel.setContext(context);
    otel.setName("OTEL");
    otel.setCaptureKeyValuePairAttributes(true);
    otel.setOpenTelemetry(sdk);
    otel.start();
    return otel;
  }

  @TearDown
  public void tearDown() {
    System.out.printf("%n  logback/%s: %s%n", appender, CallerCpu.report());
    if (sluice != null) {
      PipelineStats s = sluice.stats();
      System.out.printf("%n  sluice: appended %,d, acknowledged %,d (collector received %,d), dropped %s%n",
          s.appended(), s.acknowledged(), collector.records(), s.droppedByReason());
    }
    if (otelProvider != null) {
      System.out.printf("%n  otel: exported %,d (the batch processor drops silently when its queue is full)%n",
          otelExported.sum());
    }
    context.stop();
    if (otelProvider != null) otelProvider.close();
    if (collector != null) collector.close();
    BenchSupport.deleteTree(dir);
  }

  /** Per-thread cursor over the pre-generated events; counts calls for the caller-CPU figure. */
  @State(Scope.Thread)
  public static class Cursor extends CallerCpu {
    int next;
  }

  @Benchmark
  public void log(Cursor c) {
    c.calls++;
    LogLines.Event e = events[c.next++ & (EVENTS - 1)];
    logger.atInfo().addKeyValue("request.id", e.requestId()).log(e.template(), e.args());
  }
}
