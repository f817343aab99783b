package io.sluice.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a parsed configuration document with where it came from: its dotted key path and 1-based line. A
 * scalar's text has had its {@code ${VAR}} references substituted ({@link EnvSubstitution}). Immutable.
 */
public final class ConfigNode {
  /** What a node holds. */
  public enum Kind { MAPPING, LIST, SCALAR, NULL }

  private final Kind kind;
  private final String path;
  private final int line;
  private final String text;
  private final boolean string;
  private final boolean unresolved;
  private final Map<String, ConfigNode> fields;
  private final List<ConfigNode> items;

  private ConfigNode(Kind kind, String path, int line, String text, boolean string, boolean unresolved,
      Map<String, ConfigNode> fields, List<ConfigNode> items) {
    this.kind = kind;
    this.path = path;
    this.line = line;
    this.text = text;
    this.string = string;
    this.unresolved = unresolved;
    this.fields = fields;
    this.items = items;
  }

  static ConfigNode mapping(String path, int line, LinkedHashMap<String, ConfigNode> fields) {
    return new ConfigNode(Kind.MAPPING, path, line, null, false, false, Collections.unmodifiableMap(fields), List.of());
  }

  static ConfigNode list(String path, int line, List<ConfigNode> items) {
    return new ConfigNode(Kind.LIST, path, line, null, false, false, Map.of(), List.copyOf(items));
  }

  static ConfigNode scalar(String path, int line, String text, boolean string, boolean unresolved) {
    return new ConfigNode(Kind.SCALAR, path, line, text, string, unresolved, Map.of(), List.of());
  }

  static ConfigNode nil(String path, int line) {
    return new ConfigNode(Kind.NULL, path, line, null, false, false, Map.of(), List.of());
  }

  public Kind kind() { return kind; }

  /** Dotted key path as a user writes it: {@code kafka.topic}, {@code routes[1].topic}; "" for the document. */
  public String path() {
    return path;
  }

  /** 1-based line of the key (or of the list item), 0 if unknown. */
  public int line() { return line; }

  /** A scalar's text after substitution; null for other kinds. */
  public String text() { return text; }

  /** True when a {@code ${VAR}} in this scalar could not be substituted (already reported; read it no further). */
  public boolean isUnresolved() {
    return unresolved;
  }

  public boolean isMapping() { return kind == Kind.MAPPING; }
  public boolean isList() { return kind == Kind.LIST; }
  public boolean isScalar() { return kind == Kind.SCALAR; }
  public boolean isNull() { return kind == Kind.NULL; }

  /** A mapping's entry, or null when absent (a key written without a value is a {@link Kind#NULL} node). */
  public ConfigNode get(String key) {
    return fields.get(key);
  }

  /** True when a mapping has {@code key}, even without a value. */
  public boolean has(String key) {
    return fields.containsKey(key);
  }

  /** A mapping's entries in document order; empty for other kinds. */
  public Map<String, ConfigNode> fields() {
    return fields;
  }

  /** A list's items in order; empty for other kinds. */
  public List<ConfigNode> items() { return items; }

  /** The node as an error message shows it: {@code "abc"} (a string), {@code 12}, {@code a mapping}, ... */
  public String describe() {
    return switch (kind) {
      case MAPPING -> "a mapping";
      case LIST -> "a list";
      case NULL -> "nothing";
      case SCALAR -> string ? "\"" + text + "\"" : text;
    };
  }

  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }
}
