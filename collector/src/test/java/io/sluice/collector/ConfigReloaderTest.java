package io.sluice.collector;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.collector.auth.Authenticator;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.collector.config.RateLimit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The reload path reads with the same reader as the start: units, ${VAR}, and every problem in one log line. */
class ConfigReloaderTest {
  @TempDir
  Path dir;
  private final Logger logger = (Logger) LoggerFactory.getLogger(ConfigReloader.class);
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<CollectorConfig> applied = new ArrayList<>();
  private final CollectorMetrics metrics = new CollectorMetrics();
  private ConfigReloader reloader;

  @BeforeEach
  void start() throws Exception {
    logs.start();
    logger.addAppender(logs);
    Path file = dir.resolve("collector.yaml");
    Files.writeString(file, "kafka: {bootstrap: k:9092}\nauth: {anonymous: true}\n");
    // a long interval: the test drives apply() itself, the polling thread never fires
    CollectorConfig base = CollectorConfig.builder().kafkaBootstrap("k:9092").anonymous(true).configFile(file)
        .reloadInterval(Duration.ofHours(1)).build();
    reloader = new ConfigReloader(base, applied::add, metrics);
  }

  @AfterEach
  void stop() {
    reloader.close();
    logger.detachAppender(logs);
  }

  @Test
  void aValidChangeWithUnitsAndVariablesIsApplied() {
    reloader.apply("""
        tenants:
          acme: {apiKeys: ["sha256:%s"], limits: {bytesPerSecond: 10MiB, recordsPerSecond: 5000}}
        limits: {tenantDefault: {bytesPerSecond: "${SLUICE_TEST_UNSET_RATE:-1MiB}"}}
        """.formatted(Authenticator.sha256Hex("k")), "collector.yaml");
    assertThat(applied).singleElement().satisfies(c -> {
      assertThat(c.tenants().get("acme").limit()).isEqualTo(new RateLimit(5000, 10L << 20, 1));
      assertThat(c.tenantDefaultLimit().bytesPerSecond()).isEqualTo(1L << 20);
    });
    assertThat(metrics.snapshot().configReloadFailures()).isZero();
  }

  @Test
  void aBrokenChangeIsRefusedWithEveryProblemLoggedAndCounted() {
    reloader.apply("""
        tenants:
          acme: {apiKeys: [plaintext]}
        routes:
          - {topic: "bad topic"}
        limits: {tenantDefault: {bytesPerSecond: lots}}
        """, "collector.yaml");
    assertThat(applied).isEmpty();
    assertThat(metrics.snapshot().configReloadFailures()).isEqualTo(1);
    assertThat(logs.list).singleElement().satisfies(e -> assertThat(e.getFormattedMessage()).contains(
        "3 problem(s)", "collector.yaml:2: tenants.acme.apiKeys[0]: entries are sha256:",
        "collector.yaml:4: routes[0].topic: \"bad topic\" is not a topic name",
        "collector.yaml:5: limits.tenantDefault.bytesPerSecond: \"lots\" is not a size"));
  }
}
