package io.sluice.agent.multiline;

import java.util.regex.Pattern;

/**
 * How one input joins lines.
 *
 * @param mode the rule
 * @param pattern the start or continue regex ({@link MultilineMode#START_REGEX}, {@link MultilineMode#CONTINUE_REGEX})
 * @param maxLines lines kept per event; further lines are dropped from the body, flagged and counted. Default 500.
 * @param maxBytes bytes kept per event (UTF-16 chars counted as bytes of the text); same at the limit. Default 1 MiB.
 * @param flushTimeoutNanos an event that got no line for this long is emitted. Default 1 s.
 */
public record MultilineConfig(MultilineMode mode, Pattern pattern, int maxLines, int maxBytes, long flushTimeoutNanos) {
  public static final MultilineConfig NONE =
      new MultilineConfig(MultilineMode.NONE, null, 500, 1 << 20, 1_000_000_000L);

  public MultilineConfig {
    if (mode == null) throw new IllegalArgumentException("mode is required");
    if ((mode == MultilineMode.START_REGEX || mode == MultilineMode.CONTINUE_REGEX) && pattern == null) {
      throw new IllegalArgumentException("mode " + mode + " needs a pattern");
    }
    if (maxLines < 1) throw new IllegalArgumentException("maxLines must be >= 1");
    if (maxBytes < 16) throw new IllegalArgumentException("maxBytes must be >= 16");
  }
}
