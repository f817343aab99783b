package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
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
    assertThat(path).isEqualTo("date=1970-01-01/hour=00/service=pay%2Fments%3Deu ü%25");
    assertThat(ArchivePartition.serviceOf(path + "/part-1.parquet")).isEqualTo(service);
    assertThat(ArchivePartition.unescape(ArchivePartition.escape(""))).isEmpty();
  }

  @Test
  void hiveAndTrinoReadNonAsciiServiceNamesBack() {
    for (String service : List.of("billing api/eu-ü", "東京-orders", "emoji-\uD83D\uDE80", "a%b=c")) {
      String escaped = ArchivePartition.escape(service);
      assertThat(hiveUnescape(escaped)).as(escaped).isEqualTo(service);
      assertThat(ArchivePartition.unescape(escaped)).isEqualTo(service);
    }
  }

  @Test
  void directoryNamesAreThePartitionNamesHiveAndTrinoMake() {
    // Hive's FileUtils.escapePathName (copied by Trino's Partitions): what their metastores store as the partition
    // name, and what sync_partition_metadata / MSCK REPAIR compare the directories with
    assertThat(ArchivePartition.escape("billing api/eu-ü")).isEqualTo("billing api%2Feu-ü");
    assertThat(ArchivePartition.escape("a+b (c)&d,e;f@g~h!$")).isEqualTo("a+b (c)&d,e;f@g~h!$");
    assertThat(ArchivePartition.escape("q\"#%'*/:=?\\\u007F{[]^\t"))
        .isEqualTo("q%22%23%25%27%2A%2F%3A%3D%3F%5C%7F%7B%5B%5D%5E%09");
  }

  @Test
  void pathsOfOlderArchivesWithEscapedUtf8BytesStillReadBack() {
    assertThat(ArchivePartition.serviceOf("/a/date=2026-11-23/hour=01/service=eu%20%C3%BC/part-1.parquet"))
        .isEqualTo("eu ü");
  }

  /** What Hive's and Trino's {@code unescapePathName} do: each {@code %XX} is the one character U+00XX. */
  private static String hiveUnescape(String path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '%' && i + 2 < path.length()) {
        out.append((char) Integer.parseInt(path.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  @Test
  void aPathOutsideAServicePartitionIsNamed() {
    assertThatThrownBy(() -> ArchivePartition.serviceOf("/archive/date=2026-11-23/x.parquet"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/archive/date=2026-11-23/x.parquet");
  }
}
