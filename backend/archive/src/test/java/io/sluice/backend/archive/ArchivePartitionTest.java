package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class ArchivePartitionTest {
  @Test
  void pathIsUtcDateHourAndService() {
    ArchivePartition p = ArchivePartition.of(Instant.parse("2026-11-23T23:59:59.999Z"), "checkout");
    assertThat(p.path()).isEqualTo("date=2026-11-23/hour=23/service=checkout");
    assertThat(ArchivePartition.of(Instant.parse("2026-11-24T00:00:00Z"), "checkout").path())
        .isEqualTo("date=2026-11-24/hour=00/service=checkout");
  }

  @Test
  void serviceNamesCannotAddPathLevels() {
    String service = "pay/ments=eu ü%";
    String path = ArchivePartition.of(Instant.EPOCH, service).path();
    assertThat(path).isEqualTo("date=1970-01-01/hour=00/service=pay%2Fments%3Deu%20%C3%BC%25");
    assertThat(ArchivePartition.serviceOf(path + "/part-1.parquet")).isEqualTo(service);
    assertThat(ArchivePartition.unescape(ArchivePartition.escape(""))).isEmpty();
  }

  @Test
  void aPathOutsideAServicePartitionIsNamed() {
    assertThatThrownBy(() -> ArchivePartition.serviceOf("/archive/date=2026-11-23/x.parquet"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/archive/date=2026-11-23/x.parquet");
  }
}
