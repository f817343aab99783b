package io.sluice.agent.tail;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the regular files that match include globs and no exclude glob. Globs are absolute paths in
 * {@link java.nio.file.FileSystem#getPathMatcher glob syntax}: {@code *} stays within a directory, {@code **}
 * crosses directories and also matches none ({@code /var/log/**}{@code /*.log} matches {@code /var/log/a.log}).
 * An exclude without a {@code /} matches the file name ({@code *.gz}). Walks only below each include's literal
 * prefix, follows symlinks (Kubernetes links {@code /var/log/containers} into {@code /var/log/pods}), and is
 * bounded in depth. Stateless apart from its patterns; thread-safe.
 */
public final class Discovery {
  private static final int MAX_DEPTH = 16;

  private record Include(Path base, List<PathMatcher> matchers, int depth) {}

  private final List<Include> includes = new ArrayList<>();
  private final List<PathMatcher> excludePaths = new ArrayList<>();
  private final List<PathMatcher> excludeNames = new ArrayList<>();

  public Discovery(List<String> include, List<String> exclude) {
    for (String g : include) {
      if (!g.startsWith("/")) throw new IllegalArgumentException("include glob must be an absolute path: " + g);
      List<PathMatcher> ms = new ArrayList<>();
      ms.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
      String collapsed = g.replace("/**/", "/");
      if (!collapsed.equals(g)) ms.add(FileSystems.getDefault().getPathMatcher("glob:" + collapsed));
      Path base = literalPrefix(g);
      int depth = g.contains("**") ? MAX_DEPTH : Path.of(g).getNameCount() - base.getNameCount();
      includes.add(new Include(base, ms, Math.max(1, depth)));
    }
    for (String g : exclude) {
      PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + g);
      if (g.contains("/")) excludePaths.add(m);
      else excludeNames.add(m);
    }
  }

  static Path literalPrefix(String glob) {
    Path p = Path.of("/");
    for (Path part : Path.of(glob)) {
      String s = part.toString();
      if (s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{')) break;
      p = p.resolve(s);
    }
    // A glob without wildcards names a file: walk its directory.
    return p.toString().equals(glob) ? p.getParent() : p;
  }

  public boolean matches(Path path) {
    boolean in = false;
    for (Include i : includes) {
      for (PathMatcher m : i.matchers()) {
        if (m.matches(path)) {
          in = true;
          break;
        }
      }
    }
    if (!in) return false;
    for (PathMatcher m : excludePaths) if (m.matches(path)) return false;
    Path name = path.getFileName();
    for (PathMatcher m : excludeNames) if (name != null && m.matches(name)) return false;
    return true;
  }

  /** Every matching regular file now, in walk order, each once. */
  public Set<Path> scan() {
    Set<Path> out = new LinkedHashSet<>();
    for (Include inc : includes) {
      if (!Files.isDirectory(inc.base())) continue;
      try {
        Files.walkFileTree(inc.base(), EnumSet.of(FileVisitOption.FOLLOW_LINKS), inc.depth(),
            new SimpleFileVisitor<>() {
              @Override
              public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && matches(file)) out.add(file);
                return FileVisitResult.CONTINUE;
              }

              @Override
              public FileVisitResult visitFileFailed(Path file, IOException exc) {
                return FileVisitResult.CONTINUE; // vanished or unreadable: skip it, the next scan tries again
              }
            });
      } catch (IOException ignored) {
        // the base went away during the walk; the next scan tries again
      }
    }
    return out;
  }

  /** The directories the includes start from (watched for file-system events). */
  public List<Path> bases() {
    List<Path> b = new ArrayList<>();
    for (Include i : includes) b.add(i.base());
    return b;
  }
}
