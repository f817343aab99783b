package io.sluice.backend.archive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.util.Map;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.junit.jupiter.api.Test;

class ArchiveConfigTest {
  @Test
  void propertiesSetEveryKey() {
    ArchiveConfig c = ArchiveConfig.fromProperties(Map.of(
        "root", "hdfs://nn:8020/sluice/logs", "maxFileBytes", "1000000", "maxRowsPerFile", "5000",
        "rowGroupBytes", "1048576", "compression", "gzip", "hadoop.dfs.replication", "2"));
    assertThat(c.root()).isEqualTo(URI.create("hdfs://nn:8020/sluice/logs"));
    assertThat(c.maxFileBytes()).isEqualTo(1_000_000);
    assertThat(c.maxRowsPerFile()).isEqualTo(5_000);
    assertThat(c.rowGroupBytes()).isEqualTo(1 << 20);
    assertThat(c.compression()).isEqualTo(CompressionCodecName.GZIP);
    assertThat(c.hadoop()).containsExactly(Map.entry("dfs.replication", "2"));
  }

  @Test
  void errorsNameTheKeyAndTheFix() {
    assertThatThrownBy(() -> ArchiveConfig.fromProperties(Map.of()))
        .hasMessageContaining("'root' is required").hasMessageContaining("hdfs://");
    assertThatThrownBy(() -> ArchiveConfig.builder(URI.create("sluice/logs")).build())
        .hasMessageContaining("'root'").hasMessageContaining("absolute URI");
    assertThatThrownBy(() -> ArchiveConfig.fromProperties(Map.of("root", "file:///a", "maxRows", "1")))
        .hasMessageContaining("unknown archive key 'maxRows'").hasMessageContaining("maxRowsPerFile");
    assertThatThrownBy(() -> ArchiveConfig.fromProperties(Map.of("root", "file:///a", "compression", "lz5")))
        .hasMessageContaining("'compression'").hasMessageContaining("SNAPPY");
    assertThatThrownBy(() -> ArchiveConfig.fromProperties(Map.of("root", "file:///a", "maxFileBytes", "1MB")))
        .hasMessageContaining("'maxFileBytes' must be a whole number");
    assertThatThrownBy(() -> ArchiveConfig.builder(URI.create("file:///a")).rowGroupBytes(10).build())
        .hasMessageContaining("'rowGroupBytes'");
    assertThatThrownBy(() -> ArchiveConfig.builder(URI.create("file:///a")).maxRowsPerFile(0).build())
        .hasMessageContaining("'maxRowsPerFile'");
  }
}
