package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.collector.Frames;
import io.sluice.collector.NackReason;
import io.sluice.collector.RichBatches;
import io.sluice.proto.v1.AnyValue;
import io.sluice.proto.v1.ArrayValue;
import io.sluice.proto.v1.Batch;
import io.sluice.proto.v1.Codec;
import io.sluice.proto.v1.KeyValue;
import io.sluice.proto.v1.LogBatch;
import io.sluice.proto.v1.LogRecord;
import io.sluice.wire.DecodedBatch;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The scan accepts exactly what {@code LogBatch.parseFrom} accepts, rejects the rest with protobuf's own message, and
 * reads the same fields the record objects hold.
 */
class DecodedBatchTest {
  private static final BatchDecoder DECODER = new BatchDecoder(4 << 20, 32 << 20);
  private static final byte[] RICH = RichBatches.batch(
      List.of(RichBatches.kv("service.name", "svc"), RichBatches.kv("host.name", "ü")), RichBatches.records());

  @Test
  void readsWhatTheParsedRecordsHold() throws Exception {
    DecodedBatch scanned = DecodedBatch.scan(RICH, 3);
    assertThat(scanned.parsedInFull()).as("scanned without protobuf's parser").isFalse();
    assertSameAsParsed(scanned, RICH);
    assertThat(scanned.resource()).isEqualTo(LogBatch.parseFrom(RICH).getResourceList());
    assertThat(scanned.record(0)).isEqualTo(RichBatches.everyField());
    assertThat(scanned.stringAttribute(10, "service.name")).isEqualTo("shop"); // the first one is an int
    assertThat(scanned.resourceAttributeKeys(1)).containsExactly("resource.host.name");
  }

  /** Random damage to a rich batch: flipped, dropped, inserted bytes and truncation. */
  @Property(tries = 3000)
  void acceptsAndRejectsExactlyWhatProtobufDoes(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int edits) {
    Random random = new Random(seed);
    byte[] b = RICH.clone();
    for (int e = 0; e < edits; e++) {
      int at = random.nextInt(b.length);
      switch (random.nextInt(4)) {
        case 0 -> b[at] = (byte) random.nextInt(256);
        case 1 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 2 -> b = java.util.Arrays.copyOf(b, at);
        default -> {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = (byte) random.nextInt(256);
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        }
      }
      if (b.length == 0) {
        break;
      }
    }
    assertSameVerdict(b);
  }

  @Test
  void malformedInputGetsProtobufsVerdict() {
    byte[] record = RichBatches.everyField().toByteArray();
    List<byte[]> cases = List.of(
        java.util.Arrays.copyOf(RICH, RICH.length - 1), // truncated inside the last record
        new byte[] {0x12, (byte) 0xff, (byte) 0xff}, // truncated length varint
        new byte[] {0x12, 2, 0x18, (byte) 0x80}, // truncated severity varint inside a record
        new byte[] {0x12, 11, 0x18, -1, -1, -1, -1, -1, -1, -1, -1, -1, 1}, // an 11-byte varint
        new byte[] {0x12, 2, 0x1e, 0}, // wire type 6
        new byte[] {0x12, 2, 0x1f, 0}, // wire type 7
        new byte[] {0x12, 1, 0x1c}, // an end-group tag inside a record
        new byte[] {0x12, 2, (byte) 0xab, 0x01}, // start group of field 21, never ended
        new byte[] {0x12, 3, (byte) 0xab, 0x01, (byte) 0xac}, // a well-formed group, truncated end tag
        new byte[] {0x12, 4, (byte) 0xab, 0x01, (byte) 0xac, 0x01}, // a well-formed unknown group: accepted
        new byte[] {0x12, 2, 0x00, 0x00}, // tag zero
        new byte[] {0x12, 3, 0x22, 1, (byte) 0xc3}, // severity_text cut inside a character
        new byte[] {0x12, 4, 0x22, 2, (byte) 0xed, (byte) 0xa0}, // a surrogate
        new byte[] {0x12, 3, 0x3a, 1, (byte) 0xc3}, // the same byte in trace_id (bytes): fine
        new byte[] {0x12, 5, 0x32, 3, 0x0a, 1, (byte) 0xff}, // an attribute key that is not UTF-8
        new byte[] {0x12, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x0f}, // negative length
        new byte[] {0x0a, 3, 0x0a, 1, (byte) 0xff}, // a resource key that is not UTF-8
        new byte[] {0x1a, 0}, // an unknown top-level field of the batch
        new byte[] {0x12, 0}, // an empty record
        concat(new byte[] {0x12, (byte) record.length, 1}, record)); // a wrong record length
    for (byte[] b : cases) {
      assertSameVerdict(b);
    }
  }

