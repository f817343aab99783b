package io.sluice.log4j2;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.ship.Endpoint;
import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.logging.log4j.core.LoggerContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SluiceAppenderConfigTest {
  @TempDir
  Path spool;
  private LoggerContext context;

  @BeforeEach
  void spoolUnderTempDir() {
    System.setProperty("sluice.test.spool", spool.toString());
  }

  @AfterEach
  void stopContext() {
    if (context != null) context.stop();
    System.clearProperty("sluice.test.spool");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"sluice-all-settings.xml, xml", "sluice-all-settings.properties, properties",
      "sluice-all-settings.yaml, yaml"})
  void everySettingReachesThePipelineConfigFromEachConfigFormat(String resource, String format) {
    context = Log4j2Testing.start(resource);

    SluiceAppender appender = Log4j2Testing.sluice(context);
    assertThat(appender).as("appender built from %s", resource).isNotNull();
    assertThat(appender.isStarted()).isTrue();
    PipelineConfig c = appender.config();
    assertThat(c.endpoints()).containsExactly(new Endpoint("127.0.0.1", 1),
        new Endpoint("collector.example", 4418));
    assertThat(c.serviceName()).isEqualTo("checkout");
    assertThat(c.resourceAttributes()).containsEntry("deployment.environment", "test").containsEntry("team", "payments")
        // ${env:SLUICE_TEST_SERVICE_VERSION}, K8S_POD_NAME and POD_NAMESPACE are set by surefire (this module's pom);
        // NODE_NAME is too, and the <Property> child overrides it.
        .containsEntry("service.version", "2.7.1").containsEntry("k8s.pod.name", "pod-from-env")
        .containsEntry("k8s.namespace.name", "ns-from-env").containsEntry("k8s.node.name", "node-from-property");
    assertThat(c.tenant()).as("${sys:sluice.test.tenant}").isEqualTo("acme");
    assertThat(c.credentials()).isEqualTo("s3cret");
    assertThat(c.clientId()).isEqualTo("client-" + format);
    assertThat(c.spoolDir()).isEqualTo(spool.resolve(format));
    assertThat(c.spoolMaxBytes()).isEqualTo(32L << 20);
    assertThat(c.whenFull()).isEqualTo(WhenFull.DROP_NEWEST);
    assertThat(c.blockTimeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.fsync()).isEqualTo(FsyncPolicy.EVERY_BATCH);
    assertThat(c.queueMaxRecords()).isEqualTo(1024);
    assertThat(c.queueMaxBytes()).isEqualTo(8L << 20);
    assertThat(c.maxRecordBytes()).isEqualTo(512 << 10);
    assertThat(c.batchMaxRecords()).isEqualTo(100);
    assertThat(c.batchMaxBytes()).isEqualTo(256 << 10);
    assertThat(c.linger()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.maxInFlightBatches()).isEqualTo(4);
    assertThat(c.reconnectMin()).isEqualTo(Duration.ofMillis(20));
    assertThat(c.reconnectMax()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.closeTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(c.zstdLevel()).isEqualTo(5);
    assertThat(appender.requiresLocation()).isTrue();
    assertThat(appender.mapper()).hasToString("Log4j2EventMapper{includeCallerData=true, mdcInclude=req.*,user, "
        + "mdcExclude=req.secret*, maxExceptionDepth=8, maxFrames=16, rootCauseFirst=true}");
    assertThat(appender.stats()).isNotNull();
  }

  @Test
  void badValuesAreReportedNamingTheKeyAndNoAppenderIsBuilt() {
    try (Log4j2Testing.StatusMessages status = new Log4j2Testing.StatusMessages()) {
      context = Log4j2Testing.start("sluice-bad.xml");

      assertThat(Log4j2Testing.sluice(context)).isNull();
      assertThat(status.errors()).anySatisfy(m -> assertThat(m).contains("Sluice appender [SLUICE]")
          .contains("spoolMaxBytes").contains("\"lots\" is not a size"));
      assertThat(status.errors()).anySatisfy(m -> assertThat(m).contains("maxFrames: must be >= 0, was -1"));
    }
  }

  @Test
  void reconfigurationWithSameSettingsKeepsTheManagerAndItsPipeline() {
    context = Log4j2Testing.start("sluice-all-settings.xml");
    SluiceAppender before = Log4j2Testing.sluice(context);

    context.reconfigure();

    SluiceAppender after = Log4j2Testing.sluice(context);
    assertThat(after).isNotSameAs(before);
    assertThat(before.isStopped()).isTrue();
    assertThat(after.isStarted()).isTrue();
    assertThat(after.manager()).isSameAs(before.manager());
    assertThat(after.config()).isSameAs(before.config());
  }

  @Test
  void reconfigurationWithChangedSettingsRestartsThePipelineOnTheSameSpool() {
    System.setProperty("sluice.test.linger", "20");
    System.setProperty("sluice.test.endpoint", "127.0.0.1:1");
    try {
      context = Log4j2Testing.start("sluice-pipeline.xml");
      SluiceAppender before = Log4j2Testing.sluice(context);
      assertThat(before.config().linger()).isEqualTo(Duration.ofMillis(20));

      System.setProperty("sluice.test.linger", "30");
      context.reconfigure();

      SluiceAppender after = Log4j2Testing.sluice(context);
      assertThat(after.manager()).isSameAs(before.manager());
      assertThat(after.config().linger()).isEqualTo(Duration.ofMillis(30));
      assertThat(after.stats()).isNotNull();
    } finally {
      System.clearProperty("sluice.test.linger");
      System.clearProperty("sluice.test.endpoint");
    }
  }
}
