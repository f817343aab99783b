package io.sluice.collector.ingest.fluent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.collector.ingest.RequestIngest;
import io.sluice.proto.v1.SeverityNumber;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessageUnpacker;

class ForwardDecoderTest {
  private static final long NOW = 42_000_000_000L;
  private final AtomicLong shared = new AtomicLong();

  private ForwardDecoder.Message decode(byte[] bytes, int maxFrame, int maxDecoded) throws Exception {
    MessageUnpacker u = MessagePack.newDefaultUnpacker(bytes);
    try (DecodeCost cost = new DecodeCost(shared, 1L << 30, maxDecoded)) {
      BoundedReader r = new BoundedReader(u, maxFrame, "fluent.maxFrameBytes", cost);
      return ForwardDecoder.read(r, cost, maxDecoded, NOW);
    }
  }

  private ForwardDecoder.Message decode(byte[] bytes) throws Exception {
    return decode(bytes, 1 << 20, 1 << 20);
  }

  private static byte[] entry(ForwardClient.Packing time, String log) throws Exception {
    return ForwardClient.pack(p -> {
      p.packArrayHeader(2);
      time.pack(p);
      p.packMapHeader(1).packString("log").packString(log);
    });
  }

  private static byte[] gzip(byte[] b) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(b);
    }
    return out.toByteArray();
  }

  @Test
  void eventTimesOfEveryShapeAndNilRecords() throws Exception {
    byte[] eventTime = {0x65, 0x53, (byte) 0xf1, 0x00, 0x00, 0x00, 0x00, 0x07}; // 1700000000 s, 7 ns
    ForwardDecoder.Message m = decode(ForwardClient.pack(p -> {
      p.packArrayHeader(3).packString("t").packArrayHeader(5);
      p.packArrayHeader(2).packExtensionTypeHeader((byte) 0, 8).addPayload(eventTime);
      p.packMapHeader(1).packString("log").packString("a");
      p.packArrayHeader(2).packArrayHeader(2).packLong(5).packMapHeader(0); // Fluent Bit 2.x [time, metadata]
      p.packMapHeader(1).packString("log").packString("b");
      p.packArrayHeader(2).packNil().packMapHeader(0); // nil time: now
      p.packArrayHeader(2).packLong(0).packMapHeader(0); // 0: now, as Fluentd
      p.packArrayHeader(2).packLong(9).packNil(); // nil record: skipped, as Fluentd
      p.packMapHeader(1).packString("chunk").packString("abc");
    }));
    assertThat(m.mode()).isEqualTo("Forward");
    assertThat(m.chunk()).isEqualTo("abc");
    assertThat(m.events()).extracting(ForwardDecoder.Event::timeNanos)
        .containsExactly(1_700_000_000_000_000_007L, 5_000_000_000L, NOW, NOW);
  }

  @Test
  void packedForwardAsBinAndConcatenatedGzipMembers() throws Exception {
    byte[] a = entry(p -> p.packLong(1), "one");
    byte[] b = entry(p -> p.packLong(2), "two");
    ByteArrayOutputStream members = new ByteArrayOutputStream();
    members.write(gzip(a));
    members.write(gzip(b)); // Fluentd appends one gzip member per write
    byte[] gz = members.toByteArray();
    ForwardDecoder.Message m = decode(ForwardClient.pack(p -> {
      p.packArrayHeader(3).packString("t").packBinaryHeader(gz.length).writePayload(gz);
      p.packMapHeader(2).packString("compressed").packString("gzip").packString("size").packInt(2);
    }));
    assertThat(m.mode()).isEqualTo("CompressedPackedForward");
    assertThat(m.chunk()).isNull();
    List<RequestIngest.Part> parts = FluentRecords.parts(m, "service", "h", NOW);
    assertThat(parts).hasSize(1);
    assertThat(parts.get(0).records()).extracting(r -> r.getBody().getStringValue()).containsExactly("one", "two");
    assertThat(parts.get(0).resource().get("service.name").getStringValue()).isEqualTo("t");
    assertThat(shared.get()).isZero(); // the shared decode budget was given back
  }

  @Test
  void recordsGroupByServiceAndMapSeverityNames() throws Exception {
    ForwardDecoder.Message m = decode(ForwardClient.pack(p -> {
      p.packArrayHeader(2).packString("tag").packArrayHeader(3);
      p.packArrayHeader(2).packLong(1).packMapHeader(3).packString("svc").packString("a").packString("severity")
          .packString("Warning").packString("message").packString("m1");
      p.packArrayHeader(2).packLong(1).packMapHeader(2).packString("svc").packString("b").packString("level")
          .packString("crit");
      p.packArrayHeader(2).packLong(1).packMapHeader(1).packString("svc").packString("a");
    }));
    List<RequestIngest.Part> parts = FluentRecords.parts(m, "svc", null, NOW);
    assertThat(parts).extracting(p -> p.resource().get("service.name").getStringValue()).containsExactly("a", "b");
    assertThat(parts.get(0).records()).hasSize(2);
    assertThat(parts.get(0).records().get(0).getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(parts.get(1).records().get(0).getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_FATAL);
    assertThat(parts.get(0).resource()).doesNotContainKey("host.name");
  }

  @Test
  void declaredSizesAreCheckedBeforeAllocation() {
    // an array declaring 2^31-1 entries in a 10-byte message
    byte[] huge = {(byte) 0x92, (byte) 0xa1, 't', (byte) 0xdd, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0, 0};
    assertThatThrownBy(() -> decode(huge)).isInstanceOf(ForwardException.class)
        .satisfies(e -> assertThat(((ForwardException) e).reason).isEqualTo(ForwardException.Reason.FRAME_TOO_LARGE))
        .hasMessageContaining("fluent.maxFrameBytes");
    assertThat(shared.get()).isZero();
  }

  @Test
  void deepNestingAndTheDecodeCostAreBounded() throws Exception {
    byte[] deep = ForwardClient.pack(p -> {
      p.packArrayHeader(3).packString("t").packLong(1);
      for (int i = 0; i < 100; i++) {
        p.packArrayHeader(1);
      }
      p.packNil();
    });
    assertThatThrownBy(() -> decode(deep)).isInstanceOf(ForwardException.class)
        .satisfies(e -> assertThat(((ForwardException) e).reason).isEqualTo(ForwardException.Reason.UNDECODABLE))
        .hasMessageContaining("nested deeper than 64");
    // 20,000 one-byte values cost far more than their 20 KB as objects: bounded by maxDecompressedBytes
    byte[] many = ForwardClient.pack(p -> {
      p.packArrayHeader(3).packString("t").packLong(1).packMapHeader(1).packString("v").packArrayHeader(20_000);
      for (int i = 0; i < 20_000; i++) {
        p.packInt(1);
      }
    });
    assertThatThrownBy(() -> decode(many, 1 << 20, 256 * 1024)).isInstanceOf(ForwardException.class)
        .satisfies(e -> assertThat(((ForwardException) e).reason)
            .isEqualTo(ForwardException.Reason.DECOMPRESSED_TOO_LARGE));
    assertThat(shared.get()).isZero();
  }
}
