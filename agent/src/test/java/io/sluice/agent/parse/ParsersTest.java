package io.sluice.agent.parse;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ParsersTest {

  private static LogRecord parse(Parser p, String text) {
    LogRecord.Builder b = LogRecord.newBuilder();
    p.parse(text, b);
    return b.build();
  }

  private static Map<String, String> attrs(LogRecord r) {
    return r.getAttributesList().stream()
        .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().toString().trim()));
  }

  @Test
  void plainFindsTheLevelWord() {
    LogRecord r = parse(new PlainParser(), "2024-05-01 12:00:00 WARN disk almost full");
    assertThat(r.getBody().getStringValue()).isEqualTo("2024-05-01 12:00:00 WARN disk almost full");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(parse(new PlainParser(), "Information only").getSeverityNumber())
        .isEqualTo(SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED);
    assertThat(parse(new PlainParser(), "[main] [ERROR] boom").getSeverityText()).isEqualTo("ERROR");
    assertThat(parse(new PlainParser(), "GET /x 200 WARNING").getSeverityNumber())
        .isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    // a word is every letter, not only ASCII ones: "ÉINFO" and "INFOÉ" are not INFO; "Warn" is not upper case
    for (String notALevel : List.of("ÉINFO x", "INFOÉ x", "Warn x", "WARNINGS x")) {
      assertThat(parse(new PlainParser(), notALevel).getSeverityNumber()).as(notALevel)
          .isEqualTo(SeverityNumber.SEVERITY_NUMBER_UNSPECIFIED);
    }
  }

  @Test
  void plainByteScanFindsTheLevelTheTextScanFinds() {
    // ASCII lines built from level names, near-misses (case, length, glued letters) and separators, with words
    // crossing the 80-character limit: the byte scan (eight bytes at a time) must agree with the String scan.
    String[] parts = {"INFO", "WARN", "WARNING", "ERROR", "FINEST", "CONFIG", "Info", "INFOS", "xINFO", "INFOx",
        "GET", "HTTP", "DEBUGS", "TRACE", "A", "zz", "Z", " ", " ", "-", "[", "]", ":", "1", "/", "\t", "@", "`", "{"};
    java.util.SplittableRandom random = new java.util.SplittableRandom(15);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder line = new StringBuilder();
      int length = random.nextInt(120);
      while (line.length() < length) line.append(parts[random.nextInt(parts.length)]);
      String text = line.toString();
      LogRecord.Builder fromBytes = LogRecord.newBuilder();
      byte[] utf8 = text.getBytes(StandardCharsets.US_ASCII);
      int k = PlainParser.level(utf8, true);
      if (k >= 0) {
        fromBytes.setSeverityNumber(PlainParser.severityNumber(k))
            .setSeverityText(new String(PlainParser.severityText(k), StandardCharsets.US_ASCII));
      }
      LogRecord fromText = parse(new PlainParser(), text);
      assertThat(fromBytes.getSeverityNumber()).as(text).isEqualTo(fromText.getSeverityNumber());
      assertThat(fromBytes.getSeverityText()).as(text).isEqualTo(fromText.getSeverityText());
      assertThat(PlainParser.level(utf8, false)).as(text).isEqualTo(k);
    }
  }

  @Test
  void plainFromBytesIsThePlainRecordOfTheDecodedText() {
    byte[][] lines = {
        "2024-05-01 12:00:00 WARN disk almost full".getBytes(StandardCharsets.UTF_8),
        "ÉINFO x INFO".getBytes(StandardCharsets.UTF_8), // non-ASCII before the level: the String scan decides
        "Grüße INFO".getBytes(StandardCharsets.UTF_8),
        ("x".repeat(79) + "é INFO").getBytes(StandardCharsets.UTF_8), // 80 chars but 81 bytes before the space
        "no level here".getBytes(StandardCharsets.UTF_8),
        new byte[0],
        {'E', 'R', 'R', 'O', 'R', ' ', (byte) 0xC3, ' ', (byte) 0xFF, (byte) 0xFE, 'x'}, // invalid UTF-8
        {'I', 'N', 'F', 'O', ' ', (byte) 0xE2, (byte) 0x82}, // a 3-byte sequence cut by the line-length limit
        {(byte) 0xED, (byte) 0xA0, (byte) 0x80, ' ', 'W', 'A', 'R', 'N'}, // an encoded surrogate is not UTF-8
    };
    for (byte[] utf8 : lines) {
      String text = new String(utf8, StandardCharsets.UTF_8);
      LogRecord.Builder fromBytes = LogRecord.newBuilder();
      new PlainParser().parse(utf8, fromBytes);
      LogRecord r = fromBytes.build();
      assertThat(r).as(text).isEqualTo(parse(new PlainParser(), text));
      // the same bytes on the wire, U+FFFD (EF BF BD) where the input was not UTF-8
      assertThat(r.getBody().getStringValueBytes().toByteArray()).as(text)
          .isEqualTo(text.getBytes(StandardCharsets.UTF_8));
    }
    LogRecord.Builder invalid = LogRecord.newBuilder();
    new PlainParser().parse(new byte[] {'a', (byte) 0xFF, 'b'}, invalid);
    assertThat(invalid.getBody().getStringValue()).isEqualTo("a\uFFFDb");
    assertThat(invalid.getBody().getStringValueBytes().toByteArray())
        .containsExactly('a', 0xEF, 0xBF, 0xBD, 'b');
  }

  @Test
  void jsonMapsWellKnownFieldsAndKeepsTypes() {
    LogRecord r = parse(new JsonParser(),
        "{\"time\":\"2024-05-01T12:00:00Z\",\"level\":\"error\",\"msg\":\"failed\",\"code\":503,\"ok\":false,\"user\":{\"id\":7}}");
    assertThat(r.getBody().getStringValue()).isEqualTo("failed");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_ERROR);
    assertThat(r.getTimeUnixNano()).isEqualTo(1714564800_000000000L);
    assertThat(r.getAttributesList()).extracting(KeyValue::getKey).containsExactly("code", "ok", "user");
    assertThat(r.getAttributes(0).getValue().getIntValue()).isEqualTo(503);
    assertThat(r.getAttributes(2).getValue().getKvlistValue().getValues(0).getKey()).isEqualTo("id");
  }

  @Test
  void jsonKeepsBadInputAsBodyWithAnError() {
    LogRecord r = parse(new JsonParser(), "{not json");
    assertThat(r.getBody().getStringValue()).isEqualTo("{not json");
    assertThat(attrs(r)).containsKey("log.parse.error");
  }

  @Test
  void logfmtHandlesQuotesAndBareKeys() {
    LogRecord r = parse(new LogfmtParser(), "ts=1714564800 level=info msg=\"user \\\"x\\\" logged in\" user=42 admin");
    assertThat(r.getBody().getStringValue()).isEqualTo("user \"x\" logged in");
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO);
    assertThat(r.getTimeUnixNano()).isEqualTo(1714564800_000000000L);
    assertThat(r.getAttributesList()).extracting(KeyValue::getKey).containsExactly("user", "admin");
    assertThat(attrs(parse(new LogfmtParser(), "just words here"))).containsKey("log.parse.error");
  }

  @Test
  void regexUsesNamedGroups() {
    RegexParser p =
        new RegexParser(Pattern.compile("^(?<time>\\S+) \\[(?<level>\\w+)\\] (?<component>\\w+): (?<message>.*)$"));
    LogRecord r = parse(p, "2024-05-01T12:00:00.250Z [DEBUG] cache: miss for key 9");
    assertThat(r.getBody().getStringValue()).isEqualTo("miss for key 9");
    assertThat(r.getSeverityText()).isEqualTo("DEBUG");
    assertThat(r.getTimeUnixNano()).isEqualTo(1714564800_250000000L);
    assertThat(r.getAttributes(0).getKey()).isEqualTo("component");
    assertThat(attrs(parse(p, "no match"))).containsKey("log.parse.error");
  }

  @Test
  void kubernetesMetadataComesFromThePodLogPath() {
    assertThat(KubernetesPath.attributes(Path.of(
        "/var/log/pods/payments_api-7d9f8-x2x_0f1e2d3c-aaaa-bbbb-cccc-1234567890ab/server/3.log")))
        .containsEntry("k8s.namespace.name", "payments")
        .containsEntry("k8s.pod.name", "api-7d9f8-x2x")
        .containsEntry("k8s.pod.uid", "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab")
        .containsEntry("k8s.container.name", "server")
        .containsEntry("k8s.container.restart_count", "3");
    assertThat(KubernetesPath.attributes(Path.of("/var/log/app/server.log"))).isEmpty();
  }
}
