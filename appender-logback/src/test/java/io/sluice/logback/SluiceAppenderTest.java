package io.sluice.logback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.status.Status;
import io.sluice.proto.v1.LogRecord;
import io.sluice.sdk.pipeline.DeferredRecord;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SluiceAppenderTest {
  private LoggerContext context;

  @BeforeEach
  void quietContext() {
    context = LogbackTesting.configure("mapper-logback.xml", Map.of());
    context.getLogger(Logger.ROOT_LOGGER_NAME).detachAndStopAllAppenders();
  }

  @AfterEach
  void stopContext() {
    context.stop();
  }

  /** An appender whose records go to {@code sink} instead of a pipeline, attached to the root logger. */
  private SluiceAppender attachWithSink(SluiceAppender.RecordSink sink) {
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.start(sink);
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    return appender;
  }

  @Test
  void ignoresEventsFromSluiceAndTheLibrariesItShipsWith() {
    List<LogRecord> shipped = new CopyOnWriteArrayList<>();
    attachWithSink(r -> shipped.add(r.build()));

    for (String name : List.of("io.grpc.netty.Foo", "io.grpc.netty.shaded.io.netty.channel.Bar", "io.netty.util.Baz",
        "io.sluice.sdk.ship.GrpcShipper", "org.rocksdb.RocksDB", "com.github.luben.zstd.Zstd")) {
      context.getLogger(name).error("internal {}", name);
    }
    context.getLogger("com.example.App").info("application");
    context.getLogger("io.grpcish.NotGrpc").info("lookalike");

    assertThat(shipped).extracting(LogRecord::getLogger).containsExactly("com.example.App", "io.grpcish.NotGrpc");
  }

  @Test
  void capturesNothingWhenThePipelineWouldRefuseTheRecord() {
    AtomicInteger offered = new AtomicInteger();
    AtomicBoolean full = new AtomicBoolean(true);
    attachWithSink(new SluiceAppender.RecordSink() {
      @Override
      public boolean offer(DeferredRecord record) {
        offered.incrementAndGet();
        return true;
      }

      @Override
      public boolean refuseWhenFull(int severityNumber) {
        return full.get();
      }
    });
    AtomicInteger formatted = new AtomicInteger();
    Object counted = new Object() {
      @Override
      public String toString() {
        formatted.incrementAndGet();
        return "counted";
      }
    };
    Logger logger = context.getLogger("com.example.App");

    logger.info("refused {}", counted);
    assertThat(offered).hasValue(0);
    assertThat(formatted).as("an argument the caller would format").hasValue(0);

    full.set(false);
    logger.info("taken {}", counted);
    assertThat(offered).hasValue(1);
    assertThat(formatted).hasValue(1);
  }

  @Test
  void neverThrowsIntoTheApplicationAndCountsEveryFailedCapture() {
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    attachWithSink(new SluiceAppender.RecordSink() {
      @Override
      public boolean offer(DeferredRecord record) {
        throw new IllegalStateException("sink is broken");
      }

      @Override
      public void captureFailed(Throwable error) {
        failures.add(error);
      }
    });
    Logger logger = context.getLogger("com.example.App");

    assertThatCode(() -> {
      logger.info("one");
      logger.info("two");
    }).doesNotThrowAnyException();

    assertThat(failures).hasSize(2).allSatisfy(e -> assertThat(e).hasMessage("sink is broken"));
  }

  @Test
  void countsAndReportsAFailedCaptureAsAnErrorOnceWithARealPipeline(@TempDir Path dir) {
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("SLUICE");
    appender.setSpoolDir(dir.resolve("spool").toString());
    appender.setEndpoint("127.0.0.1:" + portWhereNothingListens());
    appender.setCloseTimeoutMs("0");
    appender.start();
    try {
      // An event whose capture throws on the caller's thread, as a missing class would.
      ch.qos.logback.classic.spi.LoggingEvent event = new ch.qos.logback.classic.spi.LoggingEvent(
          "fqcn", context.getLogger("com.example.App"), ch.qos.logback.classic.Level.WARN, "boom", null, null) {
        @Override
        public Map<String, String> getMDCPropertyMap() {
          throw new NoClassDefFoundError("io/opentelemetry/common/ComponentLoader");
        }
      };
      for (int i = 0; i < 3; i++) assertThatCode(() -> appender.doAppend(event)).doesNotThrowAnyException();

      PipelineStats s = appender.stats();
      assertThat(s.appended()).isEqualTo(3);
      assertThat(s.dropped(io.sluice.sdk.pipeline.DropReason.CAPTURE_FAILED)).isEqualTo(3);
      assertThat(s.balanced()).isTrue();
      assertThat(LogbackTesting.statusMessages(context, Status.ERROR)).singleElement()
          .satisfies(m -> assertThat(m).startsWith("SluiceAppender [SLUICE]: could not capture a log event")
              .contains("CAPTURE_FAILED").contains("NoClassDefFoundError"));
    } finally {
      appender.stop();
    }
  }

  @Test
  void shipsNothingAfterStop() {
    List<LogRecord> shipped = new CopyOnWriteArrayList<>();
    SluiceAppender appender = attachWithSink(r -> shipped.add(r.build()));
    Logger logger = context.getLogger("com.example.App");

    logger.info("before");
    appender.stop();
    logger.info("after");

    assertThat(shipped).extracting(r -> r.getBody().getStringValue()).containsExactly("before");
  }

  @Test
  void offersEveryApplicationEventAndBalancesItsAccountsAfterStop(@TempDir Path dir) {
    LoggerContext shipping = LogbackTesting.configure("sluice-pipeline.xml",
        Map.of("endpoint", "127.0.0.1:" + portWhereNothingListens(), "spoolDir", dir.resolve("spool").toString()));
    SluiceAppender appender = (SluiceAppender) shipping.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("SLUICE");
    assertThat(appender.isStarted()).as("status: %s", LogbackTesting.statusMessages(shipping, Status.ERROR)).isTrue();

    Logger logger = shipping.getLogger("com.example.Load");
    for (int i = 0; i < 1000; i++) logger.info("event {}", i);
    for (int i = 0; i < 10; i++) shipping.getLogger("io.grpc.netty.Foo").warn("transport noise {}", i);
    long stopStart = System.nanoTime();
    shipping.stop();
    long stopMs = (System.nanoTime() - stopStart) / 1_000_000;

    assertThat(appender.isStarted()).isFalse();
    // closeTimeoutMs is 500 in sluice-pipeline.xml; the slack covers a slow CI machine, not a network wait.
    assertThat(stopMs).as("stop() is bounded by closeTimeoutMs").isLessThan(5_000);
    PipelineStats stats = appender.stats();
    assertThat(stats.appended()).isEqualTo(1000);
    assertThat(stats.balanced()).as("appended == acknowledged + dropped + pending: %s", stats).isTrue();
  }

  @Test
  void reportsPipelineTroubleAsStatusWarningsNamingTheAppender(@TempDir Path dir) {
    LoggerContext shipping = LogbackTesting.configure("sluice-pipeline.xml",
        Map.of("endpoint", "127.0.0.1:" + portWhereNothingListens(), "spoolDir", dir.resolve("spool").toString()));
    try {
      shipping.getLogger("com.example.App").info("needs shipping");

      // Nothing listens at the endpoint: the shipper's retry warnings must reach Logback's status, not a logger.
      await().atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(LogbackTesting.statusMessages(shipping, Status.WARN))
              .anySatisfy(m -> assertThat(m).startsWith("SluiceAppender [SLUICE]: ")));
    } finally {
      shipping.stop();
    }
  }

  /** A loopback port that was free a moment ago: the shipper finds nobody there and keeps reconnecting. */
  static int portWhereNothingListens() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
