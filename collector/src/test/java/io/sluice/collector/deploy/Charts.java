package io.sluice.collector.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Renders a Helm chart with helm-java (no helm binary, no cluster) into its objects. */
public final class Charts {
  private Charts() {}

  /**
   * {@code helm template <release> <chart> --namespace <namespace> -f values.yaml}, as parsed objects; {@code values}
   * maps dotted keys ({@code kafka.bootstrap}) to values (strings, numbers, booleans, lists), written as a values file
   * (helm-java's {@code set} escapes list syntax).
   */
  public static List<JsonNode> render(Path chart, String release, String namespace, Map<String, ?> values) {
    Map<String, Object> tree = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      Map<String, Object> at = tree;
      String[] parts = k.split("\\.");
      for (int i = 0; i < parts.length - 1; i++) {
        @SuppressWarnings("unchecked")
        Map<String, Object> next = (Map<String, Object>) at.computeIfAbsent(parts[i], x -> new LinkedHashMap<>());
        at = next;
      }
      at.put(parts[parts.length - 1], v);
    });
    try {
      Path file = Files.createTempFile("values", ".yaml");
      try {
        new YAMLMapper().writeValue(file.toFile(), tree);
        TemplateCommand t = new Helm(chart).template().withName(release).withNamespace(namespace).withValuesFile(file);
        return parse(t.call());
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The non-empty documents of a multi-document YAML text. */
  public static List<JsonNode> parse(String yaml) {
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = new YAMLMapper().readerFor(JsonNode.class)
        .readValues(new YAMLFactory().createParser(yaml))) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isEmpty()) docs.add(n);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  public static List<JsonNode> ofKind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  public static Optional<JsonNode> find(List<JsonNode> docs, String kind, String name) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)
        && d.at("/metadata/name").asText().equals(name)).findFirst();
  }

  public static JsonNode only(List<JsonNode> docs, String kind) {
    List<JsonNode> of = ofKind(docs, kind);
    if (of.size() != 1) throw new AssertionError("expected one " + kind + ", found " + of.size());
    return of.get(0);
  }
}
