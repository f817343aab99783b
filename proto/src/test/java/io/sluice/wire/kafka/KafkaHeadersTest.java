package io.sluice.wire.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/** Header values keep their documented encoding: big-endian, as ByteBuffer writes it. */
class KafkaHeadersTest {

  @Property(tries = 1000)
  void int32IsBigEndian(@ForAll int v) {
    assertThat(KafkaHeaders.int32(v)).isEqualTo(ByteBuffer.allocate(4).putInt(v).array());
    assertThat(KafkaHeaders.readInt32(KafkaHeaders.int32(v))).isEqualTo(v);
  }

  @Property(tries = 1000)
  void int64IsBigEndian(@ForAll long v) {
    assertThat(KafkaHeaders.int64(v)).isEqualTo(ByteBuffer.allocate(8).putLong(v).array());
    assertThat(KafkaHeaders.readInt64(KafkaHeaders.int64(v))).isEqualTo(v);
  }
}
