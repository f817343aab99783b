package io.sluice.backend.archive;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import java.net.URI;
import java.util.Map;

/**
 * Entry point for the Parquet archive: serializable {@link SinkFactory}s that a pipeline ships to its workers
 * (free of any pipeline framework; the factory holds only an {@link ArchiveConfig}).
 */
public final class ParquetArchive {
  private ParquetArchive() {}

  /** A factory of sinks writing under {@code config.root()}. */
  public static SinkFactory<LogEvent> sinkFactory(ArchiveConfig config) {
    return new Factory(config);
  }

  /**
   * A factory of sinks writing under {@code root} with default file sizes and the given Hadoop properties.
   *
   * @param root absolute URI of the archive directory, e.g. {@code hdfs://nn:8020/sluice/logs}
   * @param hadoop Hadoop properties over the classpath defaults (may be empty)
   * @throws IllegalArgumentException when {@code root} is not an absolute URI
   */
  public static SinkFactory<LogEvent> sinkFactory(URI root, Map<String, String> hadoop) {
    return new Factory(ArchiveConfig.builder(root).hadoop(hadoop).build());
  }

  private record Factory(ArchiveConfig config) implements SinkFactory<LogEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public Sink<LogEvent> open() throws Exception {
      return new ParquetArchiveSink(config);
    }
  }
}
