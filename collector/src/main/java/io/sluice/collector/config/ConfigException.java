package io.sluice.collector.config;

import io.sluice.config.ConfigProblem;
import io.sluice.config.KeyedProblem;
import java.util.List;

/**
 * A configuration that cannot be used. Each problem names the key (dotted, as written in collector.yaml), prefixed
 * by the file and line it came from when there is one, and says what to write instead, e.g.
 * {@code collector.yaml:3: listen: "abc" is not host:port; write e.g. 0.0.0.0:4417}. One exception carries every
 * problem of a file ({@link #problems()}, one per line of the message), so a user fixes them in one round.
 */
public final class ConfigException extends IllegalArgumentException implements KeyedProblem {
  private final List<ConfigProblem> problems;

  public ConfigException(String key, String problem) {
    this(List.of(new ConfigProblem(null, 0, key, problem)));
  }

  /** Every problem of one document, at least one. */
  public ConfigException(List<ConfigProblem> problems) {
    super(join(problems));
    this.problems = List.copyOf(problems);
  }

  private static String join(List<ConfigProblem> problems) {
    StringBuilder s = new StringBuilder();
    for (ConfigProblem p : problems) {
      if (s.length() > 0) s.append('\n');
      s.append(p);
    }
    return s.toString();
  }

  /** The same error, said to come from {@code source} (a file name or "command line"), where it names none. */
  public ConfigException from(String source) {
    return new ConfigException(problems.stream()
        .map(p -> p.source() != null ? p : new ConfigProblem(source, p.line(), p.path(), p.message())).toList());
  }

  /** Every problem, in document order. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** The (first) offending key, dotted as in collector.yaml (e.g. {@code kafka.partitions}). */
  @Override
  public String key() {
    return problems.get(0).path();
  }

  /** What is wrong with {@link #key()}, without the key. */
  @Override
  public String problem() {
    return problems.get(0).message();
  }

  /** The file the (first) value came from, or null for the programmatic builder. */
  public String source() {
    return problems.get(0).source();
  }
}
