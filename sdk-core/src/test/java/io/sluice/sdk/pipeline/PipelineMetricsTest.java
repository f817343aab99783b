package io.sluice.sdk.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.sluice.sdk.testkit.Records;
import io.sluice.sdk.testkit.TestCollector;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineMetricsTest {
  @TempDir
  Path dir;

  private static long value(Collection<MetricData> metrics, String name, Attributes attrs) {
    return metrics.stream().filter(m -> m.getName().equals(name))
        .flatMap(m -> m.getData().getPoints().stream())
        .filter(p -> p.getAttributes().equals(attrs))
        .mapToLong(p -> ((LongPointData) p).getValue())
        .findFirst().orElseThrow(() -> new AssertionError("no metric " + name + " " + attrs));
  }

  @Test
  void accountingIsPublishedAsOpenTelemetryMetrics() {
    InMemoryMetricReader reader = InMemoryMetricReader.create();
    try (TestCollector collector = new TestCollector();
        SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setMeterProvider(meters).build();
      PipelineConfig config = PipelineConfig.builder().endpoint(collector.endpoint()).spoolDir(dir)
          .lingerMs(10).maxRecordBytes(2048).openTelemetry(otel).diagnostics(Diagnostics.NONE).build();
      try (Pipeline p = Pipeline.start(config)) {
        for (int i = 0; i < 100; i++) p.offer(Records.numbered(i));
        p.offer(Records.numbered(100, 4096)); // too large
        await().atMost(Duration.ofSeconds(10)).until(() -> p.stats().acknowledged() == 100);
        Collection<MetricData> m = reader.collectAllMetrics();
        assertThat(value(m, "sluice.sdk.records.appended", Attributes.empty())).isEqualTo(101);
        assertThat(value(m, "sluice.sdk.records.acknowledged", Attributes.empty())).isEqualTo(100);
        assertThat(value(m, "sluice.sdk.records.dropped", Attributes.of(PipelineMetrics.REASON, "TOO_LARGE")))
            .isEqualTo(1);
        assertThat(value(m, "sluice.sdk.records.pending", Attributes.empty())).isZero();
      }
    }
  }
}
