package io.sluice.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.UnsafeByteOperations;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The scan's UTF-8 check gives protobuf's answer ({@code ByteString.isValidUtf8}) on every input. */
class Utf8CheckTest {

  @Test
  void agreesWithProtobufOnEverySequenceOfUpToThreeBytes() {
    byte[] b = new byte[11]; // 8 ASCII bytes first, so the eight-at-a-time path runs too
    java.util.Arrays.fill(b, (byte) 'a');
    for (int x = 0; x < 256; x++) {
      for (int y = 0; y < 256; y++) {
        for (int z = 0; z < 256; z++) {
          b[8] = (byte) x;
          b[9] = (byte) y;
          b[10] = (byte) z;
          for (int len = 9; len <= 11; len++) {
            boolean expected = UnsafeByteOperations.unsafeWrap(b, 0, len).isValidUtf8();
            if (Utf8Check.isWellFormed(b, 0, len) != expected) {
              throw new AssertionError(String.format("%02x %02x %02x (length %d): protobuf says %s", x, y, z,
                  len - 8, expected));
            }
          }
        }
      }
    }
  }

  @Test
  void agreesWithProtobufOnFourByteSequences() {
    int[] tails = {0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    for (int x = 0xe0; x < 256; x++) {
      for (int y = 0; y < 256; y++) {
        for (int z : tails) {
          for (int w : tails) {
            byte[] b = {(byte) x, (byte) y, (byte) z, (byte) w};
            assertThat(Utf8Check.isWellFormed(b, 0, 4))
                .as("%02x %02x %02x %02x", x, y, z, w)
                .isEqualTo(UnsafeByteOperations.unsafeWrap(b).isValidUtf8());
          }
        }
      }
    }
  }

  @Test
  void agreesWithProtobufOnMostlyAsciiTextWithCharactersAndDamageAnywhere() {
    java.util.Random random = new java.util.Random(15);
    String[] chars = {"é", "€", "😀", "ü", "日本"};
    for (int n = 0; n < 20_000; n++) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      for (int part = random.nextInt(6); part >= 0; part--) {
        int ascii = random.nextInt(40); // runs below, at and above the 8- and 16-byte steps
        for (int i = 0; i < ascii; i++) out.write('a' + random.nextInt(26));
        byte[] c = chars[random.nextInt(chars.length)].getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.write(c, 0, c.length);
      }
      byte[] b = out.toByteArray();
      if (random.nextBoolean()) {
        b[random.nextInt(b.length)] = (byte) random.nextInt(256); // maybe a broken sequence, maybe not
      }
      int off = random.nextInt(Math.min(3, b.length));
      int len = b.length - off - random.nextInt(Math.min(3, b.length - off) + 1);
      assertThat(Utf8Check.isWellFormed(b, off, len)).as("%s", java.util.HexFormat.of().formatHex(b, off, off + len))
          .isEqualTo(UnsafeByteOperations.unsafeWrap(b, off, len).isValidUtf8());
    }
  }

  @Property(tries = 3000)
  void agreesWithProtobufOnRandomBytes(@ForAll @Size(max = 40) byte[] b) {
    assertThat(Utf8Check.isWellFormed(b, 0, b.length)).isEqualTo(UnsafeByteOperations.unsafeWrap(b).isValidUtf8());
  }

  @Property(tries = 1000)
  void acceptsEveryString(@ForAll String s) {
    byte[] b = ("pre" + s + "post").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(Utf8Check.isWellFormed(b, 0, b.length))
        .isEqualTo(UnsafeByteOperations.unsafeWrap(b).isValidUtf8());
  }
}
