package io.sluice.agent;

import io.sluice.config.ConfigProblem;
import io.sluice.config.KeyedProblem;
import java.util.List;

/**
 * Settings in the agent's configuration are missing or wrong. Each problem names the key (with the file and line
 * when it came from agent.yaml) and says how to fix it; one exception carries every problem of a file
 * ({@link #problems()}, one per line of the message).
 */
public final class AgentConfigException extends IllegalArgumentException implements KeyedProblem {
  private final List<ConfigProblem> problems;

  public AgentConfigException(String key, String message) {
    this(List.of(new ConfigProblem(null, 0, key, message)));
  }

  /** Every problem of one document, at least one. */
  public AgentConfigException(List<ConfigProblem> problems) {
    super(String.join("\n", problems.stream().map(ConfigProblem::toString).toList()));
    this.problems = List.copyOf(problems);
  }

  /** Every problem, in document order. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** The (first) key at fault as a path into the YAML, e.g. {@code inputs[0].multiline.mode}. */
  @Override
  public String key() {
    return problems.get(0).path();
  }

  /** What is wrong with {@link #key()}, without the key. */
  @Override
  public String problem() {
    return problems.get(0).message();
  }
}
