package io.sluice.bench.e2e;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What the harness runs: every scenario × thread count × record size × rate, each for {@code duration}, in the same
 * JVM against the same broker. A rate is {@code max} (every thread logs as fast as it can), a number of records per
 * second in total, or {@code half} (half of what the same scenario delivered at {@code max} in this run; needs
 * {@code max} before it). {@code outage} > 0 adds the spool run: the collector down for that long under load, then
 * back, measuring spool fill and drain rates. Before each run, {@code warmupRecords} records from one thread warm the
 * setup up (JIT, connections, metadata) and are left out of every figure. {@code kafkaFormats}: the collector's Kafka
 * record formats ({@code batch}, {@code record}); every setup through the collector (sluice, otel) runs once per
 * format, the others once.
 */
public record Options(List<String> scenarios, List<Integer> threads, List<Integer> recordBytes, List<String> rates,
    Duration duration, Duration outage, int warmupRecords, Path out, String label, boolean charts,
    List<String> kafkaFormats) {

  public static final List<String> SCENARIOS = List.of("sluice", "otel", "log4j2-kafka", "logback-file");

  public Options {
    for (String s : scenarios) {
      if (!SCENARIOS.contains(base(s))) {
        throw new IllegalArgumentException("--scenarios: unknown " + s + ", use " + SCENARIOS);
      }
      if (s.contains(":") && !base(s).equals("sluice")) {
        throw new IllegalArgumentException("--scenarios: only sluice takes settings (sluice:lingerMs=50+zstdLevel=1)");
      }
    }
    for (String r : rates) {
      if (!r.equals("max") && !r.equals("half") && parseRate(r) <= 0) {
        throw new IllegalArgumentException("--rate: " + r + " is not max, half or a positive number");
      }
    }
    if (warmupRecords < 0) throw new IllegalArgumentException("--warmup must be >= 0");
    if (kafkaFormats.isEmpty()) kafkaFormats = List.of(io.sluice.wire.kafka.KafkaFormat.BATCH.configName());
    for (String f : kafkaFormats) {
      try {
        io.sluice.wire.kafka.KafkaFormat.parse(f);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--kafka-format: " + e.getMessage());
      }
    }
    kafkaFormats = List.copyOf(kafkaFormats);
    if (rates.contains("half") && !rates.contains("max")) {
      throw new IllegalArgumentException("--rate half needs max in the same list (e.g. --rate max,half)");
    }
  }

  /** The setup's name without its settings: {@code sluice:lingerMs=50} → {@code sluice}. */
  static String base(String scenario) {
    int colon = scenario.indexOf(':');
    return colon < 0 ? scenario : scenario.substring(0, colon);
  }

  /** The appender settings of a {@code sluice:k=v+k2=v2} scenario (names as in the README's settings table). */
  static java.util.Map<String, String> settings(String scenario) {
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    int colon = scenario.indexOf(':');
    if (colon < 0) return m;
    for (String kv : scenario.substring(colon + 1).split("\\+")) {
      int eq = kv.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("--scenarios: " + kv + " is not key=value");
      m.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return m;
  }

  static double parseRate(String r) {
    try {
      String v = r.toLowerCase(Locale.ROOT).replace("_", "");
      double mult = v.endsWith("k") ? 1e3 : v.endsWith("m") ? 1e6 : 1;
      if (mult > 1) v = v.substring(0, v.length() - 1);
      return Double.parseDouble(v) * mult;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static final String USAGE = """
      usage: Harness [--scenarios sluice,otel,log4j2-kafka,logback-file,sluice:lingerMs=50+zstdLevel=1]
                     [--threads 1,2,4] [--record-bytes 200]
                     [--rate max|half|<records/s>[,...]] [--duration 10s] [--outage 0s] [--out benchmarks/results]
                     [--warmup 20000] [--label e2e] [--no-charts] [--kafka-format batch|record|batch,record]
             Harness --replot <out>/<label>.csv <label>   (charts again from a CSV)
      """;

  public static Options parse(String... args) {
    List<String> scenarios = List.of("sluice");
    List<Integer> threads = List.of(1);
    List<Integer> sizes = List.of(200);
    List<String> rates = List.of("max");
    Duration duration = Duration.ofSeconds(10);
    Duration outage = Duration.ZERO;
    int warmup = 20_000;
    Path out = Path.of("benchmarks/results");
    String label = "e2e";
    boolean charts = true;
    List<String> kafkaFormats = List.of("batch");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--no-charts")) {
        charts = false;
        continue;
      }
      if (a.equals("--help") || a.equals("-h")) throw new IllegalArgumentException(USAGE);
      if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
      String v = args[++i];
      switch (a) {
        case "--scenarios" -> scenarios = split(v);
        case "--threads" -> threads = split(v).stream().map(Integer::parseInt).toList();
        case "--record-bytes" -> sizes = split(v).stream().map(Options::size).toList();
        case "--rate" -> rates = split(v);
        case "--duration" -> duration = duration(v);
        case "--outage" -> outage = duration(v);
        case "--warmup" -> warmup = Integer.parseInt(v);
        case "--out" -> out = Path.of(v);
        case "--label" -> label = v;
        case "--kafka-format" -> kafkaFormats = split(v);
        default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
      }
    }
    return new Options(scenarios, threads, sizes, rates, duration, outage, warmup, out, label, charts, kafkaFormats);
  }

  private static List<String> split(String v) {
    return new ArrayList<>(Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
  }

  private static int size(String v) {
    String s = v.toLowerCase(Locale.ROOT);
    if (s.endsWith("kib") || s.endsWith("k")) return Integer.parseInt(s.replaceAll("k(ib)?$", "")) * 1024;
    return Integer.parseInt(s.replaceAll("b$", ""));
  }

  static Duration duration(String v) {
    String s = v.toLowerCase(Locale.ROOT);
    if (s.endsWith("ms")) return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
    if (s.endsWith("s")) return Duration.ofMillis((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
    if (s.endsWith("m")) return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
    return Duration.ofSeconds(Long.parseLong(s));
  }
}
