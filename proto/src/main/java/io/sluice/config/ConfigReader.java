package io.sluice.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The one reader of collector.yaml and agent.yaml. It parses the YAML keeping each key's line, substitutes
 * {@code ${VAR}} / {@code ${VAR:-default}} / {@code $$} in values ({@link EnvSubstitution}), and offers typed
 * accessors (sizes and durations with units, {@link Units}) that <em>collect</em> problems instead of throwing, so
 * that one pass reports every mistake with file, line and key ({@link ConfigProblem}); {@link #throwIfProblems()}
 * ends the pass. Unknown keys are named with the nearest known one.
 *
 * <p>Usage: read or parse, walk {@link #root()} with {@link #mapping}, {@link #set} and the parsers, then
 * {@link #throwIfProblems()}. Not thread-safe: one reader per document and thread. Bounded by the document.
 */
public final class ConfigReader {
  private static final YAMLFactory YAML = new YAMLFactory();

  private final String source;
  private final Function<String, String> env;
  private final List<ConfigProblem> problems = new ArrayList<>();
  private final Map<String, Integer> lines = new HashMap<>();
  private ConfigNode root = ConfigNode.mapping("", 0, new LinkedHashMap<>());

  private ConfigReader(String source, Function<String, String> env) {
    this.source = source;
    this.env = env;
  }

  /** Reads {@code file} (problems name its file name), substituting from the process environment. */
  public static ConfigReader read(Path file) {
    return read(file, System::getenv);
  }

  /** Reads {@code file}, substituting from {@code env}; a missing or unreadable file is a problem, not a throw. */
  public static ConfigReader read(Path file, Function<String, String> env) {
    String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    ConfigReader r = new ConfigReader(name, env);
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      r.problems.add(new ConfigProblem(file.toString(), 0, "", "the file does not exist; check --config"));
      return r;
    } catch (IOException | RuntimeException e) {
      r.problems.add(new ConfigProblem(file.toString(), 0, "", "cannot be read: " + e));
      return r;
    }
    r.parseText(text);
    return r;
  }

  /** Parses {@code text}; {@code source} names it in problems (null for none). */
  public static ConfigReader parse(String source, String text, Function<String, String> env) {
    ConfigReader r = new ConfigReader(source, env);
    r.parseText(text);
    return r;
  }

  // ----------------------------------------------------------------------------------------------------- parsing

  private void parseText(String text) {
    try (JsonParser p = YAML.createParser(text)) {
      JsonToken t = p.nextToken();
      if (t == null) return; // empty, or only comments: every key keeps its default
      ConfigNode doc = node(p, "", line(p));
      if (p.nextToken() != null) {
        problem(line(p), "", "a second YAML document starts here (after ---); keep one document per file");
      }
      if (doc.isNull()) return;
      if (!doc.isMapping()) {
        problem(doc.line(), "", "the file must be a mapping of keys (key: value), found " + doc.describe());
        return;
      }
      root = doc;
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String why = e.getOriginalMessage() == null ? e.toString() : e.getOriginalMessage().strip();
      int nl = why.indexOf('\n');
      problem(at == null ? 0 : at.getLineNr(), "", "is not valid YAML: " + (nl < 0 ? why : why.substring(0, nl)));
    } catch (IOException e) {
      problem(0, "", "cannot be parsed: " + e);
    }
  }

  private ConfigNode node(JsonParser p, String path, int line) throws IOException {
    JsonToken t = p.currentToken();
    lines.putIfAbsent(path, line);
    switch (t) {
      case START_OBJECT: {
        LinkedHashMap<String, ConfigNode> fields = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String key = p.currentName();
          int keyLine = line(p);
          String childPath = ConfigNode.child(path, key);
          p.nextToken();
          ConfigNode child = node(p, childPath, keyLine);
          ConfigNode first = fields.putIfAbsent(key, child);
          if (first != null) {
            problem(keyLine, childPath, "appears twice (first on line " + first.line() + "); keep one");
          }
        }
        return ConfigNode.mapping(path, line, fields);
      }
      case START_ARRAY: {
        List<ConfigNode> items = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
          items.add(node(p, path + "[" + items.size() + "]", line(p)));
        }
        return ConfigNode.list(path, line, items);
      }
      case VALUE_NULL:
        return ConfigNode.nil(path, line);
      default: {
        if (p instanceof YAMLParser y && y.isCurrentAlias()) {
          // Jackson hands an alias over as its anchor's name: say so rather than read "*name" as a value
          problem(line, path, "*" + p.getText() + " is a YAML alias, which is not supported here; write the value "
              + "itself (or use ${VAR})");
          return ConfigNode.scalar(path, line, p.getText(), true, true);
        }
        String raw = p.getText();
        int before = problems.size();
        String text = EnvSubstitution.apply(raw, env, m -> problem(line, path, m));
        return ConfigNode.scalar(path, line, text, t == JsonToken.VALUE_STRING, problems.size() > before);
      }
    }
  }

  private static int line(JsonParser p) {
    JsonLocation l = p.currentTokenLocation();
    return l == null ? 0 : Math.max(0, l.getLineNr());
  }

  // ---------------------------------------------------------------------------------------------------- problems

  /** The file name, or null. */
  public String source() { return source; }

  /** The document's top-level mapping (empty when the file was empty or could not be parsed). */
  public ConfigNode root() {
    return root;
  }

  /** The environment this reader substitutes from (also for OTEL_* defaults). */
  public String env(String name) {
    return env.apply(name);
  }

  /**
   * Records a problem with {@code at}; none when {@code at} is a value whose {@code ${VAR}} was already reported
   * (a second problem about what is left of it is noise).
   */
  public void problem(ConfigNode at, String message) {
    if (at.isUnresolved()) return;
    problem(at.line(), at.path(), message);
  }

  /** Records a problem with {@code key} of {@code parent}, which may be absent (then the parent's line is used). */
  public void problem(ConfigNode parent, String key, String message) {
    ConfigNode n = parent.get(key);
    problem(n != null ? n.line() : parent.line(), ConfigNode.child(parent.path(), key), message);
  }

  /** Records a problem of the environment the document is read in (e.g. a malformed OTEL_* variable). */
  public void environmentProblem(String message) {
    problems.add(new ConfigProblem("environment", 0, "", message));
  }

  /** Records a problem with the key at {@code path}, on its line when the document has it. */
  public void problem(String path, String message) {
    problem(lineOf(path), path, message);
  }

  private void problem(int line, String path, String message) {
    problems.add(new ConfigProblem(source, line, path, message));
  }

  /** 1-based line of the key at {@code path}, 0 when the document does not have it. */
  public int lineOf(String path) {
    return lines.getOrDefault(path, 0);
  }

  /** True when the document has the key at {@code path}. */
  public boolean hasPath(String path) {
    return lines.containsKey(path);
  }

  /** The problem {@code message} about the key at {@code path}, located in this document (for later checks). */
  public ConfigProblem locate(String path, String message) {
    return new ConfigProblem(source, lineOf(path), path, message);
  }

  /** Everything found so far, in document order (by line; problems without a line last). */
  public List<ConfigProblem> problems() {
    List<ConfigProblem> sorted = new ArrayList<>(problems);
    sorted.sort(java.util.Comparator.comparingInt(p -> p.line() == 0 ? Integer.MAX_VALUE : p.line()));
    return List.copyOf(sorted);
  }

  /** @throws ConfigErrors listing every problem, if there is any */
  public void throwIfProblems() {
    if (!problems.isEmpty()) throw new ConfigErrors(problems());
  }

  // ---------------------------------------------------------------------------------------------------- structure

  /**
   * The mapping under {@code key}: null when absent or written without a value; a problem (and null) when it is not
   * a mapping. Its keys are checked against {@code known}.
   */
  public ConfigNode mapping(ConfigNode parent, String key, Collection<String> known) {
    ConfigNode n = parent.get(key);
    if (n == null || n.isNull()) return null;
    if (!n.isMapping()) {
      problem(n, "must be a mapping of keys (" + String.join(", ", new TreeSet<>(known)) + "), found "
          + n.describe());
      return null;
    }
    knownKeys(n, known);
    return n;
  }

  /** Reports each key of {@code mapping} that is not in {@code known}, with the nearest known one. */
  public void knownKeys(ConfigNode mapping, Collection<String> known) {
    for (ConfigNode child : mapping.fields().values()) {
      String key = child.path().substring(mapping.path().isEmpty() ? 0 : mapping.path().length() + 1);
      if (!known.contains(key)) {
        String near = nearest(key, known);
        problem(child, "unknown key; " + (near == null ? "" : "did you mean " + near + "? ") + "(known here: "
            + String.join(", ", new TreeSet<>(known)) + ")");
      }
    }
  }

  /** The key of {@code known} closest to {@code key} by edit distance (ignoring case), or null if none is close. */
  public static String nearest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    String k = key.toLowerCase(Locale.ROOT);
    for (String candidate : new TreeSet<>(known)) {
      int d = distance(k, candidate.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        best = candidate;
        bestDistance = d;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * If {@code parent} has {@code key}: parses it with {@code parse} (which reports its own problems and returns
   * null) and hands the value to {@code setter}; an {@link IllegalArgumentException} from the setter (a builder's
   * check) is reported at the key. So a wrong value never stops the reading of the others.
   */
  public <T> void set(ConfigNode parent, String key, Function<ConfigNode, T> parse, Consumer<? super T> setter) {
    if (parent == null) return;
    ConfigNode n = parent.get(key);
    if (n == null) return;
    T value = parse.apply(n);
    if (value == null) return;
    run(n, () -> setter.accept(value));
  }

  /** Runs {@code action}; an {@link IllegalArgumentException} it throws is reported at {@code at}. */
  public void run(ConfigNode at, Runnable action) {
    try {
      action.run();
    } catch (ConfigErrors e) {
      problems.addAll(e.problems());
    } catch (IllegalArgumentException e) {
      problem(at, e instanceof KeyedProblem k ? k.problem() : e.getMessage());
    }
  }

  // ------------------------------------------------------------------------------------------------------ values

  /** A single value as text (numbers and booleans as written); a problem for nothing, a mapping or a list. */
  public String text(ConfigNode n) {
    if (n.isUnresolved()) return null; // its ${VAR} was reported; a second problem about the rest is noise
    if (!n.isScalar()) {
      problem(n, "needs a single value, found " + n.describe());
      return null;
    }
    return n.text();
  }

  /** Like {@link #text} but also refuses blank text; trimmed. */
  public String nonBlank(ConfigNode n) {
    String v = text(n);
    if (v == null) return null;
    if (v.isBlank()) {
      problem(n, "needs a value, found " + n.describe());
      return null;
    }
    return v.trim();
  }

  /** A whole number, any range. */
  public Long integer(ConfigNode n) {
    return integer(n, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** A whole number in {@code [min, max]}. */
  public Long integer(ConfigNode n, long min, long max) {
    String v = text(n);
    if (v == null) return null;
    long x;
    try {
      x = Long.parseLong(v.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      problem(n, n.describe() + " is not a whole number; write e.g. 16");
      return null;
    }
    return inRange(n, x, min, max, "");
  }

  /** A size in bytes ({@link Units#bytes}), any range. */
  public Long bytes(ConfigNode n) {
    return bytes(n, Long.MIN_VALUE, Long.MAX_VALUE);
  }

  /** A size in bytes ({@link Units#bytes}) in {@code [min, max]}. */
  public Long bytes(ConfigNode n, long min, long max) {
    String v = text(n);
    if (v == null) return null;
    try {
      return inRange(n, Units.bytes(v), min, max, " bytes");
    } catch (IllegalArgumentException e) {
      problem(n, e.getMessage());
      return null;
    }
  }

  /** A duration in milliseconds ({@link Units#millis}); a plain number is milliseconds. */
  public Long millis(ConfigNode n) {
    return millis(n, 0, Long.MAX_VALUE);
  }

  /** A duration in milliseconds in {@code [min, max]}. */
  public Long millis(ConfigNode n, long min, long max) {
    String v = text(n);
    if (v == null) return null;
    try {
      return inRange(n, Units.millis(v), min, max, " ms");
    } catch (IllegalArgumentException e) {
      problem(n, e.getMessage());
      return null;
    }
  }

  /** {@code true} or {@code false} (any case). */
  public Boolean bool(ConfigNode n) {
    String v = text(n);
    if (v == null) return null;
    String t = v.trim().toLowerCase(Locale.ROOT);
    if (t.equals("true") || t.equals("false")) return t.equals("true");
    problem(n, n.describe() + " is not true or false; write true or false");
    return null;
  }

  /** A list of values; with {@code single}, one value is read as a list of one. */
  public List<String> strings(ConfigNode n, boolean single) {
    List<String> out = new ArrayList<>();
    if (n.isNull()) return out;
    if (n.isScalar() && single) {
      if (n.isUnresolved()) return null;
      out.add(n.text());
      return out;
    }
    if (!n.isList()) {
      problem(n, "must be a list, e.g. [a, b], found " + n.describe());
      return null;
    }
    boolean ok = true;
    for (ConfigNode item : n.items()) {
      String v = text(item);
      if (v == null) ok = false;
      else out.add(v);
    }
    return ok ? out : null;
  }

  /** A mapping of names to single values, in document order. */
  public Map<String, String> stringMap(ConfigNode n) {
    if (!n.isMapping()) {
      problem(n, "must be a mapping of names to values, found " + n.describe());
      return null;
    }
    Map<String, String> out = new LinkedHashMap<>();
    boolean ok = true;
    for (Map.Entry<String, ConfigNode> e : n.fields().entrySet()) {
      String v = e.getValue().isNull() ? "" : text(e.getValue());
      if (v == null) ok = false;
      else out.put(e.getKey(), v);
    }
    return ok ? out : null;
  }

  private Long inRange(ConfigNode n, long x, long min, long max, String unit) {
    if (x < min || x > max) {
      problem(n, n.describe() + " is out of range [" + min + ", " + (max == Long.MAX_VALUE ? "..." : max) + "]"
          + unit);
      return null;
    }
    return x;
  }
}
