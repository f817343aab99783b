package io.sluice.backend.streaming;

import io.sluice.backend.common.RawRecord;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.coders.CustomCoder;

/**
 * Beam coder for {@link RawRecord} (which is deliberately free of Kafka and Beam types): topic, key (nullable),
 * headers, value and timestamp, length-prefixed. Deterministic. Stateless and thread-safe.
 */
public final class RawRecordCoder extends CustomCoder<RawRecord> {
  private static final RawRecordCoder INSTANCE = new RawRecordCoder();

  public static RawRecordCoder of() {
    return INSTANCE;
  }

  private RawRecordCoder() {}

  @Override
  public void encode(RawRecord r, OutputStream outStream) throws IOException {
    DataOutputStream out = new DataOutputStream(outStream);
    out.writeUTF(r.topic() == null ? "" : r.topic());
    writeBytes(out, r.key());
    out.writeInt(r.headers().size());
    for (Map.Entry<String, byte[]> h : r.headers().entrySet()) {
      out.writeUTF(h.getKey());
      writeBytes(out, h.getValue());
    }
    writeBytes(out, r.value());
    out.writeLong(r.timestampMs());
    out.flush();
  }

  @Override
  public RawRecord decode(InputStream inStream) throws IOException {
    DataInputStream in = new DataInputStream(inStream);
    String topic = in.readUTF();
    byte[] key = readBytes(in);
    int n = in.readInt();
    Map<String, byte[]> headers = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      headers.put(in.readUTF(), readBytes(in));
    }
    byte[] value = readBytes(in);
    return new RawRecord(topic, key, Collections.unmodifiableMap(headers), value, in.readLong());
  }

  @Override
  public void verifyDeterministic() {}

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0) {
      return null;
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
