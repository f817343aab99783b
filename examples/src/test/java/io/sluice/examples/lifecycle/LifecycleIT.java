package io.sluice.examples.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import io.sluice.collector.Collector;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.embedded.EmbeddedKafka;
import io.sluice.examples.EndToEnd;
import io.sluice.sdk.pipeline.PipelineStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.logging.log4j.message.MapMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Startup and shutdown with real parts: an application starts while its collector is down and logs at once; the
 * collector comes up later and receives every record. An application in a JVM of its own ({@link ChildApp}) logs
 * and exits without stopping its logging framework; the JVM shutdown hook (the Logback appender's own, Log4j2's
 * context hook) flushes the records into the spool within {@code closeTimeoutMs}, and the next run ships them.
 */
class LifecycleIT {
  private static final int COUNT = 2_000;

  @TempDir
  Path dir;

  @Test
  void logbackStartsWithTheCollectorDownKeepsEarlyEventsAndShipsThemWhenItComesUp() throws Exception {
    Down down = collectorDown();
    System.setProperty("lifecycle.endpoint", down.endpoint());
    System.setProperty("lifecycle.spool", dir.resolve("spool").toString());
    LoggerContext context = new LoggerContext();
    try {
      long t0 = System.nanoTime();
      context.setMDCAdapter(new LogbackMDCAdapter());
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LifecycleIT.class.getResource("/lifecycle-logback.xml"));
      org.slf4j.Logger logger = context.getLogger("app");
      for (int i = 0; i < COUNT; i++) logger.atInfo().addKeyValue("seq", i).log("early {}", i);
      long startupMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(startupMs).as("configuring and logging with the collector down").isLessThan(5_000);

      io.sluice.logback.SluiceAppender appender =
          (io.sluice.logback.SluiceAppender) context.getLogger("app").getAppender("SLUICE");
      await().atMost(Duration.ofSeconds(10)).until(() -> appender.stats().spooled() == COUNT);
      assertThat(appender.stats().acknowledged()).isZero();

      try (Collector collector = down.start()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> appender.stats().acknowledged() == COUNT);
        assertDelivered(appender.stats(), down);
      }
    } finally {
      context.stop();
      System.clearProperty("lifecycle.endpoint");
      System.clearProperty("lifecycle.spool");
    }
  }

  @Test
  void log4j2StartsWithTheCollectorDownKeepsEarlyEventsAndShipsThemWhenItComesUp() throws Exception {
    Down down = collectorDown();
    System.setProperty("lifecycle.endpoint", down.endpoint());
    System.setProperty("lifecycle.spool", dir.resolve("spool").toString());
    org.apache.logging.log4j.core.LoggerContext context = new org.apache.logging.log4j.core.LoggerContext(
        "lifecycle-log4j2", null, LifecycleIT.class.getResource("/lifecycle-log4j2.xml").toURI());
    try {
      long t0 = System.nanoTime();
      context.start();
      org.apache.logging.log4j.Logger logger = context.getLogger("app");
      for (int i = 0; i < COUNT; i++) logger.info(new MapMessage<>().with("seq", i).with("message", "early " + i));
      long startupMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(startupMs).as("configuring and logging with the collector down").isLessThan(5_000);

      io.sluice.log4j2.SluiceAppender appender = context.getConfiguration().getAppender("SLUICE");
      await().atMost(Duration.ofSeconds(10)).until(() -> appender.stats().spooled() == COUNT);
      assertThat(appender.stats().acknowledged()).isZero();

      try (Collector collector = down.start()) {
        await().atMost(Duration.ofSeconds(30)).until(() -> appender.stats().acknowledged() == COUNT);
        assertDelivered(appender.stats(), down);
      }
    } finally {
      context.stop();
      System.clearProperty("lifecycle.endpoint");
      System.clearProperty("lifecycle.spool");
    }
  }

  @Test
  void logbackFlushesToTheSpoolAtJvmExitWithoutStopAndTheNextRunShipsIt() throws Exception {
    exitWithoutStopThenShip("logback");
  }

  @Test
  void log4j2FlushesToTheSpoolAtJvmExitWithoutStopAndTheNextRunShipsIt() throws Exception {
    exitWithoutStopThenShip("log4j2");
  }

  private void exitWithoutStopThenShip(String framework) throws Exception {
    Down down = collectorDown();
    Path spool = dir.resolve("spool");
    Path out = dir.resolve("child.out");
    Process child = new ProcessBuilder(javaBin(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
        ChildApp.class.getName(), framework, down.endpoint(), spool.toString(), String.valueOf(COUNT))
        .redirectErrorStream(true).redirectOutput(out.toFile()).start();
    // Start-up, logging, and a shutdown hook bounded by closeTimeoutMs (2 s): far below this.
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("child exited; output:%n%s", (Supplier<String>) () -> read(out))
        .isTrue();
    assertThat(child.exitValue()).as("exit status; output:%n%s", read(out)).isZero();
    assertThat(read(out)).contains("logged " + COUNT);

    // The next run of the application opens the same spool and ships what the first run left in it.
    try (Collector collector = down.start();
        EndToEnd.App next = EndToEnd.app(down.endpoint(), spool, java.util.Map.of())) {
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.metrics().recordsPublished() >= COUNT);
      EndToEnd.Arrivals arrivals = EndToEnd.consume(down.kafka.bootstrapServers(), down.topic, COUNT,
          Duration.ofSeconds(30));
      assertThat(arrivals.containsExactly(0, COUNT)).as("every record the child logged, from its spool").isTrue();
    }
  }

  private static void assertDelivered(PipelineStats stats, Down down) {
    assertThat(stats.dropped()).isZero();
    EndToEnd.Arrivals arrivals = EndToEnd.consume(down.kafka.bootstrapServers(), down.topic, COUNT,
        Duration.ofSeconds(30));
    assertThat(arrivals.containsExactly(0, COUNT)).isTrue();
    assertThat(arrivals.duplicates()).isZero();
  }

  /** A collector's port and topic, with no collector listening yet. */
  private record Down(EmbeddedKafka kafka, String topic, CollectorConfig config, int port) {
    String endpoint() {
      return "127.0.0.1:" + port;
    }

    Collector start() {
      try {
        return Collector.start(config.toBuilder().listen(endpoint()).createTopic(false).build());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  /** Creates the topic and finds a free port with a collector that is closed again at once. */
  private static Down collectorDown() throws IOException {
    EmbeddedKafka kafka = EndToEnd.kafka();
    String topic = "lifecycle-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    CollectorConfig config =
        CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0").kafkaBootstrap(kafka.bootstrapServers())
            .topic(topic).topicPartitions(1).topicReplicationFactor(1).build();
    int port;
    try (Collector probe = Collector.start(config)) {
      port = probe.port();
    }
    return new Down(kafka, topic, config, port);
  }

  private static String javaBin() {
    return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return e.toString();
    }
  }
}
