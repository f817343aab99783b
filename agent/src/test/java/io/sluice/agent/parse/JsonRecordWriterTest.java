package io.sluice.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SourceInfo;
import io.sluice.wire.BatchWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * The writer's bytes are the bytes of the record {@link JsonParser} and the agent build for the same text, or it
 * declines (and the agent takes that path).
 */
class JsonRecordWriterTest {
  private static final long OBSERVED = 1_764_900_000_123_456_789L;
  private static final long EVENT = 1_764_800_000_000_000_001L;
  private static final List<KeyValue> FIXED = List.of(kv("log.file.path", "/var/log/pods/a/b/0.log"),
      kv("k8s.pod.name", "checkout-1"));
  private static final byte[] FIXED_FIELDS = BatchWriter.attributeFields(FIXED);
  private static final byte[] STREAM = BatchWriter.attributeFields(List.of(kv("log.iostream", "stdout")));
  private static final byte[] FILE = "/var/log/pods/a/b/0.log".getBytes(StandardCharsets.UTF_8);

  private final JsonRecordWriter writer = new JsonRecordWriter();

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** The record the agent builds on JsonParser's path (InputProcessor.emit), encoded. */
  static byte[] expected(String text, long eventTime, boolean truncated, long offset, long length) {
    LogRecord.Builder r = LogRecord.newBuilder();
    r.setObservedTimeUnixNano(OBSERVED);
    new JsonParser().parse(text, r);
    if (r.getTimeUnixNano() == 0) r.setTimeUnixNano(eventTime != 0 ? eventTime : OBSERVED);
    if (truncated) r.setTruncated(true);
    r.addAllAttributes(FIXED);
    r.addAttributes(kv("log.iostream", "stdout"));
    r.setSource(SourceInfo.newBuilder().setFileBytes(ByteString.copyFrom(FILE)).setOffset(offset).setLength(length));
    return r.build().toByteArray();
  }

  /** Writes {@code text} (between other bytes, as in a line) and returns the record's bytes, or null if declined. */
  private byte[] write(String text, long eventTime, boolean truncated, long offset, long length) {
    byte[] utf8 = ("2026-12-05T10:00:00Z stdout F " + text + "\n").getBytes(StandardCharsets.UTF_8);
    int off = 30;
    int n = utf8.length - off - 1;
    boolean ascii = text.chars().allMatch(c -> c < 128);
    if (!writer.write(utf8, off, n, ascii, OBSERVED, eventTime, FIXED_FIELDS, STREAM, FILE, offset, length,
        truncated)) {
      return null;
    }
    return Arrays.copyOf(writer.array(), writer.length());
  }

  private void same(String text) {
    byte[] got = write(text, EVENT, false, 4096, 300);
    assertThat(got).as("covered: %s", text).isNotNull();
    assertThat(LogRecordText.of(got)).as(text).isEqualTo(LogRecordText.of(expected(text, EVENT, false, 4096, 300)));
    assertThat(got).as(text).isEqualTo(expected(text, EVENT, false, 4096, 300));
  }

  private void declines(String text) {
    assertThat(write(text, EVENT, false, 1, 2)).as(text).isNull();
  }

  @Test
  void writesTheRecordJsonParserBuildsForTypicalServiceLogs() {
    same("{\"time\":\"2026-12-05T10:00:00.123456Z\",\"level\":\"INFO\",\"msg\":\"order placed\",\"logger\":"
        + "\"c.e.OrderService\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319c\",\"http\":{\"method\":\"GET\","
        + "\"status\":200},\"duration_ms\":12.5,\"user\":\"u-17\",\"seq\":42}");
    same("{\"ts\":\"2026-12-05T10:00:00+01:00\",\"severity\":\"warning\",\"message\":\"slow\",\"tags\":[\"a\",1,"
        + "true,null,2.5,{\"x\":[]},[]],\"ok\":false,\"none\":null,\"neg\":-17,\"zero\":0,\"big\":123456789012345678}");
    same("{}");
    same("  {\"msg\":\"only\"}  ");
    same("{\"Level\":\"ERROR\",\"MSG\":\"upper-case keys\",\"LOG.LEVEL\":\"second level is an attribute\"}");
    same("{\"msg\":\"first\",\"log\":\"second message is an attribute\",\"body\":\"third\"}");
    same("{\"level\":\"\",\"lvl\":\"debug\"}"); // an empty level leaves the next one to set it
    same("{\"time\":\"yesterday\",\"timestamp\":\"2026-12-05T10:00:00Z\"}"); // a time that does not parse is kept
    same("{\"time\":\"2026-02-30T10:00:00Z\"}"); // invalid date: an attribute
    same("{\"time\":1733390000,\"level\":30,\"msg\":200}"); // integers as text for the well-known fields
    same("{\"time\":\"2024-05-01 12:00:00Z\"}"); // not the strict form: the String path parses it
    same("{\"msg\":\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\u20ac \\ud83d\\ude00 end\",\"k\":\"\\u0041\"}");
    same("{\"msg\":\"caf\u00e9 \u20ac \ud83d\ude00\",\"\u00fcber\":\"ja\"}");
    same("{\"f\":[1.5,-0.0,1e3,1E-3,0.1,123456789.123456,1.7976931348623157e308,4.9e-324,1e400,0.30000000000000004]}");
    same("{\"\":\"empty key\",\"n\":{\"\":null}}");
    same("{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":\"deep\"}}}}}}");
    same("{\"msg\":\"x\",\"time\":\"2026-12-05T10:00:00.999999999Z\",\"level\":\"FATAL\"}");
  }

