package io.sluice.logback;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.sluice.bench.data.LogLines;
import io.sluice.bench.logback.LogbackContexts;
import io.sluice.sdk.record.KeyGlobs;
import io.sluice.wire.RecordWriter;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Logback appender's per-record mapping, the one hand-written hot path it has: a fresh event of the burst
 * benchmark's shape ({@code "id={} {}"} with a long and a realistic message), captured as the appender captures it,
 * turned into its encoded {@code LogRecord} bytes (the event's creation and capture are in both figures),
 *
 * <ul>
 *   <li>{@code build}: through protobuf's builders ({@code Captured.build()}, then the batch encodes the message:
 *       {@code toByteArray} here), as the batcher did before;
 *   <li>{@code writeTo}: written field by field into a reused {@link RecordWriter} ({@code Captured.writeTo}, the
 *       same bytes: {@code RecordingAppender} checks it in every mapping test), as the batcher and a caller that
 *       helps it do now.
 * </ul>
 *
 * Time per record on one thread, with {@code -prof gc} for the allocation. In package {@code io.sluice.logback}
 * because the mapper is package-private there (the appender's API is the appender alone).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar LogbackMapperBench -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class LogbackMapperBench {
  static final int EVENTS = 1024;

  Logger logger;
  LogbackEventMapper mapper;
  String[] texts;
  RecordWriter out;

  @Setup
  public void setUp() {
    LoggerContext context = LogbackContexts.create("mapper-bench");
    logger = context.getLogger("com.example.checkout.OrderService");
    mapper = new LogbackEventMapper(Clock.systemUTC(), false, KeyGlobs.parse(""), KeyGlobs.parse(""), 256, 256, false);
    LogLines lines = new LogLines(11, 0);
    texts = new String[EVENTS];
    for (int i = 0; i < EVENTS; i++) texts[i] = lines.next().message();
    out = new RecordWriter(1024);
  }

  /** A fresh event, as Logback makes one per call (its body not formatted yet), captured as the appender does. */
  private LogbackEventMapper.Captured captured(int i) {
    LoggingEvent e = new LoggingEvent(Logger.FQCN, logger, i % 100 == 50 ? Level.WARN : Level.INFO, "id={} {}", null,
        new Object[] {(long) i, texts[i]});
    return mapper.capture(e);
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int build() {
    int n = 0;
    for (int i = 0; i < EVENTS; i++) n += captured(i).build().toByteArray().length;
    return n;
  }

  @Benchmark
  @OperationsPerInvocation(EVENTS)
  public int writeTo() {
    int n = 0;
    for (int i = 0; i < EVENTS; i++) {
      out.reset();
      captured(i).writeTo(out);
      n += out.size();
    }
    return n;
  }
}
