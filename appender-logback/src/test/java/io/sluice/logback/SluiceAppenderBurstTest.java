package io.sluice.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.sdk.pipeline.DropReason;
import io.sluice.sdk.pipeline.PipelineStats;
import io.sluice.sdk.testkit.CountingCollector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst larger than the hand-off queue (65,536 records by default), logged as fast as four threads can, through
 * a real pipeline to a real gRPC collector. Counts, not speed: with the defaults every WARN and ERROR arrives (they
 * have the queue's reserved eighth, and a full queue makes the caller wait for room rather than drop), every loss
 * is counted; with {@code whenFull=block} nothing is lost at all.
 */
class SluiceAppenderBurstTest {
  static final int THREADS = 4;
  static final int PER_THREAD = 30_000; // 120,000 in all: almost twice the default queue

  @TempDir
  Path dir;
  private LoggerContext context;
  private CountingCollector collector;

  @BeforeEach
  void start() {
    context = LogbackTesting.configure("mapper-logback.xml", Map.of());
    context.getLogger(Logger.ROOT_LOGGER_NAME).detachAndStopAllAppenders();
    collector = new CountingCollector();
  }

  @AfterEach
  void stop() {
    context.stop();
    collector.close();
  }

  static Level level(int i) {
    if (i % 1000 == 0) return Level.ERROR;
    if (i % 100 == 50) return Level.WARN;
    return Level.INFO;
  }

  private SluiceAppender appender(Map<String, String> settings) throws Exception {
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.setEndpoint(collector.endpoint());
    appender.setServiceName("burst");
    appender.setSpoolDir(dir.resolve("spool").toString());
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String setter = "set" + Character.toUpperCase(e.getKey().charAt(0)) + e.getKey().substring(1);
      SluiceAppender.class.getMethod(setter, String.class).invoke(appender, e.getValue());
    }
    appender.start();
    assertThat(appender.isStarted()).isTrue();
    Logger logger = context.getLogger("com.example.Burst");
    logger.setLevel(Level.INFO);
    logger.addAppender(appender);
    return appender;
  }

  /** Logs the burst from {@link #THREADS} threads released together; returns {INFO, WARN, ERROR} sent. */
  private long[] burst() throws InterruptedException {
    Logger logger = context.getLogger("com.example.Burst");
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int slot = t;
      Thread thread = new Thread(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int i = 0; i < PER_THREAD; i++) {
          logger.atLevel(org.slf4j.event.Level.valueOf(level(i).toString()))
              .log("order {} of thread {} accepted for customer c-{}", i, slot, i % 977);
        }
      }, "burst-" + t);
      thread.start();
      threads.add(thread);
    }
    go.countDown();
    for (Thread t : threads) t.join();
    long[] sent = new long[3];
    for (int i = 0; i < PER_THREAD; i++) {
      Level l = level(i);
      sent[l == Level.ERROR ? 2 : l == Level.WARN ? 1 : 0] += THREADS;
    }
    return sent;
  }

  private static PipelineStats settled(SluiceAppender appender) {
    await().atMost(Duration.ofMinutes(2)).until(() -> {
      PipelineStats s = appender.stats();
      return s.pending() == 0 && s.balanced();
    });
    return appender.stats();
  }

  @Test
  void withDefaultsABurstLargerThanTheQueueDeliversEveryWarnAndErrorAndCountsEveryLoss() throws Exception {
    SluiceAppender appender = appender(Map.of());
    long[] sent = burst();
    PipelineStats s = settled(appender);

    assertThat(collector.records(SeverityNumber.SEVERITY_NUMBER_WARN_VALUE)).as("WARN delivered").isEqualTo(sent[1]);
    assertThat(collector.records(SeverityNumber.SEVERITY_NUMBER_ERROR_VALUE)).as("ERROR delivered").isEqualTo(sent[2]);
    assertThat(s.appended()).isEqualTo(sent[0] + sent[1] + sent[2]);
    assertThat(s.dropped()).as("only a full queue may drop, and only INFO").isEqualTo(s.dropped(DropReason.QUEUE_FULL));
    assertThat(collector.records(SeverityNumber.SEVERITY_NUMBER_INFO_VALUE)).isEqualTo(sent[0] - s.dropped());
    assertThat(collector.records()).isEqualTo(s.acknowledged());
    appender.stop();
  }

  @Test
  void underBlockABurstLargerThanTheQueueLosesNothing() throws Exception {
    SluiceAppender appender = appender(Map.of("whenFull", "block", "blockTimeoutMs", "60s"));
    long[] sent = burst();
    PipelineStats s = settled(appender);

    assertThat(s.dropped()).isZero();
    assertThat(s.acknowledged()).isEqualTo(sent[0] + sent[1] + sent[2]);
    assertThat(collector.records()).isEqualTo(sent[0] + sent[1] + sent[2]);
    assertThat(collector.records(SeverityNumber.SEVERITY_NUMBER_WARN_VALUE)).isEqualTo(sent[1]);
    assertThat(collector.records(SeverityNumber.SEVERITY_NUMBER_ERROR_VALUE)).isEqualTo(sent[2]);
    appender.stop();
  }
}
