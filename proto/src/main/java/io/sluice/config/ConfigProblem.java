package io.sluice.config;

/**
 * One thing wrong in a configuration: where (file, 1-based line, dotted key path) and what, said so that the reader
 * knows what to write instead. {@link #toString()} is the line printed for it, e.g.
 * {@code collector.yaml:12: limits.maxFrameBytes: "lots" is not a size (examples: 4MiB, 512KiB, 1048576)}.
 *
 * @param source the file name, or null (text without a file, e.g. a ZooKeeper node given no name)
 * @param line 1-based line in {@code source}, or 0 when the key is not in the file (a default, a flag)
 * @param path the key, dotted as written ({@code kafka.topic}, {@code routes[2].topic}); "" for the whole document
 * @param message what is wrong and what to write instead
 */
public record ConfigProblem(String source, int line, String path, String message) {
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    if (source != null) {
      s.append(source);
      if (line > 0) s.append(':').append(line);
      s.append(": ");
    } else if (line > 0) {
      s.append("line ").append(line).append(": ");
    }
    if (path != null && !path.isEmpty()) s.append(path).append(": ");
    return s.append(message).toString();
  }
}
