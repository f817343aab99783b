package io.sluice.backend.streaming;

import static io.sluice.backend.streaming.LogEventCoder.readString;
import static io.sluice.backend.streaming.LogEventCoder.writeString;

import io.sluice.backend.common.ErrorFingerprint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.util.VarInt;

/**
 * Beam coder for {@link ErrorFingerprint}: its fields in declaration order, strings as in {@link LogEventCoder}.
 * Deterministic; strings must not be null. Stateless and thread-safe.
 *
 * <p>It is also the coder of the fingerprint totals' state ({@link RunningTotalFn}): a job restored from a
 * checkpoint or savepoint taken while the totals were held with {@code SerializableCoder} cannot read them; start
 * such an upgrade from fresh state (a bounded re-run, or the totals' TTL).
 */
public final class ErrorFingerprintCoder extends CustomCoder<ErrorFingerprint> {
  private static final ErrorFingerprintCoder INSTANCE = new ErrorFingerprintCoder();

  public static ErrorFingerprintCoder of() {
    return INSTANCE;
  }

  private ErrorFingerprintCoder() {}

  @Override
  public void encode(ErrorFingerprint f, OutputStream out) throws IOException {
    writeString(out, f.tenant());
    writeString(out, f.service());
    writeString(out, f.fingerprint());
    writeString(out, f.exceptionType());
    writeString(out, f.topFrame());
    writeString(out, f.template());
    writeString(out, f.exampleMessage());
    VarInt.encode(f.firstSeenMillis(), out);
    VarInt.encode(f.count(), out);
  }

  @Override
  public ErrorFingerprint decode(InputStream in) throws IOException {
    return new ErrorFingerprint(
        readString(in), readString(in), readString(in), readString(in), readString(in), readString(in),
        readString(in), VarInt.decodeLong(in), VarInt.decodeLong(in));
  }

  @Override
  public void verifyDeterministic() {}

  @Override
  public boolean consistentWithEquals() {
    return true;
  }
}
