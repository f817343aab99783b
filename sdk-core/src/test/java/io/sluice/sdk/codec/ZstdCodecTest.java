package io.sluice.sdk.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ZstdCodecTest {
  @Test
  void roundTrips() throws IOException {
    byte[] in = "hello hello hello hello".repeat(100).getBytes(StandardCharsets.UTF_8);
    byte[] c = ZstdCodec.compress(in, 3);
    assertThat(c.length).isLessThan(in.length);
    assertThat(ZstdCodec.decompress(c, in.length)).isEqualTo(in);
  }

  @Test
  void refusesABombThatDeclaresItsSize() {
    byte[] bomb = ZstdCodec.compress(new byte[64 << 20], 3);
    assertThat(bomb.length).isLessThan(64 << 10);
    assertThatThrownBy(() -> ZstdCodec.decompress(bomb, 1 << 20)).isInstanceOf(IOException.class)
        .hasMessageContaining("exceeds the cap");
  }

  @Test
  void refusesABombWithoutDeclaredSize() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(out)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 64; i++) z.write(zeros);
    }
    byte[] bomb = out.toByteArray();
    assertThatThrownBy(() -> ZstdCodec.decompress(bomb, 1 << 20)).isInstanceOf(IOException.class)
        .hasMessageContaining("exceeds the cap");
  }

  @Test
  void refusesGarbage() {
    assertThatThrownBy(() -> ZstdCodec.decompress("not zstd at all".getBytes(StandardCharsets.UTF_8), 1 << 20))
        .isInstanceOf(IOException.class);
  }
}
