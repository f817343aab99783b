package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UnitsTest {
  @Test
  void sizesReadLikeSdkCoreAlwaysDid() {
    assertThat(Units.bytes("1048576")).isEqualTo(1048576);
    assertThat(Units.bytes("4MiB")).isEqualTo(4L << 20);
    assertThat(Units.bytes("4MB")).isEqualTo(4L << 20); // a power of 1024, as sdk-core's parseSize
    assertThat(Units.bytes("4mb")).isEqualTo(4L << 20);
    assertThat(Units.bytes("4 MiB")).isEqualTo(4L << 20);
    assertThat(Units.bytes("512KiB")).isEqualTo(512L << 10);
    assertThat(Units.bytes("64k")).isEqualTo(64L << 10);
    assertThat(Units.bytes("2GiB")).isEqualTo(2L << 30);
    assertThat(Units.bytes("1TiB")).isEqualTo(1L << 40);
    assertThat(Units.bytes("100B")).isEqualTo(100);
    assertThat(Units.bytes("1_048_576")).isEqualTo(1048576);
  }

  @Test
  void badSizesQuoteTheValueAndGiveExamples() {
    assertThatThrownBy(() -> Units.bytes("4 MBs"))
        .hasMessage("\"4 MBs\" is not a size (examples: 4MiB, 512KiB, 1048576)");
    assertThatThrownBy(() -> Units.bytes("1.5MiB")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> Units.bytes("")).hasMessageContaining("is not a size");
    assertThatThrownBy(() -> Units.bytes("99999999999TiB")).hasMessageContaining("too large");
  }

  @Test
  void durations() {
    assertThat(Units.millis("250")).isEqualTo(250);
    assertThat(Units.millis("500ms")).isEqualTo(500);
    assertThat(Units.millis("2s")).isEqualTo(2000);
    assertThat(Units.millis("2S")).isEqualTo(2000);
    assertThat(Units.millis("1m")).isEqualTo(60_000);
    assertThat(Units.millis("1h")).isEqualTo(3_600_000);
    assertThat(Units.millis("1d")).isEqualTo(86_400_000);
    assertThat(Units.millis("1m30s")).isEqualTo(90_000);
    assertThat(Units.millis("1.5s")).isEqualTo(1500);
    assertThat(Units.millis(" 5 s ")).isEqualTo(5000);
    assertThat(Units.millis("0")).isZero();
  }

  @Test
  void badDurations() {
    assertThatThrownBy(() -> Units.millis("soon")).hasMessage(
        "\"soon\" is not a duration (examples: 500ms, 2s, 1m, 1h; a plain number is milliseconds)");
    assertThatThrownBy(() -> Units.millis("2 weeks")).hasMessageContaining("is not a duration");
    assertThatThrownBy(() -> Units.millis("-1s")).hasMessageContaining("is negative");
    assertThatThrownBy(() -> Units.millis("1.0005s")).hasMessageContaining("whole number of milliseconds");
    assertThatThrownBy(() -> Units.millis("")).hasMessageContaining("is not a duration");
    assertThatThrownBy(() -> Units.millis("s")).hasMessageContaining("is not a duration");
  }
}
