package io.sluice.bench.e2e;

import io.sluice.bench.data.LogLines;
import java.nio.charset.StandardCharsets;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.ThreadContext;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.mom.kafka.KafkaAppender;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.DefaultConfiguration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.layout.PatternLayout;

/**
 * Peer: Log4j2's KafkaAppender straight to the broker, {@code syncSend=false} (the appender's throughput mode: the
 * log call hands the record to the producer and returns unless the producer's buffer is full) with the collector's
 * producer settings ({@code acks=all}, idempotent, zstd, linger 5 ms). No spool: records in the producer's buffer
 * are lost if the application dies. The value is the pattern {@code "<id> <t0> <message>"}.
 */
final class Log4j2KafkaEmitter implements Emitter {
  private final LoggerContext context;
  private final Logger logger;

  Log4j2KafkaEmitter(String bootstrap, String topic) {
    context = new LoggerContext("log4j2-kafka");
    context.start(new DefaultConfiguration());
    Configuration config = context.getConfiguration();
    PatternLayout layout = PatternLayout.newBuilder().withConfiguration(config)
        .withPattern(
            "%X{" + AttributeDecoder.ID + "} %X{" + AttributeDecoder.T0 + "} %level %logger [%t] %X{request.id} %m")
        .build();
    KafkaAppender kafka = KafkaAppender.newBuilder().setName("KAFKA").setTopic(topic).setSyncSend(false)
        .setLayout(layout).setConfiguration(config)
        .setPropertyArray(new Property[] {
            Property.createProperty("bootstrap.servers", bootstrap),
            Property.createProperty("acks", "all"),
            Property.createProperty("enable.idempotence", "true"),
            Property.createProperty("compression.type", "zstd"),
            Property.createProperty("linger.ms", "5")})
        .build();
    kafka.start();
    config.addAppender(kafka);
    String name = "com.example.checkout.OrderService";
    LoggerConfig lc = LoggerConfig.newBuilder().withLoggerName(name).withLevel(Level.INFO).withAdditivity(false)
        .withConfig(config).withRefs(new AppenderRef[] {AppenderRef.createAppenderRef("KAFKA", null, null)}).build();
    lc.addAppender(kafka, null, null);
    config.addLogger(name, lc);
    context.updateLoggers();
    logger = context.getLogger(name);
  }

  @Override
  public void log(LogLines.Event e, long id, long intendedNanos) {
    ThreadContext.put(AttributeDecoder.ID, Long.toString(id));
    ThreadContext.put(AttributeDecoder.T0, Long.toString(intendedNanos));
    ThreadContext.put("request.id", e.requestId());
    logger.info(e.message());
  }

  @Override
  public boolean decode(byte[] value, long[] out) {
    int first = indexOf(value, 0);
    int second = first < 0 ? -1 : indexOf(value, first + 1);
    if (second < 0) return false;
    try {
      out[0] = Long.parseLong(new String(value, 0, first, StandardCharsets.US_ASCII));
      out[1] = Long.parseLong(new String(value, first + 1, second - first - 1, StandardCharsets.US_ASCII));
      return true;
    } catch (NumberFormatException ex) {
      return false;
    }
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) if (b[i] == ' ') return i;
    return -1;
  }

  @Override
  public Sink sink() {
    return Sink.KAFKA;
  }

  @Override
  public void close() {
    context.stop();
    ThreadContext.clearMap();
  }
}
