package io.sluice.backend.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.backend.job.BoundedKafkaRead.Range;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedKafkaReadTest {
  @Test
  void splitCoversEveryOffsetOnceInConsecutivePieces() {
    List<Range> pieces = BoundedKafkaRead.split(
        List.of(new Range("t", 0, 5, 165_008), new Range("t", 1, 0, 7), new Range("u", 0, 100, 40_100)), 16, 10_000);
    assertThat(pieces.stream().filter(r -> r.topic().equals("t") && r.partition() == 0)).hasSize(16);
    assertThat(pieces.stream().filter(r -> r.partition() == 1)).containsExactly(new Range("t", 1, 0, 7));
    assertThat(pieces.stream().filter(r -> r.topic().equals("u"))).hasSize(4);
    for (String topic : List.of("t", "u")) {
      for (int p = 0; p < 2; p++) {
        int partition = p;
        List<Range> of = pieces.stream().filter(r -> r.topic().equals(topic) && r.partition() == partition).toList();
        for (int i = 1; i < of.size(); i++) {
          assertThat(of.get(i).from()).isEqualTo(of.get(i - 1).to());
          assertThat(of.get(i).to()).isGreaterThan(of.get(i).from());
        }
      }
    }
    assertThat(pieces.get(0).from()).isEqualTo(5);
    assertThat(pieces.get(15).to()).isEqualTo(165_008);
  }
}
