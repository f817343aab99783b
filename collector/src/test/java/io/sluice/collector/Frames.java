package io.sluice.collector;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.ClientFrame;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.Hello;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.proto.v1.SeverityNumber;

/** Builders of client frames for tests: what a well-behaved client sends, and the pieces to break it. */
public final class Frames {
  private Frames() {}

  public static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  public static ClientFrame hello(String clientId, long epoch, KeyValue... resource) {
    return ClientFrame.newBuilder().setHello(Hello.newBuilder().setClientId(clientId).setEpoch(epoch)
        .setTenant("acme").setProtocolVersion(1).addAllResource(java.util.List.of(resource))).build();
  }

  public static LogRecord record(String body) {
    return LogRecord.newBuilder()
        .setTimeUnixNano(1_700_000_000_000_000_000L)
        .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
        .setSeverityText("INFO")
        .setBody(AnyValue.newBuilder().setStringValue(body))
        .addAttributes(kv("k", "v"))
        .setLogger("test")
        .build();
  }

  public static LogBatch logBatch(String prefix, int records, KeyValue... resource) {
    LogBatch.Builder b = LogBatch.newBuilder().addAllResource(java.util.List.of(resource));
    for (int i = 0; i < records; i++) {
      b.addRecords(record(prefix + "-" + i));
    }
    return b.build();
  }

  /** A zstd Batch frame as a correct client sends it (content size declared in the zstd frame). */
  public static ClientFrame zstdBatch(long seq, LogBatch batch) {
    byte[] raw = batch.toByteArray();
    return batch(seq, Codec.CODEC_ZSTD, Zstd.compress(raw, 1), batch.getRecordsCount(), raw.length);
  }

  public static ClientFrame batch(long seq, Codec codec, byte[] payload, int recordCount, long uncompressedSize) {
    return ClientFrame.newBuilder().setBatch(Batch.newBuilder().setSequence(seq).setCodec(codec)
        .setPayload(ByteString.copyFrom(payload)).setRecordCount(recordCount)
        .setUncompressedSize(uncompressedSize)).build();
  }
}
