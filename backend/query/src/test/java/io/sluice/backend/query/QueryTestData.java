package io.sluice.backend.query;

import com.google.protobuf.ByteString;
import io.sluice.backend.common.ErrorFingerprint;
import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.LogEvents;
import io.sluice.backend.common.MinuteAggregate;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.UndecodableRecordException;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ExceptionInfo;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;
import io.sluice.proto.v1.StackFrame;
import io.sluice.wire.kafka.KafkaHeaders;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Collector-like records for the query tests, dated relative to a given "now" (never a fixed date): tenant acme's
 * checkout and payments services with INFO/WARN lines, three ERROR lines with a two-level cause chain, one trace
 * shared by three lines; and tenant globex's lines, which acme must never see. Also the aggregates and fingerprints
 * the streaming job would write for them.
 */
final class QueryTestData {
  static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String SECRET = "globexsecret";
  final List<RawRecord> records = new ArrayList<>();
  final List<LogEvent> events = new ArrayList<>();
  private final String topic;
  private long seq;

  QueryTestData(String topic) {
    this.topic = topic;
  }

  /** The standard set: 42 lines of acme and 10 of globex within the 20 minutes before {@code nowMs}. */
  static QueryTestData standard(String topic, long nowMs) {
    QueryTestData d = new QueryTestData(topic);
    long start = nowMs - 20 * 60_000L;
    for (int i = 0; i < 24; i++) {
      d.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_INFO, start + i * 45_000L, "order " + (1000 + i)
          + " placed", i == 3 || i == 4 ? TRACE : null, false);
    }
    for (int i = 0; i < 5; i++) {
      d.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_WARN, start + 30_000L + i * 120_000L,
          "payment slow for order " + (2000 + i), null, false);
    }
    for (int i = 0; i < 3; i++) {
      d.add("acme", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR, start + 600_000L + i * 10_000L,
          "payment timed out for order " + (3000 + i), i == 0 ? TRACE : null, true);
    }
    for (int i = 0; i < 10; i++) {
      d.add("acme", "payments", SeverityNumber.SEVERITY_NUMBER_INFO, start + i * 90_000L, "charge " + i + " ok", null,
          false);
    }
    for (int i = 0; i < 10; i++) {
      d.add("globex", "checkout", SeverityNumber.SEVERITY_NUMBER_ERROR, start + i * 60_000L,
          "payment timed out " + SECRET + " " + i, TRACE, true);
    }
    return d;
  }

  RawRecord add(String tenant, String service, SeverityNumber level, long timeMs, String body, String traceId,
      boolean exception) {
    LogRecord.Builder b = LogRecord.newBuilder()
        .setTimeUnixNano(timeMs * 1_000_000L)
        .setObservedTimeUnixNano(timeMs * 1_000_000L)
        .setSeverityNumber(level)
        .setSeverityText(level.name().substring("SEVERITY_NUMBER_".length()))
        .setLogger("com.example." + service + ".Handler")
        .setThreadName("worker-1")
        .setBody(AnyValue.newBuilder().setStringValue(body))
        .addAttributes(kv("resource.service.name", service))
        .addAttributes(kv("resource.host.name", "host-1"));
    if (traceId != null) {
      b.setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(traceId)));
    }
    if (exception) {
      b.setException(ExceptionInfo.newBuilder()
          .setType("com.example.checkout.PaymentException")
          .setMessage("could not charge the card")
          .addFrames(frame("com.example.checkout.PaymentClient", "charge", "PaymentClient.java", 88))
          .addFrames(frame("com.example.checkout.CheckoutService", "placeOrder", "CheckoutService.java", 41))
          .setFramesOmitted(12)
          .addCauses(ExceptionInfo.newBuilder().setType("java.net.SocketTimeoutException").setMessage("Read timed out")
              .addFrames(frame("java.net.SocketInputStream", "socketRead0", "SocketInputStream.java", -1))
              .addFrames(frame("okhttp3.internal.http1.Http1ExchangeCodec", "readResponseHeaders",
                  "Http1ExchangeCodec.java", 120))));
    }
    Map<String, byte[]> h = new LinkedHashMap<>();
    h.put(KafkaHeaders.SOURCE, KafkaHeaders.utf8("host-1-" + tenant));
    h.put(KafkaHeaders.EPOCH, KafkaHeaders.int64(7));
    h.put(KafkaHeaders.SEQ, KafkaHeaders.int64(++seq));
    h.put(KafkaHeaders.IDX, KafkaHeaders.int32(0));
    h.put(KafkaHeaders.TENANT, KafkaHeaders.utf8(tenant));
    h.put(KafkaHeaders.SCHEMA, KafkaHeaders.utf8(KafkaHeaders.SCHEMA_RECORD));
    RawRecord r = new RawRecord(topic, KafkaHeaders.utf8(service), h, b.build().toByteArray(), timeMs);
    records.add(r);
    try {
      events.addAll(LogEvents.decode(r));
    } catch (UndecodableRecordException e) {
      throw new IllegalStateException(e);
    }
    return r;
  }

  List<MinuteAggregate> aggregates() {
    Map<String, long[]> sums = new LinkedHashMap<>();
    Map<String, LogEvent> first = new LinkedHashMap<>();
    for (LogEvent e : events) {
      String k = e.tenant() + "|" + e.service() + "|" + e.severity() + "|" + e.minuteStartMillis();
      long[] s = sums.computeIfAbsent(k, x -> new long[2]);
      s[0]++;
      s[1] += e.sizeBytes();
      first.putIfAbsent(k, e);
    }
    List<MinuteAggregate> out = new ArrayList<>();
    sums.forEach((k, s) -> {
      LogEvent e = first.get(k);
      out.add(new MinuteAggregate(e.tenant(), e.service(), e.severity(), e.minuteStartMillis(), s[0], s[1]));
    });
    return out;
  }

  /** One summary per (tenant, service, fingerprint, minute), as the job's fingerprint totals are written. */
  List<ErrorFingerprint> fingerprints() {
    Map<String, ErrorFingerprint> out = new LinkedHashMap<>();
    for (LogEvent e : events) {
      if (e.fingerprint().isEmpty()) {
        continue;
      }
      String k = e.tenant() + "|" + e.service() + "|" + e.fingerprint() + "|" + e.minuteStartMillis();
      ErrorFingerprint f = ErrorFingerprint.of(e);
      out.merge(k, f, (a, b) -> new ErrorFingerprint(a.tenant(), a.service(), a.fingerprint(), a.exceptionType(),
          a.topFrame(), a.template(), a.exampleMessage(), Math.min(a.firstSeenMillis(), b.firstSeenMillis()),
          a.count() + b.count()));
    }
    return new ArrayList<>(out.values());
  }

  long count(String tenant) {
    return events.stream().filter(e -> e.tenant().equals(tenant)).count();
  }

  private static StackFrame frame(String cls, String method, String file, int line) {
    return StackFrame.newBuilder().setClassName(cls).setMethodName(method).setFileName(file).setLineNumber(line)
        .build();
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }
}
