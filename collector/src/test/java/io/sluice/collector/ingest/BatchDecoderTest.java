package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdOutputStream;
import io.sluice.collector.Frames;
import io.sluice.collector.NackReason;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.LogBatch;
import java.io.ByteArrayOutputStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class BatchDecoderTest {
  private static final int MAX_FRAME = 64 * 1024;
  private static final int MAX_DECODED = 1 << 20;
  private final BatchDecoder decoder = new BatchDecoder(MAX_FRAME, MAX_DECODED);

  @Test
  void decodesZstdWithDeclaredSize() throws Exception {
    LogBatch lb = Frames.logBatch("a", 10, Frames.kv("service.name", "svc"));
    assertThat(decoder.decode(Frames.zstdBatch(1, lb).getBatch())).isEqualTo(lb);
  }

  @Test
  void decodesZstdStreamWithoutDeclaredSize() throws Exception {
    LogBatch lb = Frames.logBatch("a", 10);
    byte[] payload = streamed(lb.toByteArray());
    assertThat(Zstd.getFrameContentSize(payload)).isEqualTo(-1L); // really undeclared
    assertThat(decoder.decode(batch(Codec.CODEC_ZSTD, payload, 10, 0))).isEqualTo(lb);
  }

  @Test
  void keepsTheClientsFrameOnlyWhenItIsOneFrameDeclaringItsSize() throws Exception {
    LogBatch lb = Frames.logBatch("a", 10, Frames.kv("service.name", "svc"));
    Batch declared = Frames.zstdBatch(1, lb).getBatch();
    assertThat(decoder.decodeWithRanges(declared).zstdFrame()).isEqualTo(declared.getPayload().toByteArray());
    byte[] streamed = streamed(lb.toByteArray());
    assertThat(decoder.decodeWithRanges(batch(Codec.CODEC_ZSTD, streamed, 10, 0)).zstdFrame()).isNull();
    byte[] one = Zstd.compress(lb.toByteArray(), 1);
    byte[] two = new byte[one.length * 2]; // two frames: each declares only its own size
    System.arraycopy(one, 0, two, 0, one.length);
    System.arraycopy(one, 0, two, one.length, one.length);
    LogBatch twice = LogBatch.parseFrom(concat(lb.toByteArray(), lb.toByteArray()));
    assertThat(decoder.decodeWithRanges(batch(Codec.CODEC_ZSTD, two, 20, 0)).zstdFrame()).isNull();
    assertThat(decoder.decode(batch(Codec.CODEC_ZSTD, two, 20, 0))).isEqualTo(twice);
    assertThat(decoder.decodeWithRanges(batch(Codec.CODEC_NONE, lb.toByteArray(), 10, lb.getSerializedSize()))
        .zstdFrame()).isNull();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void decodesUncompressed() throws Exception {
    LogBatch lb = Frames.logBatch("a", 3);
    assertThat(decoder.decode(batch(Codec.CODEC_NONE, lb.toByteArray(), 3, lb.getSerializedSize()))).isEqualTo(lb);
  }

  @Test
  void rejectsUnknownCodec() {
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_UNSPECIFIED, new byte[10], 0, 0)), NackReason.BAD_CODEC,
        "codec 0");
  }

  @Test
  void rejectsGarbageAsCorruptZstd() {
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, "not zstd at all".getBytes(), 1, 0)),
        NackReason.CORRUPT_PAYLOAD, "zstd");
  }

  @Test
  void rejectsBombThatDeclaresItsSize() {
    byte[] bomb = Zstd.compress(new byte[MAX_DECODED + 1], 3); // ~ 40 bytes declaring > cap
    assertThat(bomb.length).isLessThan(200);
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, bomb, 1, 100)), NackReason.DECOMPRESSED_TOO_LARGE,
        "declares " + (MAX_DECODED + 1));
  }

  @Test
  void rejectsBombWithoutDeclaredSizeWhileDecoding() throws Exception {
    byte[] bomb = streamed(new byte[64 << 20]); // 64 MiB of zeros in a few KB, no size in the header
    assertThat(bomb.length).isLessThan(MAX_FRAME);
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, bomb, 1, 100)), NackReason.DECOMPRESSED_TOO_LARGE,
        "decoding stopped past " + MAX_DECODED);
  }

  @Test
  void rejectsDeclaredUncompressedSizeAboveCap() {
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, new byte[8], 1, MAX_DECODED + 1L)),
        NackReason.DECOMPRESSED_TOO_LARGE, "uncompressed_size");
  }

  @Test
  void rejectsPayloadAboveFrameLimit() {
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_NONE, new byte[MAX_FRAME + 1], 0, 0)),
        NackReason.FRAME_TOO_LARGE, "limits.maxFrameBytes");
  }

  @Test
  void rejectsBytesThatAreNotALogBatch() {
    byte[] junk = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x01};
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, Zstd.compress(junk), 1, junk.length)),
        NackReason.UNPARSABLE, "not a LogBatch");
  }

  @Test
  void rejectsRecordCountMismatch() {
    LogBatch lb = Frames.logBatch("a", 2);
    byte[] raw = lb.toByteArray();
    assertRejected(() -> decoder.decode(batch(Codec.CODEC_ZSTD, Zstd.compress(raw), 3, raw.length)),
        NackReason.COUNT_MISMATCH, "record_count is 3");
  }

  private static Batch batch(Codec codec, byte[] payload, int count, long size) {
    return Frames.batch(7, codec, payload, count, size).getBatch();
  }

  private static byte[] streamed(byte[] raw) throws Exception {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(bos)) {
      for (int off = 0; off < raw.length; off += 8192) {
        z.write(raw, off, Math.min(8192, raw.length - off));
      }
    }
    return bos.toByteArray();
  }

  private static void assertRejected(ThrowingCallable call, NackReason reason, String text) {
    assertThatThrownBy(call).isInstanceOfSatisfying(BatchRejectedException.class, e -> {
      assertThat(e.reason()).isEqualTo(reason);
      assertThat(e.getMessage()).contains(text);
    });
  }
}
