package io.sluice.backend.archive;

import java.io.Serializable;
import java.net.URI;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;

/**
 * Immutable, serializable configuration of the Parquet archive, built by a validating {@link Builder} (or
 * {@link #fromProperties} for flat string maps such as CLI {@code -D} options). Every error names the key.
 *
 * <ul>
 *   <li>{@code root} — absolute URI of the archive's table directory on any Hadoop FileSystem ({@code
 *       hdfs://nn:8020/sluice/logs}, {@code file:///var/lib/sluice/archive}); required.
 *   <li>{@code hadoop.<key>} — Hadoop configuration over the defaults on the classpath ({@code fs.defaultFS},
 *       {@code dfs.replication}, …).
 *   <li>{@code maxFileBytes} — bytes, default 128 MiB: a file is closed and a new one started once this much has
 *       been written to it (checked after each row, so a file exceeds it by at most one row).
 *   <li>{@code maxRowsPerFile} — rows, default 1,000,000: the same, counted in rows.
 *   <li>{@code rowGroupBytes} — bytes, default 32 MiB: Parquet buffers one row group in memory before writing it,
 *       so this bounds the sink's heap (one file is open at a time); smaller groups mean more, smaller reads.
 *   <li>{@code compression} — UNCOMPRESSED, SNAPPY (default), GZIP or ZSTD; all readable by Hive, Trino and DuckDB.
 * </ul>
 */
