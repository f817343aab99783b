package io.sluice.config;

import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@code ${NAME}}, {@code ${NAME:-default}} and {@code $$} in a value, as in the OpenTelemetry Collector and
 * Docker Compose: {@code ${NAME}} is the variable (an unset one is an error), {@code ${NAME:-default}} is the
 * variable, or {@code default} when it is unset or empty, {@code $$} is one literal {@code $}. Any other {@code $}
 * stays as written (so a regex's {@code $} needs no escape unless followed by <code>{</code> or {@code $}). The
 * default is literal text up to the first <code>}</code>; it is not substituted again. Stateless.
 */
public final class EnvSubstitution {
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private EnvSubstitution() {}

  /**
   * {@code text} with every reference replaced from {@code env}; each bad or unset reference is passed to
   * {@code problem} (and left out of the result), so one call reports them all.
   */
  public static String apply(String text, Function<String, String> env, Consumer<String> problem) {
    if (text.indexOf('$') < 0) return text;
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c != '$' || i + 1 == text.length()) {
        out.append(c);
        i++;
        continue;
      }
      char next = text.charAt(i + 1);
      if (next == '$') {
        out.append('$');
        i += 2;
        continue;
      }
      if (next != '{') {
        out.append(c);
        i++;
        continue;
      }
      int close = text.indexOf('}', i + 2);
      if (close < 0) {
        problem.accept("\"" + text.substring(i) + "\" has no closing }; write ${NAME}, ${NAME:-default}, or $$ for a"
            + " literal $");
        return out.toString();
      }
      String inner = text.substring(i + 2, close);
      int sep = inner.indexOf(":-");
      String name = sep < 0 ? inner : inner.substring(0, sep);
      if (!NAME.matcher(name).matches()) {
        problem.accept("${" + inner + "} is not a variable reference; write ${NAME} or ${NAME:-default} (letters, "
            + "digits, _), or $$ for a literal $");
      } else {
        String value = env.apply(name);
        if (sep >= 0 && (value == null || value.isEmpty())) {
          out.append(inner, sep + 2, inner.length());
        } else if (value == null) {
          problem.accept("${" + name + "}: environment variable " + name + " is not set and has no default; set "
              + "it, or write ${" + name + ":-default}");
        } else {
          out.append(value);
        }
      }
      i = close + 1;
    }
    return out.toString();
  }
}
