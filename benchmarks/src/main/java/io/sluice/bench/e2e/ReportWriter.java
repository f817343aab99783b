package io.sluice.bench.e2e;

import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes a {@link Harness.Report}: a Markdown table to the console and to {@code <out>/<label>.md}, a CSV
 * ({@code <label>.csv}) and PNG charts ({@code <label>-*.png}) drawn with XChart. Charts show only what the run
 * measured; a chart whose axis has a single point is skipped.
 */
final class ReportWriter {
  private ReportWriter() {}

  static void write(Harness.Report report, PrintStream out) {
    Options o = report.options();
    String md = markdown(report);
    out.println();
    out.println(md);
    Harness.writeString(o.out().resolve(o.label() + ".md"), md);
    Harness.writeString(o.out().resolve(o.label() + ".csv"), csv(report.runs()));
    if (o.charts()) {
      List<Path> charts = charts(report);
      for (Path p : charts) out.println("  chart: " + p);
    }
  }

  static String markdown(Harness.Report report) {
    StringBuilder sb = new StringBuilder();
    Options o = report.options();
    sb.append("Run ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(" on ")
        .append(report.machine()).append("; duration ").append(o.duration().toMillis() / 1000.0)
        .append(" s per run\n\n");
    sb.append("| ").append(String.join(" | ", RunResult.FIELDS)).append(" |\n");
    sb.append("|").append(" --- |".repeat(RunResult.FIELDS.size())).append('\n');
    for (RunResult r : report.runs()) {
      sb.append("| ").append(String.join(" | ", r.fields().values())).append(" |\n");
    }
    sb.append('\n');
    ratios(report.runs(), sb);
    report.zstdRatio().forEach((level, ratio) -> sb.append(String.format(Locale.ROOT,
        "zstd level %d ratio on a 2,048-record batch of realistic records: %.2f%n", level, ratio)));
    Harness.Outage out = report.outage();
    if (out != null) {
      sb.append(String.format(Locale.ROOT, "%nOutage: %,d records spooled in %.2f s with the collector down "
          + "(%,.0f records/s, %.1f MiB/s compressed, spool peak %,d bytes); drained in %.2f s after it returned "
          + "(%,.0f records/s); delivered %,d, lost %,d%n", out.records(), out.downSeconds(),
          out.fillRecordsPerSecond(), out.fillMibPerSecond(), out.peakSpoolBytes(), out.drainSeconds(),
          out.drainRecordsPerSecond(), out.delivered(), out.lost()));
    }
    return sb.toString();
  }

  /** Sluice's delivered rate over each peer's, for the same threads, size and rate label. */
  private static void ratios(List<RunResult> runs, StringBuilder sb) {
    boolean header = false;
    for (RunResult s : runs) {
      if (!s.scenario().equals("sluice")) continue;
      for (RunResult p : runs) {
        if (p.scenario().equals("sluice") || p.threads() != s.threads() || p.recordBytes() != s.recordBytes()
            || !p.rate().equals(s.rate()) || p.recordsPerSecond() <= 0) {
          continue;
        }
        if (!header) {
          sb.append(
              "| ratio (same run) | threads | bytes | rate | Sluice records/s ÷ peer | peer CPU s/M ÷ Sluice |\n");
          sb.append("| --- | --- | --- | --- | --- | --- |\n");
          header = true;
        }
        sb.append(String.format(Locale.ROOT, "| sluice / %s | %d | %d | %s | %.2f | %s |%n", p.scenario(), s.threads(),
            s.recordBytes(), s.rate(), s.recordsPerSecond() / p.recordsPerSecond(),
            s.cpuSecondsPerMillion() > 0 && p.cpuSecondsPerMillion() > 0
                ? String.format(Locale.ROOT, "%.2f", p.cpuSecondsPerMillion() / s.cpuSecondsPerMillion()) : "n/a"));
      }
    }
    if (header) sb.append('\n');
  }

  /** Re-draws the charts of an earlier run from its CSV (no outage timeline: that is not in the CSV). */
  static List<Path> replot(Path csv, Path out, String label) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    List<RunResult> runs = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      runs.add(new RunResult(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), f[3], num(f[4]),
          Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), Long.parseLong(f[8]), Long.parseLong(f[9]),
          num(f[10]), num(f[11]), num(f[12]), num(f[13]), num(f[14]), num(f[15]), num(f[16]), num(f[17]), num(f[18]),
          f.length > 19 ? f[19] : "-"));
    }
    Options o = new Options(runs.stream().map(RunResult::scenario).distinct().toList(),
        runs.stream().map(RunResult::threads).distinct().toList(),
        runs.stream().map(RunResult::recordBytes).distinct().toList(),
        runs.stream().map(RunResult::rate).distinct()
            .map(r -> Options.parseRate(r) > 0 || r.equals("half") || r.equals("max") ? r : "max").toList(),
        java.time.Duration.ZERO, java.time.Duration.ZERO, 0, out, label, true,
        runs.stream().map(RunResult::kafkaFormat).filter(f -> !f.equals("-")).distinct().toList());
    return charts(new Harness.Report(o, runs, null, Map.of(), ""));
  }

  private static double num(String v) {
    return v.equals("n/a") ? -1 : Double.parseDouble(v);
  }

  static String csv(List<RunResult> runs) {
    StringBuilder sb = new StringBuilder(String.join(",", RunResult.FIELDS)).append('\n');
    for (RunResult r : runs) sb.append(String.join(",", r.fields().values())).append('\n');
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------------- charts

  static List<Path> charts(Harness.Report report) {
    Options o = report.options();
    List<Path> written = new ArrayList<>();
    List<RunResult> max = report.runs().stream().filter(r -> r.rate().equals("max")).toList();
    if (o.threads().size() > 1 && !max.isEmpty()) {
      written.add(save(lineChart("End-to-end records/s by logging threads (rate max)", "logging threads",
          "records/s delivered to Kafka (file for logback-file)", max, r -> (double) r.threads(),
          RunResult::recordsPerSecond, false), o, "throughput-threads"));
      written.add(save(lineChart("Caller-thread CPU per record (rate max)", "logging threads",
          "ns of logging-thread CPU per record", max, r -> (double) r.threads(), RunResult::callerNanosPerRecord,
          false), o, "caller-cost-threads"));
    }
    if (o.recordBytes().size() > 1 && !max.isEmpty()) {
      written.add(save(lineChart("End-to-end records/s by record size (rate max)", "message bytes (log scale)",
          "records/s", max, r -> (double) r.recordBytes(), RunResult::recordsPerSecond, true), o, "throughput-size"));
      written.add(save(lineChart("End-to-end MiB/s by record size (rate max)", "message bytes (log scale)",
          "MiB/s of Kafka values", max, r -> (double) r.recordBytes(), RunResult::mibPerSecond, true), o, "mib-size"));
    }
    if (!max.isEmpty() && o.threads().size() == 1 && o.recordBytes().size() == 1) {
      written.add(save(barChart("End-to-end records/s (rate max, " + o.threads().get(0) + " thread(s), "
          + o.recordBytes().get(0) + " B)", max), o, "throughput"));
    }
    // at max rate the latency is the backlog's age; at fixed rates it is the pipeline's: two charts, two scales
    List<RunResult> timedFixed = report.runs().stream().filter(r -> r.p99Ms() >= 0 && !r.rate().equals("max")).toList();
    if (!timedFixed.isEmpty()) {
      written.add(save(latencyChart("Latency at fixed rates, intended send to Kafka consumer (ms)", timedFixed), o,
          "latency"));
    }
    List<RunResult> timedMax = report.runs().stream().filter(r -> r.p99Ms() >= 0 && r.rate().equals("max")).toList();
    if (!timedMax.isEmpty()) {
      written.add(save(latencyChart("Latency at max rate (the backlog's age), send to Kafka consumer (ms)", timedMax),
          o, "latency-max"));
    }
    if (report.outage() != null) written.add(save(outageChart(report.outage()), o, "outage"));
    return written;
  }

  private static XYChart lineChart(String title, String x, String y, List<RunResult> runs,
      java.util.function.Function<RunResult, Double> xf, java.util.function.Function<RunResult, Double> yf,
      boolean logX) {
    XYChart c = new XYChartBuilder().width(900).height(520).title(title).xAxisTitle(x).yAxisTitle(y).build();
    style(c.getStyler());
    c.getStyler().setXAxisLogarithmic(logX);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    Map<String, List<RunResult>> series = new LinkedHashMap<>();
    boolean bySize = runs.stream().map(RunResult::recordBytes).distinct().count() > 1 && !logX;
    boolean byThreads = runs.stream().map(RunResult::threads).distinct().count() > 1 && logX;
    for (RunResult r : runs) {
      String key =
          r.label() + (bySize ? " " + r.recordBytes() + " B" : "") + (byThreads ? " " + r.threads() + " thr" : "");
      series.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }
    series.forEach((name, rs) -> {
      List<Double> xs = rs.stream().map(xf).toList();
      List<Double> ys = rs.stream().map(yf).map(v -> Math.max(0, v)).toList();
      c.addSeries(name, xs, ys).setMarker(SeriesMarkers.CIRCLE);
    });
    return c;
  }

  private static CategoryChart barChart(String title, List<RunResult> runs) {
    CategoryChart c = new CategoryChartBuilder().width(900).height(520).title(title).xAxisTitle("setup")
        .yAxisTitle("records/s").build();
    style(c.getStyler());
    c.getStyler().setLegendVisible(false);
    c.addSeries("records/s", runs.stream().map(RunResult::label).toList(),
        runs.stream().map(RunResult::recordsPerSecond).toList());
    return c;
  }

  private static CategoryChart latencyChart(String title, List<RunResult> runs) {
    CategoryChart c =
        new CategoryChartBuilder().width(1000).height(560).title(title).xAxisTitle("setup / threads / rate")
            .yAxisTitle("ms").build();
    style(c.getStyler());
    c.getStyler().setXAxisLabelRotation(20);
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    List<String> names = runs.stream().map(r -> r.label() + " " + r.threads() + "t " + r.recordBytes() + "B "
        + r.rate()).toList();
    c.addSeries("p50", names, runs.stream().map(r -> Math.max(0, r.p50Ms())).toList());
    c.addSeries("p99", names, runs.stream().map(r -> Math.max(0, r.p99Ms())).toList());
    c.addSeries("p99.9", names, runs.stream().map(r -> Math.max(0, r.p999Ms())).toList());
    return c;
  }

  private static XYChart outageChart(Harness.Outage o) {
    XYChart c = new XYChartBuilder().width(900).height(520)
        .title("Collector down, then back: records in the spool and delivered to Kafka").xAxisTitle("seconds")
        .yAxisTitle("records").build();
    style(c.getStyler());
    c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    List<double[]> t = o.timeline();
    if (t.isEmpty()) t = List.of(new double[] {0, 0, 0});
    c.addSeries("in spool", t.stream().map(p -> p[0]).toList(), t.stream().map(p -> p[1]).toList())
        .setMarker(SeriesMarkers.NONE);
    c.addSeries("delivered (distinct)", t.stream().map(p -> p[0]).toList(), t.stream().map(p -> p[2]).toList())
        .setMarker(SeriesMarkers.NONE);
    return c;
  }

  private static void style(Styler s) {
    s.setChartBackgroundColor(Color.WHITE);
    s.setPlotBackgroundColor(Color.WHITE);
    s.setChartTitleFont(s.getChartTitleFont().deriveFont(16f));
    s.setDecimalPattern("#,###.##");
  }

  private static Path save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Options o, String name) {
    Path file = o.out().resolve(o.label() + "-" + name + ".png");
    try {
      Files.createDirectories(file.getParent());
      BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }
}
