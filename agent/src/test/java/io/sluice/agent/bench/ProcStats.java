package io.sluice.agent.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time (utime + stime, all threads) and peak RSS (VmHWM) of a live process, from /proc. Linux only. */
record ProcStats(double cpuSeconds, long peakRssKiB, long rssKiB) {
  /** USER_HZ: 100 on every Linux kernel built for x86-64 and arm64. */
  private static final double TICKS_PER_SECOND = 100.0;

  static ProcStats of(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      // Fields after the command name (which may hold spaces) start at state (field 3); utime/stime are 14 and 15.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
      long hwm = 0;
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmHWM:")) hwm = kib(line);
        if (line.startsWith("VmRSS:")) rss = kib(line);
      }
      return new ProcStats(cpu, hwm, rss);
    } catch (IOException e) {
      throw new IllegalStateException("process " + pid + " is gone: " + e.getMessage(), e);
    }
  }

  /** CPU seconds per thread name (digits folded to N) from /proc/PID/task/*, largest first. */
  static String threads(long pid, int n) {
    java.util.Map<String, Double> by = new java.util.HashMap<>();
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path t : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(t.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "N");
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          by.merge(name, (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND, Double::sum);
        } catch (IOException ignored) {
          // thread ended while listing
        }
      }
    } catch (IOException e) {
      return "?";
    }
    return by.entrySet().stream().sorted(java.util.Map.Entry.<String, Double>comparingByValue().reversed()).limit(n)
        .map(e -> String.format(java.util.Locale.ROOT, "%s %.1f s", e.getKey(), e.getValue()))
        .collect(java.util.stream.Collectors.joining(", "));
  }

  /**
   * Where the resident memory is: /proc/PID/smaps_rollup, then the largest mappings by Rss (anonymous ones are the
   * Java heap, malloc arenas, thread stacks; file-backed ones the CDS archive, libjvm, librocksdbjni).
   */
  static String memory(long pid, int n) {
    Path proc = Path.of("/proc", Long.toString(pid));
    StringBuilder out = new StringBuilder();
    try {
      out.append(Files.readString(proc.resolve("smaps_rollup")));
      record Mapping(String name, long rssKiB) {}
      java.util.List<Mapping> maps = new java.util.ArrayList<>();
      String name = null;
      for (String line : Files.readAllLines(proc.resolve("smaps"))) {
        if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
          String[] f = line.trim().split("\\s+", 6);
          name = line.substring(0, line.indexOf(' ')) + " " + (f.length == 6 ? f[5] : "[anon]");
        } else if (line.startsWith("Rss:") && name != null) {
          maps.add(new Mapping(name, kib(line)));
        }
      }
      maps.sort(java.util.Comparator.comparingLong(Mapping::rssKiB).reversed());
      out.append("largest mappings by Rss:\n");
      maps.stream().limit(n).forEach(m -> out.append(String.format("%8d KiB  %s%n", m.rssKiB(), m.name())));
    } catch (IOException e) {
      out.append("?: ").append(e.getMessage());
    }
    return out.toString();
  }

  private static long kib(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", ""));
  }
}
