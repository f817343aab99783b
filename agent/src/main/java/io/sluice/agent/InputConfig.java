package io.sluice.agent;

import io.sluice.agent.multiline.MultilineConfig;
import io.sluice.agent.parse.ContainerFormat;
import io.sluice.agent.parse.ParserKind;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One group of files read the same way. Immutable.
 *
 * @param name shown in metrics and attached as {@code log.input}
 * @param include absolute globs ({@code **} crosses directories)
 * @param exclude globs; without {@code /} they match the file name ({@code *.gz})
 * @param container the envelope around each line (CRI, Docker json-file) or none
 * @param parser how the (unwrapped, joined) text becomes fields
 * @param regex the pattern for {@link ParserKind#REGEX}, else null
 * @param multiline how lines are joined
 * @param attributes added to every record of this input
 */
public record InputConfig(String name, List<String> include, List<String> exclude, ContainerFormat container,
    ParserKind parser, Pattern regex, MultilineConfig multiline, Map<String, String> attributes) {

  public InputConfig {
    include = List.copyOf(include);
    exclude = List.copyOf(exclude);
    attributes = Map.copyOf(attributes);
  }

  /** Plain lines from {@code include}, no multiline. */
  public static InputConfig plain(String name, String... include) {
    return new InputConfig(name, List.of(include), List.of(), ContainerFormat.NONE, ParserKind.PLAIN, null,
        MultilineConfig.NONE, Map.of());
  }

  public InputConfig withMultiline(MultilineConfig m) {
    return new InputConfig(name, include, exclude, container, parser, regex, m, attributes);
  }

  public InputConfig withExclude(String... globs) {
    return new InputConfig(name, include, List.of(globs), container, parser, regex, multiline, attributes);
  }

  public InputConfig withFormat(ContainerFormat c, ParserKind p, Pattern r) {
    return new InputConfig(name, include, exclude, c, p, r, multiline, attributes);
  }
}