  @Test
  void deepNestingIsLeftToProtobuf() throws Exception {
    for (int depth : new int[] {60, 70, 98, 99, 100, 150}) {
      AnyValue v = AnyValue.newBuilder().setStringValue("leaf").build();
      for (int d = 0; d < depth; d++) {
        v = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(v)).build();
      }
      byte[] b = LogBatch.newBuilder().addRecords(LogRecord.newBuilder().setBody(v))
          .addResource(KeyValue.newBuilder().setKey("k").setValue(v)).build().toByteArray();
      assertSameVerdict(b);
    }
  }

  @Test
  void countMismatchIsStillNacked() {
    byte[] raw = Frames.logBatch("a", 2).toByteArray();
    assertThatThrownBy(() -> DECODER.decodeWithRanges(batch(raw, 3)))
        .isInstanceOfSatisfying(BatchRejectedException.class, e -> {
          assertThat(e.reason()).isEqualTo(NackReason.COUNT_MISMATCH);
          assertThat(e.getMessage()).isEqualTo("record_count is 3 but the LogBatch holds 2 records");
        });
  }

  /** decodeWithRanges (the scan) and decode (parseFrom) agree: both reject with the same reason and text, or both
   * accept, and then the scan's columns are those of the parsed records. */
  private static void assertSameVerdict(byte[] b) {
    int count = countRecords(b);
    BatchRejectedException parseError = null;
    try {
      DECODER.decode(batch(b, count));
    } catch (BatchRejectedException e) {
      parseError = e;
    }
    BatchRejectedException scanError = null;
    DecodedBatch scanned = null;
    try {
      scanned = DECODER.decodeWithRanges(batch(b, count));
    } catch (BatchRejectedException e) {
      scanError = e;
    }
    if (parseError == null) {
      assertThat(scanError).as("the scan rejected what protobuf accepts").isNull();
      assertSameAsParsed(scanned, b);
    } else {
      assertThat(scanError).as("the scan accepted what protobuf rejects: %s", parseError.getMessage()).isNotNull();
      assertThat(scanError.reason()).isEqualTo(parseError.reason());
      assertThat(scanError.getMessage()).isEqualTo(parseError.getMessage());
    }
  }

  private static void assertSameAsParsed(DecodedBatch scanned, byte[] b) {
    DecodedBatch parsed;
    try {
      parsed = DecodedBatch.of(b, LogBatch.parseFrom(b));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    assertThat(scanned.size()).isEqualTo(parsed.size());
    assertThat(scanned.resource()).isEqualTo(parsed.resource());
    for (int i = 0; i < parsed.size(); i++) {
      assertThat(scanned.offset(i)).isEqualTo(parsed.offset(i));
      assertThat(scanned.length(i)).isEqualTo(parsed.length(i));
      assertThat(scanned.severityNumber(i)).isEqualTo(parsed.severityNumber(i));
      assertThat(scanned.traceIdSize(i)).isEqualTo(parsed.traceIdSize(i));
      assertThat(scanned.spanIdSize(i)).isEqualTo(parsed.spanIdSize(i));
      assertThat(scanned.resourceAttributeKeys(i)).isEqualTo(parsed.resourceAttributeKeys(i));
      assertThat(scanned.record(i)).isEqualTo(parsed.record(i));
    }
  }

  /** The records protobuf finds, so that a batch that parses is not nacked for its count. */
  private static int countRecords(byte[] b) {
    try {
      return LogBatch.parseFrom(b).getRecordsCount();
    } catch (Exception e) {
      return 1;
    }
  }

  private static Batch batch(byte[] raw, int count) {
    return Batch.newBuilder().setSequence(1).setCodec(Codec.CODEC_NONE)
        .setPayload(com.google.protobuf.ByteString.copyFrom(raw)).setRecordCount(count)
        .setUncompressedSize(raw.length).build();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(a);
    out.writeBytes(b);
    return out.toByteArray();
  }
}
