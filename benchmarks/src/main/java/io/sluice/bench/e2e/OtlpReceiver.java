package io.sluice.bench.e2e;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.sluice.collector.publish.KafkaPublisher;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A minimal OTLP/HTTP logs receiver on 127.0.0.1 that forwards to Kafka: one Kafka record per OTLP log record (value =
 * the encoded OTLP {@code LogRecord}), the collector's producer settings ({@code acks=all}, idempotent, zstd,
 * linger 5 ms), and a 200 answer only after Kafka acknowledged every record of the request — the same contract as
 * the Sluice collector. Two handler threads. Not a product: the benchmark's stand-in until the collector speaks OTLP.
 */
final class OtlpReceiver implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService handlers = Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "otlp-receiver");
    t.setDaemon(true);
    return t;
  });
  private final KafkaProducer<byte[], byte[]> producer;
  private final String topic;

  OtlpReceiver(String bootstrap, String topic) {
    this.topic = topic;
    Map<String, Object> p = new HashMap<>(KafkaPublisher.producerDefaults(bootstrap));
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "otlp-receiver");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer = new KafkaProducer<>(p);
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/v1/logs", this::handle);
    server.setExecutor(handlers);
    server.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/logs";
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange; InputStream in = exchange.getRequestBody()) {
      ExportLogsServiceRequest request = ExportLogsServiceRequest.parseFrom(in);
      List<Future<RecordMetadata>> acks = new ArrayList<>();
      for (ResourceLogs rl : request.getResourceLogsList()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          for (LogRecord r : sl.getLogRecordsList()) {
            acks.add(producer.send(new ProducerRecord<>(topic, r.toByteArray())));
          }
        }
      }
      int status = 200;
      for (Future<RecordMetadata> f : acks) {
        try {
          f.get();
        } catch (Exception e) {
          status = 503;
        }
      }
      byte[] body = ExportLogsServiceResponse.getDefaultInstance().toByteArray();
      exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
      if (body.length > 0) exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    handlers.shutdownNow();
    producer.close();
  }
}
