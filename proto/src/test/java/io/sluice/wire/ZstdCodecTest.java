package io.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ZstdCodecTest {
  @Test
  void roundTripsWithItsContextsReusedAcrossBatches() throws Exception {
    try (ZstdCodec codec = new ZstdCodec(3)) {
      for (int i = 0; i < 50; i++) {
        byte[] in = ("hello " + i + " ").repeat(100 + i * 50).getBytes(StandardCharsets.UTF_8);
        byte[] c = codec.compress(in);
        assertThat(c.length).isLessThan(in.length);
        assertThat(com.github.luben.zstd.Zstd.decompress(c, in.length)).as("a plain zstd frame").isEqualTo(in);
        assertThat(codec.decompress(c, in.length)).isEqualTo(in);
      }
    }
  }

  @Test
  void compressesAtTheFastNegativeLevelsSluiceAccepts() throws Exception {
    byte[] in = "fast fast fast ".repeat(1000).getBytes(StandardCharsets.UTF_8);
    for (int level : new int[] {-7, -1, 1, 22}) {
      try (ZstdCodec codec = new ZstdCodec(level)) {
        assertThat(codec.decompress(codec.compress(in), in.length)).isEqualTo(in);
      }
    }
    assertThat(ZstdCodec.forThisThread(-7).level()).isEqualTo(-7);
  }

  @Test
  void compressesARangeOfAnArray() throws Exception {
    byte[] in = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);
    ZstdCodec codec = ZstdCodec.forThisThread(3);
    assertThat(codec.decompress(codec.compress(in, 10, 500), 1 << 20)).isEqualTo(Arrays.copyOfRange(in, 10, 510));
  }

  @Test
  void refusesABombThatDeclaresItsSizeBeforeAllocating() {
    ZstdCodec codec = new ZstdCodec(3);
    byte[] bomb = codec.compress(new byte[64 << 20]);
    assertThat(bomb.length).isLessThan(64 << 10);
    assertThatThrownBy(() -> codec.decompress(bomb, 1 << 20)).isInstanceOf(WireException.class)
        .hasMessage("the zstd frame declares " + (64 << 20) + " bytes; the limit is " + (1 << 20))
        .extracting(e -> ((WireException) e).reason()).isEqualTo(WireException.Reason.DECOMPRESSED_TOO_LARGE);
  }

  @Test
  void refusesABombWithoutDeclaredSize() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) z.write(zeros);
    }
    byte[] bomb = out.toByteArray();
    assertThatThrownBy(() -> new ZstdCodec(3).decompress(bomb, 1 << 20)).isInstanceOf(WireException.class)
        .hasMessageContaining("decoding stopped past " + (1 << 20) + " bytes; the limit is " + (1 << 20))
        .extracting(e -> ((WireException) e).reason()).isEqualTo(WireException.Reason.DECOMPRESSED_TOO_LARGE);
  }

  @Test
  void refusesGarbageAndATruncatedFrameAndKeepsWorking() throws Exception {
    ZstdCodec codec = new ZstdCodec(3);
    assertThatThrownBy(() -> codec.decompress("not zstd at all".getBytes(StandardCharsets.UTF_8), 1 << 20))
        .isInstanceOf(WireException.class)
        .extracting(e -> ((WireException) e).reason()).isEqualTo(WireException.Reason.CORRUPT_PAYLOAD);
    byte[] in = "abcdefghij".repeat(10_000).getBytes(StandardCharsets.UTF_8);
    byte[] c = codec.compress(in);
    assertThatThrownBy(() -> codec.decompress(Arrays.copyOf(c, c.length - 5), 1 << 20))
        .isInstanceOf(WireException.class)
        .extracting(e -> ((WireException) e).reason()).isEqualTo(WireException.Reason.CORRUPT_PAYLOAD);
    assertThat(codec.decompress(c, 1 << 20)).as("the context is usable after a failure").isEqualTo(in);
  }
}
