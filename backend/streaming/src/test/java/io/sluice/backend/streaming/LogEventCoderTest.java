package io.sluice.backend.streaming;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.RecordIdentity;
import io.sluice.backend.common.Severity;
import io.sluice.backend.common.TestRecords;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.jupiter.api.Test;

class LogEventCoderTest {
  private static List<LogEvent> events() throws Exception {
    List<LogEvent> events = new ArrayList<>();
    for (RawRecord r : TestRecords.generate(7, 600, 100, 1_700_000_000_000L, 60_000L, 0, "t").records()) {
      events.addAll(LogEvents.decode(r));
    }
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("z", "last key first");
    attributes.put("ünïcödé", "日本語 \u0000 \uD83D\uDE00");
    attributes.put("", "");
    events.add(new LogEvent(new RecordIdentity("", Long.MIN_VALUE, Long.MAX_VALUE, -1), "", "", -5L, "", "",
        Severity.FATAL, "", "x".repeat(70_000), "", "", "", "", "", "", "", "", "", attributes, 0));
    return events;
  }

  @Test
  void everyEventDecodesEqualWithItsAttributeOrder() throws Exception {
    for (LogEvent e : events()) {
      LogEvent back = roundTrip(LogEventCoder.of(), e);
      assertThat(back).isEqualTo(e);
      assertThat(new ArrayList<>(back.attributes().keySet())).isEqualTo(new ArrayList<>(e.attributes().keySet()));
    }
  }

  @Test
  void equalEventsEncodeToEqualBytesNestedOrNot() throws Exception {
    for (LogEvent e : events()) {
      LogEvent copy = SerializableCoder.of(LogEvent.class).decode(
          new java.io.ByteArrayInputStream(CoderUtils.encodeToByteArray(SerializableCoder.of(LogEvent.class), e)));
      assertThat(CoderUtils.encodeToByteArray(LogEventCoder.of(), copy))
          .isEqualTo(CoderUtils.encodeToByteArray(LogEventCoder.of(), e));
      // nested in a KV as the shuffle uses it: self-delimiting, the next element follows intact
      var kv = org.apache.beam.sdk.coders.KvCoder.of(LogEventCoder.of(), LogEventCoder.of());
      var pair = org.apache.beam.sdk.values.KV.of(e, e);
      assertThat(roundTrip(kv, pair)).isEqualTo(pair);
    }
  }

  @Test
  void fingerprintsRoundTrip() throws Exception {
    for (LogEvent e : events()) {
      if (!e.fingerprint().isEmpty() || e.severity().isError()) {
        ErrorFingerprint f = ErrorFingerprint.of(e);
        assertThat(roundTrip(ErrorFingerprintCoder.of(), f)).isEqualTo(f);
      }
    }
    ErrorFingerprint extreme = new ErrorFingerprint("t", "s", "f", "", "", "ü", "", Long.MIN_VALUE, Long.MAX_VALUE);
    assertThat(roundTrip(ErrorFingerprintCoder.of(), extreme)).isEqualTo(extreme);
  }

  @Test
  void isSeveralTimesSmallerThanJavaSerialization() throws Exception {
    LogEvent e = events().get(0);
    int custom = CoderUtils.encodeToByteArray(LogEventCoder.of(), e).length;
    int java = CoderUtils.encodeToByteArray(SerializableCoder.of(LogEvent.class), e).length;
    assertThat(custom * 3).isLessThan(java);
  }

  private static <T> T roundTrip(Coder<T> coder, T value) throws Exception {
    return CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, value));
  }
}
