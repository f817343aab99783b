package io.sluice.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The Markdown documentation agrees with the repository: its links resolve, its metric tables are complete. */
class DocsTest {
  /** This repository's root: surefire runs in {@code examples/}. */
  private static final Path ROOT = Paths.get("").toAbsolutePath().getParent();
  private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
  /** A relative path in a code span that leaves its directory, e.g. {@code `../x/y.md`}. */
  private static final Pattern UP_PATH = Pattern.compile("`(\\.\\./[^`\\s]+)`");

  @Test
  void everyRelativeLinkInTheMarkdownResolvesToAFileInTheRepository() throws IOException {
    List<String> broken = new ArrayList<>();
    for (Path md : markdownFiles()) {
      Matcher m = LINK.matcher(Files.readString(md, StandardCharsets.UTF_8));
      while (m.find()) {
        String target = m.group(1);
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*") || target.startsWith("#")) continue; // URLs, anchors
        String path = target.replaceFirst("#.*$", "");
        Path resolved = md.getParent().resolve(path).normalize();
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved)) broken.add(ROOT.relativize(md) + " -> " + target);
      }
      Matcher up = UP_PATH.matcher(Files.readString(md, StandardCharsets.UTF_8));
      while (up.find()) {
        Path resolved = md.getParent().resolve(up.group(1)).normalize();
        if (!resolved.startsWith(ROOT) || !Files.exists(resolved))
          broken.add(ROOT.relativize(md) + " -> " + up.group(1));
      }
    }
    assertThat(broken).as("links to files that are not in the repository").isEmpty();
  }

  @Test
  void metricsMdListsEveryMetricTheAgentAndTheCollectorServe() throws IOException {
    String doc = Files.readString(ROOT.resolve("docs/METRICS.md"), StandardCharsets.UTF_8);
    TreeSet<String> missing = new TreeSet<>();
    Pattern name = Pattern.compile("\"(sluice_(?:agent|collector)_[a-z0-9_]+)\"");
    for (String module : List.of("agent", "collector")) {
      try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          Matcher m = name.matcher(Files.readString(f, StandardCharsets.UTF_8));
          while (m.find()) {
            String metric = m.group(1);
            // the collector registers counters without Prometheus' _total suffix; the document names the series
            if (!doc.contains(metric) && !doc.contains(metric + "_total") && !doc.contains(shortForm(metric))) {
              missing.add(metric);
            }
          }
        }
      }
    }
    assertThat(missing).as("metrics served but not in docs/METRICS.md").isEmpty();
  }

  /** "a / _b_total" rows name the second metric by its suffix only. */
  private static String shortForm(String metric) {
    return "`_" + metric.replaceFirst("^sluice_(agent|collector)_", "");
  }

  private static List<Path> markdownFiles() throws IOException {
    try (Stream<Path> files = Files.walk(ROOT)) {
      return files.filter(p -> p.toString().endsWith(".md"))
          .filter(p -> {
            Path rel = ROOT.relativize(p);
            for (Path part : rel) {
              String s = part.toString();
              if (s.equals("target") || s.equals("node_modules") || s.startsWith(".")) return false;
            }
            return true;
          })
          .sorted().toList();
    }
  }
}
