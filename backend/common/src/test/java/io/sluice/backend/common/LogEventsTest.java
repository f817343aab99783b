package io.sluice.backend.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.wire.kafka.KafkaFormat;
import io.sluice.wire.kafka.KafkaHeaders;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class LogEventsTest {
  private static final long START = 1_764_000_000_000L; // 2025-11-24T16:00Z

  @ParameterizedTest
  @EnumSource(KafkaFormat.class)
  void decodesIdentityTenantAndFieldsFromTheCollectorsRecord(KafkaFormat format) throws Exception {
    TestRecords.Generated g = TestRecords.generate(1, 50, 10, START, 60_000, 0, "logs", 1, format);
    List<LogEvent> events = LogEvents.decode(g.records().get(0));
    assertThat(events).hasSize(format == KafkaFormat.BATCH ? 10 : 1);
    assertThat(events).extracting(x -> x.identity().idx())
        .containsExactlyElementsOf(java.util.stream.IntStream.range(0, events.size()).boxed().toList());
    LogEvent e = events.get(0);
    assertThat(e.identity().epoch()).isEqualTo(1);
    assertThat(e.identity().seq()).isEqualTo(1);
    assertThat(e.identity().idx()).isZero();
    assertThat(e.tenant()).isIn(TestRecords.TENANTS);
    assertThat(e.service()).isIn(TestRecords.SERVICES);
    assertThat(e.host()).isEqualTo("host-1");
    assertThat(e.topic()).isEqualTo("logs");
    assertThat(e.timeMillis()).isBetween(START, START + 1);
    assertThat(e.minuteStartMillis() % 60_000).isZero();
    assertThat(e.sizeBytes())
        .isEqualTo(TestRecords.generate(1, 50, 10, START, 60_000, 0, "logs").records().get(0).value().length);
    assertThat(e.attributes()).containsKey("order.id");
  }

  @ParameterizedTest
  @EnumSource(KafkaFormat.class)
  void errorsCarryTheirExceptionAndAFingerprintAndOthersDoNot(KafkaFormat format) throws Exception {
    TestRecords.Generated g = TestRecords.generate(2, 400, 50, START, 60_000, 0, "logs", 1, format);
    int errors = 0;
    for (LogEvent e : Truth.distinctEvents(g.records())) {
      if (e.severity() == Severity.ERROR) {
        errors++;
        assertThat(e.exceptionType()).startsWith("java.");
        assertThat(e.topFrame()).matches("com\\.example\\.\\w+\\.Client\\.call\\(Client\\.java:42\\)");
        assertThat(e.fingerprint()).hasSize(16);
      } else {
        assertThat(e.fingerprint()).isEmpty();
      }
    }
    assertThat(errors).isGreaterThan(20);
  }

  @ParameterizedTest
  @EnumSource(KafkaFormat.class)
  void duplicatesShareTheIdentityOfTheirOriginal(KafkaFormat format) {
    TestRecords.Generated g = TestRecords.generate(3, 1000, 100, START, 600_000, 3, "logs", 1, format);
    assertThat(g.records()).hasSize(format == KafkaFormat.BATCH ? 13 : 1300);
    assertThat(Truth.distinctEvents(g.records())).hasSize(1000);
  }

  @Test
  void aBatchSplitAcrossTopicsKeepsEachLinesIndexSoTheHalvesNeverCollide() throws Exception {
    List<RawRecord> lines = TestRecords.generate(5, 6, 6, START, 60_000, 0, "logs").records();
    RawRecord even = TestRecords.toBatchRecord(List.of(lines.get(0), lines.get(2), lines.get(4)));
    RawRecord odd = TestRecords.toBatchRecord(List.of(lines.get(1), lines.get(3), lines.get(5)));
    assertThat(LogEvents.decode(even)).extracting(e -> e.identity().idx()).containsExactly(0, 2, 4);
    assertThat(LogEvents.decode(odd)).extracting(e -> e.identity().idx()).containsExactly(1, 3, 5);
    // both halves, resent, and the record-format copies: six lines
    assertThat(Truth.distinctEvents(List.of(even, odd, odd, even, lines.get(3)))).hasSize(6);
    assertThat(Truth.distinctEvents(List.of(even, odd)))
        .containsExactlyInAnyOrderElementsOf(Truth.distinctEvents(lines));
  }

  @Test
  void aBatchValueThatIsNotZstdIsBadValue() {
    RawRecord batch = TestRecords.generate(6, 3, 3, START, 1, 0, "logs", 1, KafkaFormat.BATCH).records().get(0);
    RawRecord garbage = new RawRecord("logs", null, batch.headers(), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 0);
    assertThatThrownBy(() -> LogEvents.decode(garbage))
        .isInstanceOf(UndecodableRecordException.class)
        .extracting(e -> ((UndecodableRecordException) e).reason())
        .isEqualTo("bad_value");
  }

  @Test
  void namesTheMissingOrMalformedHeader() {
    RawRecord good = TestRecords.generate(4, 1, 1, START, 1, 0, "logs").records().get(0);
    Map<String, byte[]> noSeq = new HashMap<>(good.headers());
    noSeq.remove(KafkaHeaders.SEQ);
    assertThatThrownBy(() -> LogEvents.decode(with(good, noSeq)))
        .isInstanceOf(UndecodableRecordException.class)
        .hasMessageContaining("sluice.seq")
        .extracting(e -> ((UndecodableRecordException) e).reason())
        .isEqualTo("missing_header");
    Map<String, byte[]> shortEpoch = new HashMap<>(good.headers());
    shortEpoch.put(KafkaHeaders.EPOCH, new byte[3]);
    assertThatThrownBy(() -> LogEvents.decode(with(good, shortEpoch))).hasMessageContaining("sluice.epoch has 3 bytes");
    Map<String, byte[]> v2 = new HashMap<>(good.headers());
    v2.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8("9"));
    assertThatThrownBy(() -> LogEvents.decode(with(good, v2))).hasMessageContaining("unknown_schema");
    RawRecord garbage = new RawRecord("logs", null, good.headers(), new byte[] {(byte) 0xff, 1, 2}, 0);
    assertThatThrownBy(() -> LogEvents.decode(garbage)).hasMessageContaining("bad_value");
  }

  @Test
  void fingerprintIgnoresVariablePartsOfUntemplatedMessages() {
    String a = Fingerprints.of(Severity.ERROR, "X", "f()", "", "order 1234 failed for 'bob' id 9f8e7d6c5b");
    String b = Fingerprints.of(Severity.ERROR, "X", "f()", "", "order 77 failed for 'alice' id 0123456789ab");
    String c = Fingerprints.of(Severity.ERROR, "Y", "f()", "", "order 77 failed for 'alice' id 0123456789ab");
    assertThat(a).isEqualTo(b).isNotEqualTo(c);
    assertThat(Fingerprints.of(Severity.INFO, "", "", "", "fine")).isEmpty();
    assertThat(Fingerprints.mask("user 42 took 3.5 ms, req 550e8400-e29b-41d4-a716-446655440000"))
        .isEqualTo("user <n> took <n> ms, req <uuid>");
  }

  @Test
  void severityRangesFoldFinerNumbers() {
    assertThat(Severity.ofNumber(9)).isEqualTo(Severity.INFO);
    assertThat(Severity.ofNumber(12)).isEqualTo(Severity.INFO);
    assertThat(Severity.ofNumber(17)).isEqualTo(Severity.ERROR);
    assertThat(Severity.ofNumber(24)).isEqualTo(Severity.FATAL);
    assertThat(Severity.ofNumber(0)).isEqualTo(Severity.UNSPECIFIED);
    assertThat(List.of(Severity.ERROR, Severity.FATAL)).allMatch(Severity::isError);
  }

  private static RawRecord with(RawRecord r, Map<String, byte[]> headers) {
    return new RawRecord(r.topic(), r.key(), headers, r.value(), r.timestampMs());
  }
}
