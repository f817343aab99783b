package io.sluice.agent;

import io.sluice.agent.tail.Discovery;
import io.sluice.agent.tail.Tailer;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which files the agent reads: each input's globs ({@link Discovery}), rescanned every {@code rescanInterval} and at
 * once when a watched directory changes (inotify through a {@link WatchService}; without one, rescans still find
 * everything, only later). Bounded: at most {@value #MAX_WATCHED_DIRS} watched directories. Not thread-safe: owned
 * by the tailing thread.
 */
final class FileDiscovery {
  private static final int MAX_WATCHED_DIRS = 4096;

  private final AgentConfig config;
  private final List<Map.Entry<InputConfig, Discovery>> discoveries = new ArrayList<>();
  private final Set<Path> watched = new HashSet<>();
  private WatchService watcher;
  private long nextScanNanos;

  FileDiscovery(AgentConfig config) {
    this.config = config;
    for (InputConfig in : config.inputs()) discoveries.add(Map.entry(in, new Discovery(in.include(), in.exclude())));
  }

  /** Hands every matching file to the tailer, sweeps the ones gone, and schedules the next rescan. */
  void scan(Tailer tailer, long now) {
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      for (Path p : d.getValue().scan()) {
        tailer.track(p, now);
        watch(p.getParent());
      }
    }
    tailer.sweep(now);
    nextScanNanos = now + config.rescanInterval().toNanos();
  }

  /** Whether a scan is due: a watched directory changed, or the rescan interval passed. */
  boolean scanDue(long now) {
    return drainWatchEvents() || now - nextScanNanos >= 0;
  }

  void openWatcher() {
    try {
      watcher = FileSystems.getDefault().newWatchService();
      for (Map.Entry<InputConfig, Discovery> d : discoveries) {
        for (Path base : d.getValue().bases()) {
          if (Files.isDirectory(base)) watch(base);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      watcher = null; // polling and rescans still find everything, only later
    }
  }

  /** Directories holding matched files are watched too (pod directories below a {@code **}), up to a bound. */
  private void watch(Path dir) {
    if (watcher == null || dir == null || watched.size() >= MAX_WATCHED_DIRS || !watched.add(dir)) return;
    try {
      dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
    } catch (IOException | RuntimeException e) {
      // gone or not watchable: the rescan still finds its files
    }
  }

  /** File-system events on watched directories make the next scan happen now instead of at the rescan interval. */
  private boolean drainWatchEvents() {
    if (watcher == null) return false;
    boolean any = false;
    try {
      var key = watcher.poll();
      while (key != null) {
        any |= !key.pollEvents().isEmpty();
        if (!key.reset()) watched.remove((Path) key.watchable()); // the directory is gone
        key = watcher.poll();
      }
    } catch (ClosedWatchServiceException e) {
      watcher = null;
    }
    return any;
  }

  void closeWatcher() {
    if (watcher == null) return;
    try {
      watcher.close();
    } catch (IOException ignored) {
      // nothing to release beyond the inotify fd
    }
  }

  /** The input a file belongs to: the one whose globs match it, else the one whose directory holds it (a rotated copy). */
  InputConfig inputFor(Path path) {
    return inputFor(config, discoveries, path);
  }

  static InputConfig inputFor(AgentConfig config, List<Map.Entry<InputConfig, Discovery>> discoveries, Path path) {
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      if (d.getValue().matches(path)) return d.getKey();
    }
    // A file found by identity after a rotation (app.log.1): the input whose directory holds it.
    for (Map.Entry<InputConfig, Discovery> d : discoveries) {
      for (Path base : d.getValue().bases()) {
        if (path.startsWith(base)) return d.getKey();
      }
    }
    return config.inputs().get(0);
  }
}
