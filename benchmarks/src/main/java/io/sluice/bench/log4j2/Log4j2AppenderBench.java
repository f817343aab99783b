package io.sluice.bench.log4j2;

import io.sluice.bench.AckingCollector;
import io.sluice.bench.BenchSupport;
import io.sluice.bench.CallerCpu;
import io.sluice.bench.data.LogLines;
import io.sluice.log4j2.SluiceAppender;
import io.sluice.sdk.pipeline.PipelineStats;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AsyncAppender;
import org.apache.logging.log4j.core.appender.NullAppender;
import org.apache.logging.log4j.core.appender.RandomAccessFileAppender;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.layout.PatternLayout;
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
 * Cost of one Log4j2 log call on the caller's thread, the appender under test the only one of its logger, in the
 * same run:
 *
 * <ul>
 *   <li>{@code sluice}: the Sluice Log4j2 appender, built with its builder, its pipeline running for real against an
 *       {@link AckingCollector} on 127.0.0.1 (queue drains; teardown prints appended / acknowledged / dropped).
 *   <li>{@code async-file}: Log4j2's {@link AsyncAppender} (ArrayBlockingQueue 8,192, blocking when full) over a
 *       {@link RandomAccessFileAppender} with a pattern layout, {@code immediateFlush=false}.
 *   <li>{@code none}: Log4j2's {@link NullAppender}: the cost of the call itself (ThreadContext put included).
 * </ul>
 *
 * <p>Every call logs a realistic event (template + 3–5 arguments; request id in the ThreadContext), pre-generated.
 * Run with {@code -prof gc} for the bytes/op target (≤ 64 B/op on the Sluice path). The fork runs Log4j2 in its
 * documented garbage-free mode ({@code log4j2.garbagefreeThreadContextMap=true}; thread-local reusable events and
 * messages are on by default outside web applications): with the default copy-on-write ThreadContext map every
 * {@code ThreadContext.put} and every event's context snapshot allocate, in every row alike.
 *
 * <p>Two benchmarks, as in {@code LogbackAppenderBench}: {@code log} as fast as the thread can (with backlog) and
 * {@code logPaced}, bursts of {@link Pacing#BURST} calls with {@link Pacing#pauseUs} parked between them (without
 * backlog; only the calls in the bursts are counted by {@code CallerCpu}; the teardown prints the deepest queue seen).
 * The fork's heap is fixed and pre-touched, for the reason given there.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch", "-Dlog4j2.garbagefreeThreadContextMap=true"})
public class Log4j2AppenderBench {
  static final int EVENTS = 4096;

  @Param({"sluice", "async-file", "none"})
  String appender;

  LoggerContext context;
  Logger logger;
  LogLines.Event[] events;
  AckingCollector collector;
  SluiceAppender sluice;
  Path dir;
  AsyncAppender async;
  final AtomicLong maxQueued = new AtomicLong(-1);

  @Setup
  public void setUp() {
    CallerCpu.reset();
    dir = BenchSupport.tempDir("sluice-log4j2-bench");
    context = new LoggerContext("bench-" + appender);
    context.start(new DefaultConfiguration());
    Configuration config = context.getConfiguration();
    Appender a = switch (appender) {
      case "sluice" -> sluice(config);
      case "async-file" -> async = asyncFile(config, dir.resolve("app.log"));
      case "none" -> NullAppender.createAppender("NONE");
      default -> throw new IllegalArgumentException("unknown appender " + appender);
    };
    attach(context, "com.example.checkout.OrderService", a);
    logger = context.getLogger("com.example.checkout.OrderService");
    LogLines g = new LogLines(5);
    events = new LogLines.Event[EVENTS];
    for (int i = 0; i < EVENTS; i++) events[i] = g.next();
  }

  /** Makes {@code appender} the only appender of logger {@code name} (INFO, not additive). */
  public static void attach(LoggerContext context, String name, Appender appender) {
    Configuration config = context.getConfiguration();
    if (!appender.isStarted()) appender.start();
    config.addAppender(appender);
    LoggerConfig lc = LoggerConfig.newBuilder().withLoggerName(name).withLevel(Level.INFO).withAdditivity(false)
        .withConfig(config).withRefs(new AppenderRef[] {AppenderRef.createAppenderRef(appender.getName(), null, null)})
        .build();
    lc.addAppender(appender, null, null);
    config.addLogger(name, lc);
    context.updateLoggers();
  }

  private Appender sluice(Configuration config) {
    collector = new AckingCollector();
    sluice = SluiceAppender.newBuilder().setName("SLUICE").setEndpoint(collector.endpoint()).setServiceName("bench")
        .setSpoolDir(dir.resolve("spool").toString()).setConfiguration(config).build();
    if (sluice == null) throw new IllegalStateException("the Sluice Log4j2 appender did not build");
    return sluice;
  }

  /** Log4j2's AsyncAppender over a buffered random-access file. */
  public static AsyncAppender asyncFile(Configuration config, Path file) {
    PatternLayout layout = PatternLayout.newBuilder().withConfiguration(config)
        .withPattern("%d{ISO8601} %-5level [%t] %logger - %X %msg%n").build();
    RandomAccessFileAppender fileAppender = RandomAccessFileAppender.newBuilder().setName("FILE")
        .setFileName(file.toString()).setLayout(layout).setImmediateFlush(false).setConfiguration(config).build();
    fileAppender.start();
    config.addAppender(fileAppender);
    AsyncAppender async = AsyncAppender.newBuilder().setName("ASYNC").setBufferSize(8192).setBlocking(true)
        .setAppenderRefs(new AppenderRef[] {AppenderRef.createAppenderRef("FILE", null, null)})
        .setConfiguration(config).build();
    return async;
  }

  @TearDown
  public void tearDown() {
    System.out.printf("%n  log4j2/%s: %s%n", appender, CallerCpu.report());
    if (maxQueued.get() >= 0) {
      System.out.printf("%n  log4j2/%s: deepest queue seen after a burst %,d records%n", appender, maxQueued.get());
    }
    if (sluice != null) {
      PipelineStats s = sluice.stats();
      System.out.printf("%n  sluice: appended %,d, acknowledged %,d (collector received %,d), dropped %s%n",
          s.appended(), s.acknowledged(), collector.records(), s.droppedByReason());
    }
    context.stop();
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
    ThreadContext.put("request.id", e.requestId());
    logger.info(e.template(), e.args());
  }

  /** The queue depth the paced benchmark samples: Sluice's hand-off queue, AsyncAppender's; -1 when not visible. */
  long queueDepth() {
    if (sluice != null) return sluice.stats().queued();
    if (async != null) return async.getQueueCapacity() - async.getQueueRemainingCapacity();
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
    public void warmUp(Log4j2AppenderBench bench) {
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