public final class ArchiveConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final long DEFAULT_MAX_FILE_BYTES = 128L << 20;
  public static final int DEFAULT_MAX_ROWS_PER_FILE = 1_000_000;
  public static final long DEFAULT_ROW_GROUP_BYTES = 32L << 20;

  private final URI root;
  private final TreeMap<String, String> hadoop;
  private final long maxFileBytes;
  private final int maxRowsPerFile;
  private final long rowGroupBytes;
  private final CompressionCodecName compression;

  private ArchiveConfig(Builder b) {
    this.root = b.root;
    this.hadoop = new TreeMap<>(b.hadoop);
    this.maxFileBytes = b.maxFileBytes;
    this.maxRowsPerFile = b.maxRowsPerFile;
    this.rowGroupBytes = b.rowGroupBytes;
    this.compression = b.compression;
  }

  public static Builder builder(URI root) {
    return new Builder().root(root);
  }

  /**
   * The configuration in a flat map of the keys listed on this class ({@code root}, {@code maxFileBytes}, …,
   * {@code hadoop.<key>}).
   *
   * @throws IllegalArgumentException naming the key that is missing, unknown or malformed, and what to write instead
   */
  public static ArchiveConfig fromProperties(Map<String, String> properties) {
    Builder b = new Builder();
    String root = properties.get("root");
    if (root == null || root.isBlank()) {
      throw new IllegalArgumentException(
          "archive key 'root' is required: the archive's directory as an absolute URI, e.g. hdfs://nn:8020/sluice/logs");
    }
    try {
      b.root(URI.create(root.trim()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("archive key 'root' is not a URI (" + e.getMessage()
          + "): write an absolute URI such as hdfs://nn:8020/sluice/logs or file:///var/lib/sluice/archive", e);
    }
    for (Map.Entry<String, String> e : properties.entrySet()) {
      String key = e.getKey();
      String value = e.getValue().trim();
      switch (key) {
        case "root" -> {
        }
        case "maxFileBytes" -> b.maxFileBytes(parseLong(key, value));
        case "maxRowsPerFile" -> b.maxRowsPerFile((int) Math.min(Integer.MAX_VALUE, parseLong(key, value)));
        case "rowGroupBytes" -> b.rowGroupBytes(parseLong(key, value));
        case "compression" -> b.compression(parseCompression(value));
        default -> {
          if (!key.startsWith("hadoop.") || key.length() == "hadoop.".length()) {
            throw new IllegalArgumentException("unknown archive key '" + key + "': use root, maxFileBytes, "
                + "maxRowsPerFile, rowGroupBytes, compression or hadoop.<hadoop property>");
          }
          b.hadoop(key.substring("hadoop.".length()), value);
        }
      }
    }
    return b.build();
  }

  public URI root() {
    return root;
  }

  /** Hadoop properties set over the classpath defaults, in key order. */
  public Map<String, String> hadoop() {
    return Collections.unmodifiableMap(hadoop);
  }

  public long maxFileBytes() {
    return maxFileBytes;
  }

  public int maxRowsPerFile() {
    return maxRowsPerFile;
  }

  public long rowGroupBytes() {
    return rowGroupBytes;
  }

  public CompressionCodecName compression() {
    return compression;
  }

  @Override
  public String toString() {
    return "ArchiveConfig{root=" + root + ", maxFileBytes=" + maxFileBytes + ", maxRowsPerFile=" + maxRowsPerFile
        + ", rowGroupBytes=" + rowGroupBytes + ", compression=" + compression + ", hadoop=" + hadoop + "}";
  }

  private static long parseLong(String key, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "archive key '" + key + "' must be a whole number, got '" + value + "'", e);
    }
  }

  private static CompressionCodecName parseCompression(String value) {
    return switch (value.toUpperCase(Locale.ROOT)) {
      case "UNCOMPRESSED", "NONE" -> CompressionCodecName.UNCOMPRESSED;
      case "SNAPPY" -> CompressionCodecName.SNAPPY;
      case "GZIP" -> CompressionCodecName.GZIP;
      case "ZSTD" -> CompressionCodecName.ZSTD;
      default -> throw new IllegalArgumentException(
          "archive key 'compression' is '" + value + "': use UNCOMPRESSED, SNAPPY, GZIP or ZSTD");
    };
  }

  /** Validating builder; {@link #build} checks every value and names the key at fault. */
  public static final class Builder {
    private URI root;
    private final Map<String, String> hadoop = new TreeMap<>();
    private long maxFileBytes = DEFAULT_MAX_FILE_BYTES;
    private int maxRowsPerFile = DEFAULT_MAX_ROWS_PER_FILE;
    private long rowGroupBytes = DEFAULT_ROW_GROUP_BYTES;
    private CompressionCodecName compression = CompressionCodecName.SNAPPY;

    private Builder() {}

    public Builder root(URI root) {
      this.root = root;
      return this;
    }

    /** One Hadoop property over the classpath defaults (e.g. {@code fs.defaultFS}, {@code dfs.replication}). */
    public Builder hadoop(String key, String value) {
      hadoop.put(key, value);
      return this;
    }

    public Builder hadoop(Map<String, String> properties) {
      hadoop.putAll(properties);
      return this;
    }

    public Builder maxFileBytes(long bytes) {
      this.maxFileBytes = bytes;
      return this;
    }

    public Builder maxRowsPerFile(int rows) {
      this.maxRowsPerFile = rows;
      return this;
    }

    public Builder rowGroupBytes(long bytes) {
      this.rowGroupBytes = bytes;
      return this;
    }

    public Builder compression(CompressionCodecName codec) {
      this.compression = codec;
      return this;
    }

    public ArchiveConfig build() {
      if (root == null || root.getScheme() == null || root.getPath() == null || !root.getPath().startsWith("/")) {
        throw new IllegalArgumentException("archive key 'root' is '" + root + "': it must be an absolute URI with a "
            + "scheme, e.g. hdfs://nn:8020/sluice/logs or file:///var/lib/sluice/archive");
      }
      if (maxFileBytes < 1) {
        throw new IllegalArgumentException("archive key 'maxFileBytes' is " + maxFileBytes + ": it must be > 0 "
            + "(default " + DEFAULT_MAX_FILE_BYTES + ")");
      }
      if (maxRowsPerFile < 1) {
        throw new IllegalArgumentException("archive key 'maxRowsPerFile' is " + maxRowsPerFile
            + ": it must be > 0 (default " + DEFAULT_MAX_ROWS_PER_FILE + ")");
      }
      if (rowGroupBytes < 64 << 10 || rowGroupBytes > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("archive key 'rowGroupBytes' is " + rowGroupBytes
            + ": it must be between 65536 and 2147483647 (default " + DEFAULT_ROW_GROUP_BYTES + ")");
      }
      if (compression == null) {
        throw new IllegalArgumentException("archive key 'compression' is null: use UNCOMPRESSED, SNAPPY, GZIP or ZSTD");
      }
      return new ArchiveConfig(this);
    }
  }
}
