package io.sluice.backend.streaming;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RecordIdentity;
import io.sluice.backend.common.Severity;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * Beam coder for {@link LogEvent}: every field in declaration order, strings as a varint length and UTF-8 bytes,
 * attributes in their map's order, the severity by its ordinal. It replaces {@code SerializableCoder}, whose Java
 * serialization (class descriptors and modified-UTF-8 per element, a class lookup per decode) took most of the job's
 * CPU (JFR profile in benchmarks/RESULTS.md, "Backend job: steady-state throughput"). Deterministic. Strings must
 * not be null, as {@link LogEvent} documents. Stateless and thread-safe.
 *
 * <p>The encoding is not Java serialization's: state or savepoints holding elements written by the former coder
 * cannot be read with this one. The archive's batches ({@link WriteInBatches}) hold {@code LogEvent}s in state, and
 * the fingerprint totals hold {@code ErrorFingerprint}s ({@link ErrorFingerprintCoder}): start a job of this version
 * from fresh state, not from a savepoint of an earlier one.
 */
public final class LogEventCoder extends CustomCoder<LogEvent> {
  private static final LogEventCoder INSTANCE = new LogEventCoder();
  private static final Severity[] SEVERITIES = Severity.values();

  public static LogEventCoder of() {
    return INSTANCE;
  }

  private LogEventCoder() {}

  @Override
  public void encode(LogEvent e, OutputStream out) throws IOException {
    RecordIdentity id = e.identity();
    writeString(out, id.source());
    VarInt.encode(id.epoch(), out);
    VarInt.encode(id.seq(), out);
    VarInt.encode(id.idx(), out);
    writeString(out, e.tenant());
    writeString(out, e.topic());
    VarInt.encode(e.timeUnixNano(), out);
    writeString(out, e.service());
    writeString(out, e.host());
    VarInt.encode(e.severity().ordinal(), out);
    writeString(out, e.severityText());
    writeString(out, e.body());
    writeString(out, e.messageTemplate());
    writeString(out, e.logger());
    writeString(out, e.thread());
    writeString(out, e.traceId());
    writeString(out, e.spanId());
    writeString(out, e.exceptionType());
    writeString(out, e.exceptionMessage());
    writeString(out, e.topFrame());
    writeString(out, e.fingerprint());
    Map<String, String> attributes = e.attributes();
    VarInt.encode(attributes.size(), out);
    for (Map.Entry<String, String> a : attributes.entrySet()) {
      writeString(out, a.getKey());
      writeString(out, a.getValue());
    }
    VarInt.encode(e.sizeBytes(), out);
    writeString(out, e.exceptionChain());
  }

  @Override
  public LogEvent decode(InputStream in) throws IOException {
    RecordIdentity id =
        new RecordIdentity(readString(in), VarInt.decodeLong(in), VarInt.decodeLong(in), VarInt.decodeInt(in));
    String tenant = readString(in);
    String topic = readString(in);
    long time = VarInt.decodeLong(in);
    String service = readString(in);
    String host = readString(in);
    int severity = VarInt.decodeInt(in);
    if (severity < 0 || severity >= SEVERITIES.length) {
      throw new CoderException("severity ordinal " + severity + " out of range");
    }
    String severityText = readString(in);
    String body = readString(in);
    String template = readString(in);
    String logger = readString(in);
    String thread = readString(in);
    String traceId = readString(in);
    String spanId = readString(in);
    String exceptionType = readString(in);
    String exceptionMessage = readString(in);
    String topFrame = readString(in);
    String fingerprint = readString(in);
    int n = VarInt.decodeInt(in);
    Map<String, String> attributes = new LinkedHashMap<>(Math.max(4, n * 2));
    for (int i = 0; i < n; i++) {
      attributes.put(readString(in), readString(in));
    }
    return new LogEvent(
        id, tenant, topic, time, service, host, SEVERITIES[severity], severityText, body, template, logger, thread,
        traceId, spanId, exceptionType, exceptionMessage, topFrame, fingerprint,
        Collections.unmodifiableMap(attributes), VarInt.decodeInt(in), readString(in));
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }

  static void writeString(OutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    VarInt.encode(b.length, out);
    out.write(b);
  }

  static String readString(InputStream in) throws IOException {
    int n = VarInt.decodeInt(in);
    if (n < 0) {
      throw new CoderException("negative string length " + n);
    }
    byte[] b = new byte[n];
    int off = 0;
    while (off < n) {
      int r = in.read(b, off, n - off);
      if (r < 0) {
        throw new EOFException("string of " + n + " bytes ended after " + off);
      }
      off += r;
    }
    return new String(b, StandardCharsets.UTF_8);
  }
}
