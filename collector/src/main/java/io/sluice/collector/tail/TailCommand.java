package io.sluice.collector.tail;

import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.KafkaFormatException;
import io.sluice.wire.kafka.KafkaLine;
import io.sluice.wire.kafka.KafkaRecordReader;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code collector tail TOPIC} ({@code ./sluice tail}): prints the log lines of a topic as a person reads them —
 * time, severity, service, message, attributes, then the exception if any — whichever Kafka record format the
 * collector wrote (a topic may hold both). Reads without a consumer group (it commits nothing and moves no one
 * else's offsets). Records that are not Sluice records are reported on stderr and skipped. Exit 0 after {@code -n}
 * lines (or at Ctrl-C), 1 when the topic cannot be read.
 */
@Command(name = "tail", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Print the log lines of a Kafka topic the collector writes (either record format), human-readable.")
public final class TailCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "TOPIC", description = "the topic to read")
  String topic;

  @Option(names = "--bootstrap", paramLabel = "HOST:PORT[,...]",
      description = "Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP, else localhost:9092)")
  String bootstrap;

  @Option(names = "--from-beginning", description = "start at the oldest line kept (default: only new lines)")
  boolean fromBeginning;

  @Option(names = "-n", paramLabel = "N", description = "exit after printing N lines (default: run until Ctrl-C)")
  long maxLines = -1;

  @Option(names = "--identity", description = "start each line with its identity source/epoch/sequence/index")
  boolean identity;

  @Spec
  picocli.CommandLine.Model.CommandSpec spec;

  private static final HexFormat HEX = HexFormat.of();
  /** Frames printed per exception; the rest are counted. */
  static final int MAX_FRAMES = 8;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String servers = bootstrap != null ? bootstrap
        : System.getenv().getOrDefault("KAFKA_BOOTSTRAP", "localhost:9092");
    Map<String, Object> props = new HashMap<>();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-tail");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    KafkaRecordReader reader = new KafkaRecordReader();
    long printed = 0;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<PartitionInfo> infos;
      try {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
      } catch (RuntimeException e) {
        err.println("sluice tail: cannot read topic " + topic + " at " + servers + ": " + e);
        return 1;
      }
      if (infos == null || infos.isEmpty()) {
        err.println("sluice tail: topic " + topic + " does not exist at " + servers);
        return 1;
      }
      List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      if (fromBeginning) {
        consumer.seekToBeginning(parts);
      } else {
        consumer.seekToEnd(parts);
      }
      while (maxLines < 0 || printed < maxLines) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
          List<KafkaLine> lines;
          try {
            lines = reader.read(name -> {
              Header h = r.headers().lastHeader(name);
              return h == null ? null : h.value();
            }, r.value());
          } catch (KafkaFormatException e) {
            err.println("sluice tail: " + r.topic() + "-" + r.partition() + "@" + r.offset()
                + " is not a Sluice record, skipped: " + e.getMessage());
            continue;
          }
          for (KafkaLine line : lines) {
            if (maxLines >= 0 && printed >= maxLines) {
              break;
            }
            out.print(format(line, identity));
            printed++;
          }
          out.flush();
        }
      }
    }
    return 0;
  }

  /** One line, as printed, ending in a newline; an exception adds indented lines. */
  public static String format(KafkaLine line, boolean withIdentity) {
    LogRecord r = line.record();
    Map<String, String> attributes = new java.util.LinkedHashMap<>();
    for (KeyValue kv : r.getAttributesList()) {
      attributes.put(kv.getKey(), render(kv.getValue()));
    }
    String service = attributes.getOrDefault("resource.service.name", "-");
    attributes.remove("resource.service.name");
    long nanos = r.getTimeUnixNano() != 0 ? r.getTimeUnixNano() : r.getObservedTimeUnixNano();
    String time = nanos == 0 ? "-" : Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L)
        .truncatedTo(ChronoUnit.MILLIS).toString();
    StringBuilder b = new StringBuilder(160);
    if (withIdentity) {
      b.append(line.source()).append('/').append(line.epoch()).append('/').append(line.sequence()).append('/')
          .append(line.index()).append(' ');
    }
    b.append(time).append(' ').append(pad(severity(r), 5)).append(' ').append(service).append(' ')
        .append(oneLine(render(r.getBody())));
    if (!attributes.isEmpty()) {
      b.append("  ").append(attributes.entrySet().stream().map(e -> e.getKey() + "=" + oneLine(e.getValue()))
          .collect(Collectors.joining(" ")));
    }
    if (!line.reason().isEmpty()) {
      b.append("  [dead-lettered: ").append(oneLine(line.reason())).append(']');
    }
    b.append('\n');
    if (r.hasException()) {
      exception(b, r.getException(), "    ");
    }
    return b.toString();
  }

  private static void exception(StringBuilder b, ExceptionInfo e, String indent) {
    exception(b, e, indent, indent);
  }

  private static void exception(StringBuilder b, ExceptionInfo e, String indent, String first) {
    b.append(first).append(e.getType());
    if (!e.getMessage().isEmpty()) {
      b.append(": ").append(oneLine(e.getMessage()));
    }
    b.append('\n');
    int shown = Math.min(MAX_FRAMES, e.getFramesCount());
    for (int i = 0; i < shown; i++) {
      StackFrame f = e.getFrames(i);
      b.append(indent).append("    at ").append(f.getClassName()).append('.').append(f.getMethodName()).append('(')
          .append(f.getFileName().isEmpty() ? "Unknown Source" : f.getFileName())
          .append(f.getLineNumber() > 0 ? ":" + f.getLineNumber() : "").append(")\n");
    }
    if (e.getFramesCount() > shown) {
      b.append(indent).append("    ... ").append(e.getFramesCount() - shown).append(" more\n");
    }
    if (e.getCausesCount() > 0) {
      for (ExceptionInfo cause : e.getCausesList()) {
        b.append(indent).append("Caused by: ");
        exception(b, cause, indent, "");
      }
    } else if (e.hasCause()) { // records written before `causes` existed
      b.append(indent).append("Caused by: ");
      exception(b, e.getCause(), indent, "");
    }
  }

  static String severity(LogRecord r) {
    if (!r.getSeverityText().isEmpty()) {
      return r.getSeverityText();
    }
    int n = r.getSeverityNumberValue();
    return n <= 0 ? "-" : n <= 4 ? "TRACE" : n <= 8 ? "DEBUG" : n <= 12 ? "INFO" : n <= 16 ? "WARN"
        : n <= 20 ? "ERROR" : "FATAL";
  }

  static String render(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
      case BYTES_VALUE -> HEX.formatHex(v.getBytesValue().toByteArray());
      case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(TailCommand::render)
          .collect(Collectors.joining(", ", "[", "]"));
      case KVLIST_VALUE -> v.getKvlistValue().getValuesList().stream()
          .map(kv -> kv.getKey() + "=" + render(kv.getValue())).collect(Collectors.joining(", ", "{", "}"));
      default -> "";
    };
  }

  /** Newlines and other control characters shown escaped, so one log line stays one printed line. */
  static String oneLine(String s) {
    StringBuilder b = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        if (b == null) {
          b = new StringBuilder(s.length() + 8).append(s, 0, i);
        }
        b.append(c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : String.format("\\u%04x", (int) c));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? s : b.toString();
  }

  private static String pad(String s, int width) {
    return s.length() >= width ? s : s + " ".repeat(width - s.length());
  }
}