  @Test
  void keepsTheEventTimeTruncationAndSource() {
    String text = "{\"msg\":\"no time field\"}";
    assertThat(write(text, EVENT, true, 0, 0)).isEqualTo(expected(text, EVENT, true, 0, 0));
    assertThat(write(text, 0, false, 7, 8)).isEqualTo(expected(text, 0, false, 7, 8));
  }

  @Test
  void declinesWhatJsonParserMustDecide() {
    declines("not json");
    declines("[1,2]");
    declines("");
    declines("{\"a\":1} trailing");
    declines("{\"a\":1,\"a\":2}"); // duplicate keys
    declines("{\"o\":{\"a\":1,\"a\":2}}");
    declines("{\"a\\u0041\":1}"); // escaped key
    declines("{\"a\":\"\\ud83d\"}"); // lone surrogate
    declines("{\"a\":01}");
    declines("{\"a\":1234567890123456789}");
    declines("{\"a\":\"raw\ttab\"}");
    declines("{\"msg\":true}");
    declines("{\"level\":1.5}");
    declines("{\"a\":[[[[[[[[[[1]]]]]]]]]]}");
    declines("{\"a\":1,}");
    declines("{\"a\" 1}");
    declines("{\"a\":tru}");
  }

  @Test
  void declinesInvalidUtf8() {
    byte[] b = "{\"msg\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
    b[9] = (byte) 0xFF;
    assertThat(writer.write(b, 0, b.length, false, OBSERVED, 0, FIXED_FIELDS, STREAM, FILE, 0, 0, false)).isFalse();
  }

  @Property(tries = 300)
  void randomObjectsGiveJsonParsersRecord(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long seed) {
    Random r = new Random(seed);
    String text = object(r, 0);
    boolean truncated = r.nextBoolean();
    long offset = r.nextInt(1 << 20);
    long length = 1 + r.nextInt(1000);
    byte[] got = write(text, EVENT, truncated, offset, length);
    assertThat(got).as("covered: %s", text).isNotNull(); // the generator writes no duplicate keys
    assertThat(got).as(text).isEqualTo(expected(text, EVENT, truncated, offset, length));
  }

  private static final String[] KEYS = {"msg", "message", "level", "LEVEL", "time", "ts", "a", "b", "c", "d", "x",
      "user", "seq", "http", "", "\u00e9t\u00e9"};

  private static String object(Random r, int depth) {
    StringBuilder b = new StringBuilder("{");
    int n = r.nextInt(depth == 0 ? 9 : 4);
    java.util.Set<String> used = new java.util.HashSet<>();
    for (int i = 0; i < n; i++) {
      String k = KEYS[r.nextInt(KEYS.length)];
      if (!used.add(k)) continue;
      if (b.length() > 1) b.append(ws(r)).append(',');
      b.append(ws(r)).append('"').append(k).append('"').append(ws(r)).append(':').append(ws(r));
      b.append(value(r, depth, k));
    }
    return b.append(ws(r)).append('}').toString();
  }

  private static String value(Random r, int depth, String key) {
    if (key.equalsIgnoreCase("time") || key.equals("ts")) {
      return r.nextBoolean() ? "\"2026-12-0" + (1 + r.nextInt(9)) + "T1" + r.nextInt(10) + ":00:0" + r.nextInt(10)
          + (r.nextBoolean() ? "." + r.nextInt(1000) : "") + (r.nextBoolean() ? "Z" : "-05:30") + "\"" : "\"soon\"";
    }
    if (key.startsWith("m") || key.equalsIgnoreCase("level")) { // the writer takes strings and integers there
      return r.nextInt(4) == 0 ? Integer.toString(r.nextInt(100)) : string(r);
    }
    int k = r.nextInt(depth < 3 ? 9 : 7);
    return switch (k) {
      case 0, 1 -> string(r);
      case 2 -> Long.toString(r.nextInt(3) == 0 ? r.nextLong() % 1_000_000_000_000_000_000L : r.nextInt(1000) - 500);
      case 3 -> Double.toString(r.nextDouble() * Math.pow(10, r.nextInt(40) - 20));
      case 4 -> r.nextBoolean() ? "true" : "false";
      case 5 -> "null";
      case 6 -> (r.nextInt(100)) + "." + r.nextInt(100) + "e" + (r.nextInt(60) - 30);
      case 7 -> object(r, depth + 1);
      default -> {
        StringBuilder b = new StringBuilder("[");
        int n = r.nextInt(4);
        for (int i = 0; i < n; i++) {
          if (i > 0) b.append(',').append(ws(r));
          b.append(value(r, depth + 1, "x"));
        }
        yield b.append(']').toString();
      }
    };
  }

  private static final String[] PIECES = {"a", "order placed", " ", "\\\"", "\\\\", "\\n", "\\t", "\\/", "\\u00e9",
      "\\u20AC", "\\ud83d\\ude00", "\u00e9", "\u20ac", "\ud83d\ude00", "INFO", "warn", "0"};

  private static String string(Random r) {
    StringBuilder b = new StringBuilder("\"");
    int n = r.nextInt(5);
    for (int i = 0; i < n; i++) b.append(PIECES[r.nextInt(PIECES.length)]);
    return b.append('"').toString();
  }

  private static String ws(Random r) {
    return r.nextInt(4) == 0 ? " " : "";
  }

  /** A record's text form, for readable failures. */
  static final class LogRecordText {
    static String of(byte[] b) {
      try {
        return LogRecord.parseFrom(b).toString();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        return "undecodable: " + e.getMessage();
      }
    }
  }
}
