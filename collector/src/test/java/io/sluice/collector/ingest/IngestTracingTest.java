package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.sluice.collector.Collector;
import io.sluice.collector.Frames;
import io.sluice.collector.IngestClient;
import io.sluice.collector.ManualPublisher;
import io.sluice.collector.config.CollectorConfig;
import io.sluice.proto.v1.Codec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The ingest path's spans, recorded by the OpenTelemetry SDK's in-memory exporter. */
class IngestTracingTest {

  @Test
  void aSpanPerBatchWithDecodeAndPublishChildrenAndNacksAsErrors() throws Exception {
    InMemorySpanExporter exporter = InMemorySpanExporter.create();
    try (OpenTelemetrySdk otel = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build()).build()) {
      ManualPublisher publisher = new ManualPublisher();
      CollectorConfig config = CollectorConfig.builder().anonymous(true).listen("127.0.0.1:0")
          .httpListen("127.0.0.1:0").kafkaBootstrap("unused:9092").openTelemetry(otel)
          .shutdownTimeout(Duration.ofSeconds(1)).build();
      try (Collector collector = Collector.start(config, publisher);
          IngestClient client = new IngestClient(collector.port())) {
        IngestClient.Stream s = client.open().send(Frames.hello("traced", 7));
        s.send(Frames.zstdBatch(1, Frames.logBatch("t", 3)));
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.completeAll() > 0 || !s.received.isEmpty());
        assertThat(s.next().getAck().getSequence()).isEqualTo(1);
        s.send(Frames.batch(2, Codec.CODEC_ZSTD, "not zstd".getBytes(), 1, 20));
        assertThat(s.next().getNack().getReason()).startsWith("CORRUPT_PAYLOAD");

        CompletableFuture<HttpResponse<String>> http = HttpClient.newHttpClient().sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + collector.httpPort() + "/v1/sluice/logs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"records\": [{\"body\": \"h\"}]}")).build(),
            HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.completeAll() > 0 || http.isDone());
        assertThat(http.get().statusCode()).isEqualTo(200);
      }

      List<SpanData> spans = exporter.getFinishedSpanItems();
      List<SpanData> batches = spans.stream().filter(x -> x.getName().equals("sluice.ingest")).toList();
      assertThat(batches).hasSize(3);
      SpanData ok = batches.stream().filter(b -> "sluice".equals(b.getAttributes().get(IngestSpans.PROTOCOL))
          && b.getAttributes().get(IngestSpans.SEQUENCE) == 1L).findFirst().orElseThrow();
      assertThat(ok.getKind()).isEqualTo(SpanKind.SERVER);
      assertThat(ok.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(ok.getAttributes().get(IngestSpans.SOURCE)).isEqualTo("traced");
      assertThat(ok.getAttributes().get(IngestSpans.RECORDS)).isEqualTo(3L);
      assertThat(spans.stream().filter(x -> x.getParentSpanId().equals(ok.getSpanId())).map(SpanData::getName))
          .containsExactlyInAnyOrder("sluice.decode", "sluice.publish");

      SpanData nacked = batches.stream().filter(b -> b.getAttributes().get(IngestSpans.SEQUENCE) == 2L
          && "sluice".equals(b.getAttributes().get(IngestSpans.PROTOCOL))).findFirst().orElseThrow();
      assertThat(nacked.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(nacked.getAttributes().get(IngestSpans.NACK)).isEqualTo("CORRUPT_PAYLOAD");

      SpanData request = batches.stream().filter(b -> "http".equals(b.getAttributes().get(IngestSpans.PROTOCOL)))
          .findFirst().orElseThrow();
      assertThat(request.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(spans.stream().filter(x -> x.getParentSpanId().equals(request.getSpanId())).map(SpanData::getName))
          .containsExactly("sluice.publish");
    }
  }
}
