package io.sluice.collector.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ResendWindowTest {
  @Test
  void remembersPublishedSequencesWithinTheWindowPerTenantAndSource() {
    ResendWindow w = new ResendWindow(128, 10);
    w.markPublished("t", "c", 1, 5);
    w.markPublished("t", "c", 1, 7);
    assertThat(w.published("t", "c", 1, 5)).isTrue();
    assertThat(w.published("t", "c", 1, 6)).isFalse(); // a gap: never published, never suppressed
    assertThat(w.published("t", "c", 2, 5)).isFalse(); // another epoch
    assertThat(w.published("u", "c", 1, 5)).isFalse(); // another tenant
    w.markPublished("t", "c", 1, 7 + 128); // the window moves past 5 and 7
    assertThat(w.published("t", "c", 1, 5)).isFalse();
    assertThat(w.published("t", "c", 1, 7)).isFalse();
    assertThat(w.published("t", "c", 1, 135)).isTrue();
    w.markPublished("t", "c", 1, 100); // late, inside the window
    assertThat(w.published("t", "c", 1, 100)).isTrue();
    w.markPublished("t", "c", 1, 1); // older than the window: ignored
    assertThat(w.published("t", "c", 1, 1)).isFalse();
  }

  @Test
  void unsignedSequencesAndTheSourceCapAreHonoured() {
    ResendWindow w = new ResendWindow(64, 2);
    w.markPublished("t", "a", 1, -1L); // 2^64-1
    assertThat(w.published("t", "a", 1, -1L)).isTrue();
    assertThat(w.published("t", "a", 1, 0)).isFalse();
    w.markPublished("t", "b", 1, 1);
    w.markPublished("t", "c", 1, 1); // evicts the least recently used, "a"
    assertThat(w.sources()).isEqualTo(2);
    assertThat(w.published("t", "a", 1, -1L)).isFalse();
    assertThat(new ResendWindow(0, 2).published("t", "a", 1, 1)).isFalse();
  }
}
