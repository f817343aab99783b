package io.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchReaderTest {
  private static final BatchReader READER = new BatchReader(1 << 20, 4 << 20);

  private static Batch frame(byte[] encoded, int count) {
    byte[] payload = ZstdCodec.forThisThread(3).compress(encoded);
    return Batch.newBuilder().setSequence(1).setCodec(Codec.CODEC_ZSTD).setPayload(ByteString.copyFrom(payload))
        .setRecordCount(count).setUncompressedSize(encoded.length).build();
  }

  private static BatchWriter batch(int records) {
    BatchWriter w = new BatchWriter(List.of(BatchWriterTest.kv("service.name", "svc")), 4096);
    for (int i = 0; i < records; i++) w.add(BatchWriterTest.record(i, i));
    return w;
  }

  @Test
  void decodesWhatTheWriterWrote() throws Exception {
    BatchWriter w = batch(20);
    LogBatch parsed = READER.decode(frame(w.toByteArray(), 20));
    assertThat(parsed.getRecordsCount()).isEqualTo(20);
    DecodedBatch scanned = READER.decodeWithRanges(frame(w.toByteArray(), 20));
    assertThat(scanned.size()).isEqualTo(20);
    assertThat(scanned.record(7)).isEqualTo(parsed.getRecords(7));
  }

  @Test
  void refusesWhatBreaksABoundWithTheRuleItBroke() {
    BatchWriter w = batch(3);
    assertReason(frame(w.toByteArray(), 4), WireException.Reason.COUNT_MISMATCH);
    assertReason(frame(w.toByteArray(), 3).toBuilder().setUncompressedSize(-1L).build(),
        WireException.Reason.DECOMPRESSED_TOO_LARGE);
    assertReason(frame(w.toByteArray(), 3).toBuilder().setUncompressedSize(5).build(), WireException.Reason.UNPARSABLE);
    assertReason(frame(w.toByteArray(), 3).toBuilder().setCodecValue(9).build(), WireException.Reason.BAD_CODEC);
    assertReason(frame(new byte[8 << 20], 0), WireException.Reason.DECOMPRESSED_TOO_LARGE);
    assertReason(Batch.newBuilder().setCodec(Codec.CODEC_NONE).setPayload(ByteString.copyFrom(new byte[(1 << 20) + 1]))
        .build(), WireException.Reason.FRAME_TOO_LARGE);
    assertReason(Batch.newBuilder().setCodec(Codec.CODEC_NONE).setPayload(ByteString.copyFromUtf8("\u0012\u0005ab"))
        .setRecordCount(1).build(), WireException.Reason.UNPARSABLE);
  }

  private static void assertReason(Batch b, WireException.Reason reason) {
    assertThatThrownBy(() -> READER.decodeWithRanges(b)).isInstanceOf(WireException.class)
        .extracting(e -> ((WireException) e).reason()).isEqualTo(reason);
    assertThatThrownBy(() -> READER.decode(b)).isInstanceOf(WireException.class)
        .extracting(e -> ((WireException) e).reason()).isEqualTo(reason);
  }

  @Test
  void slicesABatchByRecordWithoutReEncoding() throws Exception {
    BatchWriter w = batch(10);
    DecodedBatch scanned = DecodedBatch.scan(w.toByteArray(), 10);
    LogBatch all = LogBatch.parseFrom(w.toByteArray());
    int[] odd = {1, 3, 5, 7, 9};
    LogBatch sliced = LogBatch.parseFrom(scanned.slice(odd, odd.length));
    List<LogRecord> expected = new ArrayList<>();
    for (int i : odd) expected.add(all.getRecords(i));
    assertThat(sliced.getResourceList()).isEqualTo(all.getResourceList());
    assertThat(sliced.getRecordsList()).isEqualTo(expected);
    assertThat(scanned.slice(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10)).isEqualTo(w.toByteArray());
  }

  @Test
  void aRecordWithAPaddedLengthIsSlicedAsItCame() throws Exception {
    // A length varint with a redundant continuation byte (valid protobuf): the field is taken as it sits.
    LogRecord small = LogRecord.newBuilder().setSeverityText("INFO").setLogger("a.B").build();
    byte[] record = small.toByteArray();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x12);
    b.write(record.length | 0x80);
    b.write(0x00);
    b.write(record, 0, record.length);
    byte[] bytes = b.toByteArray();
    assertThat(record.length).isLessThan(128);
    DecodedBatch scanned = DecodedBatch.scan(bytes, 1);
    assertThat(scanned.fieldOffset(0)).isZero();
    assertThat(scanned.offset(0)).isEqualTo(3);
    assertThat(scanned.slice(new int[] {0}, 1)).isEqualTo(bytes);
    assertThat(LogBatch.parseFrom(scanned.slice(new int[] {0}, 1)).getRecords(0)).isEqualTo(small);
  }
}
