package io.sluice.config;

import java.util.List;

/**
 * Every problem found in one configuration, thrown once after the whole document was read, so a user fixes them
 * all in one round. The message is one {@link ConfigProblem} per line, in document order.
 */
public final class ConfigErrors extends IllegalArgumentException {
  private final List<ConfigProblem> problems;

  public ConfigErrors(List<ConfigProblem> problems) {
    super(join(problems));
    if (problems.isEmpty()) throw new IllegalArgumentException("no problems to report");
    this.problems = List.copyOf(problems);
  }

  /** At least one, in document order. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  static String join(List<ConfigProblem> problems) {
    StringBuilder s = new StringBuilder();
    for (ConfigProblem p : problems) {
      if (s.length() > 0) s.append('\n');
      s.append(p);
    }
    return s.toString();
  }
}
