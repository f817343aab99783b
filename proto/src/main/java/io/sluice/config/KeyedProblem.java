package io.sluice.config;

/**
 * An exception that already knows which key it is about and what is wrong with it (the collector's and the agent's
 * builder exceptions). {@link ConfigReader#set} reports its {@link #problem()} at the key being read, so the text is
 * not prefixed twice.
 */
public interface KeyedProblem {
  /** The key the builder blamed, dotted. */
  String key();

  /** What is wrong and what to write instead, without the key. */
  String problem();
}
