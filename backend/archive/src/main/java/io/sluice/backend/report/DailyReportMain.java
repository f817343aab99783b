package io.sluice.backend.report;

import java.io.PrintWriter;
import java.net.URI;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sluice-daily-report}: runs {@link DailyReportJob} for one day of the archive and prints where the report
 * went. Exit 0 on success, 1 when the job fails, 2 on a usage error (the message names the option and the fix).
 */
@Command(
    name = "sluice-daily-report",
    mixinStandardHelpOptions = true,
    version = "sluice-daily-report 0.2.0",
    sortOptions = false,
    description = {
        "Counts one UTC day of the Sluice Parquet archive per tenant, service and severity, and ranks its error "
            + "fingerprints, with a Hadoop MapReduce job. Writes counts.csv and top-errors.csv to --output.",
        ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:report written", "1:the job failed", "2:usage error (the message names the option)"})
public final class DailyReportMain implements Callable<Integer> {
  @Option(names = "--archive", required = true, paramLabel = "URI",
      description = "The archive's table directory (it holds date=YYYY-MM-DD/), e.g. hdfs://nn:8020/sluice/logs.")
  URI archive;

  @Option(names = "--date", required = true, paramLabel = "YYYY-MM-DD", converter = DayConverter.class,
      description = "The UTC day to report.")
  LocalDate date;

  @Option(names = "--output", required = true, paramLabel = "URI",
      description = "Directory for counts.csv and top-errors.csv; must not exist unless --overwrite.")
  URI output;

  @Option(names = "--top", defaultValue = "20", paramLabel = "N",
      description = "How many error fingerprints to rank (default: ${DEFAULT-VALUE}).")
  int top;

  @Option(names = "--fs-default-fs", paramLabel = "URI",
      description = "fs.defaultFS for paths without a scheme (default: core-site.xml on the classpath, else file:///).")
  URI defaultFs;

  @Option(names = "--framework", paramLabel = "local|yarn",
      description = "mapreduce.framework.name (default: mapred-site.xml on the classpath, else local).")
  String framework;

  @Option(names = "-D", paramLabel = "KEY=VALUE", mapFallbackValue = "",
      description = "Any Hadoop property, e.g. -D mapreduce.job.queuename=reports. Repeatable.")
  Map<String, String> properties = new LinkedHashMap<>();

  @Option(names = "--overwrite", description = "Delete --output first if it exists.")
  boolean overwrite;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    if (System.getProperty("log4j.configuration") == null) {
      // Hadoop logs through reload4j; without a configuration it prints warnings about that instead of its own.
      System.setProperty("log4j.configuration", "sluice-report-log4j.properties");
    }
    System.exit(run(args));
  }

  /** Parses {@code args}, runs the report and returns the exit code (for tests and embedding). */
  public static int run(String... args) {
    return new CommandLine(new DailyReportMain()).execute(args);
  }

  /** {@link #run(String...)} with its output and error streams given. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return new CommandLine(new DailyReportMain()).setOut(out).setErr(err).execute(args);
  }

  @Override
  public Integer call() throws Exception {
    if (framework != null && !framework.equals("local") && !framework.equals("yarn")) {
      return usageError("--framework is '" + framework + "': use local (in this JVM) or yarn (a cluster from "
          + "mapred-site.xml)");
    }
    Configuration conf = new Configuration();
    if (defaultFs != null) {
      conf.set(FileSystem.FS_DEFAULT_NAME_KEY, defaultFs.toString());
    }
    conf.set("mapreduce.framework.name", framework != null ? framework : conf.get("mapreduce.framework.name", "local"));
    properties.forEach(conf::set);
    Path out = new Path(output);
    if (overwrite) {
      out.getFileSystem(conf).delete(out, true);
    }
    PrintWriter stdout = spec.commandLine().getOut();
    DailyReportJob.Result result;
    try {
      result = DailyReportJob.run(conf, new Path(archive), date, out, top);
    } catch (IllegalArgumentException e) {
      return usageError(e.getMessage());
    }
    stdout.printf("daily report for %s: %d events, %d with an error fingerprint%n  counts:     %s%n  top errors: %s%n",
        date, result.events(), result.errorEvents(), result.counts(), result.topErrors());
    stdout.flush();
    return 0;
  }

  private int usageError(String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(message);
    err.println("Try 'sluice-daily-report --help' for more information.");
    err.flush();
    return CommandLine.ExitCode.USAGE;
  }

  /** {@code YYYY-MM-DD}, with a message that says so. */
  static final class DayConverter implements CommandLine.ITypeConverter<LocalDate> {
    @Override
    public LocalDate convert(String value) {
      try {
        return LocalDate.parse(value);
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a day: write YYYY-MM-DD, e.g. 2026-11-23");
      }
    }
  }
}
