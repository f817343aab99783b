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
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 *
 * <p>Two benchmarks: {@code log} calls as fast as the thread can, which outpaces every pipeline here (the queues
 * fill: the "with backlog" figures); {@code logPaced} makes bursts of {@link Pacing#BURST} calls and parks
 * {@link Pacing#pauseUs} between them, so the offered rate stays below what the pipelines drain (the "without
 * backlog" figures). Its {@code CallerCpu} line counts only the calls inside the bursts; the teardown prints the
 * deepest queue seen (sampled after bursts), so a reader sees whether the queue really stayed short.
 *
 * <p>The fork's heap is fixed and pre-touched ({@code -Xms1g -Xmx1g -XX:+AlwaysPreTouch}, as a long-running
 * service's heap is after its first minutes): an appender that keeps a queue of events alive makes G1 grow the heap
 * during a short run, and the caller's thread then pays the first touch of every new page (async-profiler: page
 * faults were the largest item of Sluice's caller profile, 1,297 → 374 ns per call with the heap pre-touched).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
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
  AsyncAppender async;
  final AtomicLong maxQueued = new AtomicLong(-1);

  @Setup
  public void setUp() {
    CallerCpu.reset();
    dir = BenchSupport.tempDir("sluice-logback-bench");
    context = LogbackContexts.create("bench-" + appender);
    Appender<ILoggingEvent> a = switch (appender) {
      case "sluice" -> sluice();
      case "async-file" -> async = asyncFile(context, dir.resolve("app.log"));
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
    if (maxQueued.get() >= 0) {
      System.out.printf("%n  logback/%s: deepest queue seen after a burst %,d records%n", appender, maxQueued.get());
    }
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
    logOne(c.next++);
  }

  /** The call every row makes: event {@code i} of the pre-generated ones. */
  void logOne(int i) {
    LogLines.Event e = events[i & (EVENTS - 1)];
    logger.atInfo().addKeyValue("request.id", e.requestId()).log(e.template(), e.args());
  }

  /** The queue depth the paced benchmark samples: Sluice's hand-off queue, AsyncAppender's; -1 when not visible. */
  long queueDepth() {
    if (sluice != null) return sluice.stats().queued();
    if (async != null) return async.getNumberOfElementsInQueue();
    return -1;
  }

  /** How {@code logPaced} paces: bursts of {@link #BURST} calls, {@link #pauseUs} parked after each. */
  @State(Scope.Benchmark)
  public static class Pacing {
    public static final int BURST = 128;

    /** Pause after each burst, µs (parked: the core is free for the pipeline meanwhile). */
    @Param({"40000"})
    public long pauseUs;

    /**
     * Warms the logging path up before the first iteration (at the paced rate the warm-up iterations alone would
     * not get it compiled): 60,000 calls unpaced, then waits until the queue is empty again (at most 60 s).
     */
    @Setup
    public void warmUp(LogbackAppenderBench bench) {
      for (int i = 0; i < 60_000; i++) bench.logOne(i);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      do {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
      } while (bench.queueDepth() > 0 && System.nanoTime() < deadline);
    }
  }

  /** Without backlog: a burst of calls (the only ones counted by {@code CallerCpu}), then a pause. */
  @Benchmark
  @OperationsPerInvocation(Pacing.BURST)
  public void logPaced(Cursor c, Pacing pacing) {
    c.windowStart();
    for (int i = 0; i < Pacing.BURST; i++) logOne(c.next++);
    c.windowEnd(Pacing.BURST);
    if ((c.next & 4095) < Pacing.BURST) {
      long depth = queueDepth();
      maxQueued.accumulateAndGet(depth, Math::max);
    }
    LockSupport.parkNanos(pacing.pauseUs * 1_000);
  }
}
