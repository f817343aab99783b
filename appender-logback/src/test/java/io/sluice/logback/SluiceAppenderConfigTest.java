package io.sluice.logback;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.core.status.Status;
import io.sluice.sdk.pipeline.PipelineConfig;
import io.sluice.sdk.ship.Endpoint;
import io.sluice.sdk.spool.FsyncPolicy;
import io.sluice.sdk.spool.WhenFull;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SluiceAppenderConfigTest {

  private static SluiceAppender appenderOf(LoggerContext context) {
    return (SluiceAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("SLUICE");
  }

  @Test
  void reportsABadValueInLogbackXmlAsAStatusErrorNamingTheKeyAndDoesNotStart(@TempDir Path spool) {
    LoggerContext context = LogbackTesting.configure("sluice-bad.xml", Map.of("spoolDir", spool.toString()));
    try {
      SluiceAppender appender = appenderOf(context);

      assertThat(appender.isStarted()).isFalse();
      assertThat(appender.config()).isNull();
      assertThat(LogbackTesting.statusMessages(context, Status.ERROR)).containsExactly(
          "SluiceAppender [SLUICE]: spoolMaxBytes: \"lots\" is not a size; write e.g. 65536, 64KiB or 256MiB");
    } finally {
      context.stop();
    }
  }

  @Test
  void appliesEverySettingFromLogbackXml(@TempDir Path spool) {
    LoggerContext context = LogbackTesting.configure("sluice-good.xml", Map.of("spoolDir", spool.toString()));
    try {
      SluiceAppender appender = appenderOf(context);
      PipelineConfig c = appender.config();

      assertThat(c).as("config built; status: %s", LogbackTesting.statusMessages(context, Status.ERROR)).isNotNull();
      assertThat(c.endpoints()).containsExactly(
          new Endpoint("collector-a.example", 4417), new Endpoint("::1", 4418));
      assertThat(c.serviceName()).isEqualTo("checkout");
      // K8S_POD_NAME, POD_NAMESPACE, NODE_NAME and SLUICE_TEST_SERVICE_VERSION are set by surefire (this module's
      // pom); resourceAttributes overrides the node name found in the environment.
      assertThat(c.resourceAttributes()).containsExactly(
          Map.entry("k8s.pod.name", "pod-from-env"), Map.entry("k8s.namespace.name", "ns-from-env"),
          Map.entry("k8s.node.name", "node-from-config"), Map.entry("deployment.environment", "prod"),
          Map.entry("team", "payments"), Map.entry("service.version", "2.7.1"));
      assertThat(c.tenant()).as("${sluice.test.tenant}, a system property").isEqualTo("acme");
      assertThat(c.credentials()).isEqualTo("s3cr3t");
      assertThat(c.clientId()).isEqualTo("checkout-7");
      assertThat(c.spoolDir()).isEqualTo(spool);
      assertThat(c.spoolMaxBytes()).isEqualTo(64L << 20);
      assertThat(c.whenFull()).isEqualTo(WhenFull.DROP_NEWEST);
      assertThat(c.blockTimeout()).isEqualTo(Duration.ofMillis(250));
      assertThat(c.fsync()).isEqualTo(FsyncPolicy.EVERY_BATCH);
      assertThat(c.queueMaxRecords()).isEqualTo(4096);
      assertThat(c.queueMaxBytes()).isEqualTo(8L << 20);
      assertThat(c.maxRecordBytes()).isEqualTo(512 << 10);
      assertThat(c.batchMaxRecords()).isEqualTo(500);
      assertThat(c.batchMaxBytes()).isEqualTo(256 << 10);
      assertThat(c.linger()).isEqualTo(Duration.ofMillis(50));
      assertThat(c.maxInFlightBatches()).isEqualTo(8);
      assertThat(c.reconnectMin()).isEqualTo(Duration.ofMillis(20));
      assertThat(c.reconnectMax()).isEqualTo(Duration.ofSeconds(2));
      assertThat(c.closeTimeout()).isEqualTo(Duration.ofMillis(300));
      assertThat(c.zstdLevel()).isEqualTo(5);

      assertThat(appender.isIncludeCallerData()).isTrue();
      assertThat(appender.getMdcInclude()).isEqualTo("request.*,user_id");
      assertThat(appender.getMdcExclude()).isEqualTo("request.secret");
      assertThat(appender.getMaxExceptionDepth()).isEqualTo(16);
      assertThat(appender.getMaxFrames()).isEqualTo(32);
      assertThat(appender.isRootCauseFirst()).isTrue();
      assertThat(appender.getServiceVersion()).as("${SLUICE_TEST_SERVICE_VERSION}, set by surefire").isEqualTo("2.7.1");
      assertThat(appender.mapper())
          .hasToString("LogbackEventMapper{includeCallerData=true, mdcInclude=request.*,user_id,"
              + " mdcExclude=request.secret, maxExceptionDepth=16, maxFrames=32, rootCauseFirst=true}");
    } finally {
      context.stop();
    }
  }

  @Test
  void reportsEveryBadSettingNotOnlyTheFirst() {
    LoggerContext context = new LoggerContext();
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("S");
    appender.setSpoolMaxBytes("lots");
    appender.setWhenFull("sometimes");
    appender.setZstdLevel("99");
    appender.setEndpoint("no-port-here");
    appender.setMaxFrames(-1);
    appender.setMaxExceptionDepth(0);

    appender.start();

    assertThat(appender.isStarted()).isFalse();
    assertThat(LogbackTesting.statusMessages(context, Status.ERROR)).containsExactlyInAnyOrder(
        "SluiceAppender [S]: spoolMaxBytes: \"lots\" is not a size; write e.g. 65536, 64KiB or 256MiB",
        "SluiceAppender [S]: whenFull: \"sometimes\" is not a policy; write drop-oldest, drop-newest or block",
        "SluiceAppender [S]: zstdLevel: 99 is out of range [-7, 22]",
        "SluiceAppender [S]: endpoint: \"no-port-here\" is not host:port; write e.g. collector.example:4417 or http://collector.example:4417",
        "SluiceAppender [S]: maxFrames: must be >= 0, was -1; the default is 256",
        "SluiceAppender [S]: maxExceptionDepth: must be >= 1, was 0; the default is 256");
  }

  @Test
  void reportsACrossSettingConflictNamingTheKey() {
    LoggerContext context = new LoggerContext();
    SluiceAppender appender = new SluiceAppender();
    appender.setContext(context);
    appender.setName("S");
    appender.setReconnectMinMs("5s");
    appender.setReconnectMaxMs("1s");

    appender.start();

    assertThat(appender.isStarted()).isFalse();
    List<String> errors = LogbackTesting.statusMessages(context, Status.ERROR);
    assertThat(errors).hasSize(1);
    assertThat(errors.get(0)).startsWith("SluiceAppender [S]: reconnectMaxMs: must be >= reconnectMinMs (5000)");
  }

  @Test
  void hasAStringSetterForEveryPipelineKey() throws Exception {
    for (String key : PipelineConfig.KEYS) {
      String setter = "set" + key.substring(0, 1).toUpperCase(Locale.ROOT) + key.substring(1);
      assertThat(SluiceAppender.class.getMethod(setter, String.class)).as(setter).isNotNull();
    }
  }
}
