package io.sluice.backend.report;

import io.sluice.backend.archive.ArchivePartition;
import io.sluice.backend.archive.ArchiveSchema;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.avro.generic.GenericRecord;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.Mapper;
import org.apache.hadoop.mapreduce.Reducer;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.output.FileOutputFormat;
import org.apache.hadoop.mapreduce.lib.output.LazyOutputFormat;
import org.apache.hadoop.mapreduce.lib.output.MultipleOutputs;
import org.apache.hadoop.mapreduce.lib.output.TextOutputFormat;
import org.apache.parquet.avro.AvroParquetInputFormat;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.avro.GenericDataSupplier;

/**
 * The daily report over one day of the Parquet archive ({@code <archive>/date=YYYY-MM-DD/hour=*\/service=*}), as a
 * Hadoop MapReduce job (new API): event counts per tenant, service and severity, and the top N error fingerprints
 * per (tenant, service, fingerprint) with their count, first occurrence and an example message.
 *
 * <p>Output, two CSV files with a header line in the output directory: {@code counts.csv}
 * ({@code date,tenant,service,severity,count}, sorted) and {@code top-errors.csv}
 * ({@code rank,tenant,service,fingerprint,count,first_seen,exception_type,top_frame,example}, by count descending).
 *
 * <p>Mappers read only the columns the report needs (a Parquet projection) and take the service from the file's
 * {@code service=} directory; a combiner sums per key. One reducer: the keys left after combining are a day's
 * distinct (tenant, service, severity) and (tenant, service, fingerprint) — thousands, not millions — and one reducer
 * can rank fingerprints globally while holding only the top N.
 */
public final class DailyReportJob {
  public static final String COUNTS_FILE = "counts.csv";
  public static final String TOP_ERRORS_FILE = "top-errors.csv";
  static final String TOP_N = "sluice.report.top.n";
  static final String DATE = "sluice.report.date";
  private static final String COUNTS = "counts";
  private static final String ERRORS = "topErrors";
  /** Separates key parts; cannot occur in tenant, service or fingerprint names that came through Kafka headers. */
  private static final char SEP = '\u0000';

  /** What a finished run produced. */
  public record Result(Path counts, Path topErrors, long events, long errorEvents) {}

  /** The counters the job keeps, readable in its status and in {@link Result}. */
  public enum Counter {
    EVENTS, ERROR_EVENTS
  }

  private DailyReportJob() {}

  /**
   * A configured, not yet submitted job.
   *
   * @param conf Hadoop configuration ({@code fs.defaultFS}, {@code mapreduce.framework.name}, …)
   * @param archiveRoot the archive's table directory (holding {@code date=…} directories)
   * @param date the UTC day to report
   * @param output the report directory; must not exist
   * @param topN how many error fingerprints to list (at least 1)
   * @throws IllegalArgumentException when the day has no partition in the archive, {@code output} exists, or
   *     {@code topN < 1}
   */
  public static Job create(Configuration conf, Path archiveRoot, LocalDate date, Path output, int topN)
      throws IOException {
    if (topN < 1) {
      throw new IllegalArgumentException("--top is " + topN + ": list at least 1 error fingerprint");
    }
    Path day = new Path(archiveRoot, ArchivePartition.dateDirectory(date));
    FileSystem inFs = day.getFileSystem(conf);
    if (!inFs.exists(day)) {
      throw new IllegalArgumentException(
          "the archive has no partition for --date " + date + ": " + inFs.makeQualified(day)
              + " does not exist; check --archive and --date (days are UTC)");
    }
    FileSystem outFs = output.getFileSystem(conf);
    if (outFs.exists(output)) {
      throw new IllegalArgumentException("--output " + outFs.makeQualified(output)
          + " already exists: choose a new directory or pass --overwrite");
    }
    Job job = Job.getInstance(conf, "sluice daily report " + date);
    job.setJarByClass(DailyReportJob.class);
    Configuration jc = job.getConfiguration();
    jc.setInt(TOP_N, topN);
    jc.set(DATE, date.toString());

    job.setInputFormatClass(AvroParquetInputFormat.class);
    AvroParquetInputFormat.setRequestedProjection(
        job, ArchiveSchema.projection(
            "tenant", "time_unix_nano", "severity", "body", "exception_type", "top_frame", "fingerprint"));
    AvroReadSupport.setAvroDataSupplier(jc, GenericDataSupplier.class);
    FileInputFormat.setInputDirRecursive(job, true);
    FileInputFormat.addInputPath(job, day);

    job.setMapperClass(ReportMapper.class);
    job.setCombinerClass(ReportCombiner.class);
    job.setReducerClass(ReportReducer.class);
    job.setNumReduceTasks(1);
    job.setMapOutputKeyClass(Text.class);
    job.setMapOutputValueClass(ReportValue.class);
    job.setOutputKeyClass(NullWritable.class);
    job.setOutputValueClass(Text.class);
    LazyOutputFormat.setOutputFormatClass(job, TextOutputFormat.class);
    MultipleOutputs.addNamedOutput(job, COUNTS, TextOutputFormat.class, NullWritable.class, Text.class);
    MultipleOutputs.addNamedOutput(job, ERRORS, TextOutputFormat.class, NullWritable.class, Text.class);
    FileOutputFormat.setOutputPath(job, output);
    return job;
  }

  /**
   * Runs the report to completion and renames its two outputs to {@link #COUNTS_FILE} and {@link #TOP_ERRORS_FILE}.
   *
   * @throws IOException when the job fails (its status names the failed task)
   */
  public static Result run(Configuration conf, Path archiveRoot, LocalDate date, Path output, int topN)
      throws IOException, InterruptedException, ClassNotFoundException {
    Job job = create(conf, archiveRoot, date, output, topN);
    if (!job.waitForCompletion(false)) {
      throw new IOException("daily report job " + job.getJobID() + " failed: " + job.getStatus().getFailureInfo());
    }
    FileSystem fs = output.getFileSystem(conf);
    Path counts = rename(fs, new Path(output, COUNTS + "-r-00000"), new Path(output, COUNTS_FILE));
    Path errors = rename(fs, new Path(output, ERRORS + "-r-00000"), new Path(output, TOP_ERRORS_FILE));
    return new Result(
        counts,
        errors,
        job.getCounters().findCounter(Counter.EVENTS).getValue(),
        job.getCounters().findCounter(Counter.ERROR_EVENTS).getValue());
  }

  private static Path rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("the report job did not leave " + from + " (or it cannot be renamed to " + to + ")");
    }
    return fs.makeQualified(to);
  }

  static String countKey(String tenant, String service, String severity) {
    return "C" + SEP + tenant + SEP + service + SEP + severity;
  }

  static String errorKey(String tenant, String service, String fingerprint) {
    return "F" + SEP + tenant + SEP + service + SEP + fingerprint;
  }

  /** Reads archive rows; emits a count per (tenant, service, severity) and an occurrence per error fingerprint. */
  public static final class ReportMapper extends Mapper<Void, GenericRecord, Text, ReportValue> {
    private final Text key = new Text();
    private String service;

    @Override
    protected void setup(Context context) {
      InputSplit split = context.getInputSplit();
      if (!(split instanceof FileSplit file)) {
        throw new IllegalStateException("expected a file split of the archive, got " + split.getClass().getName());
      }
      service = ArchivePartition.serviceOf(file.getPath().toUri().getPath());
    }

    @Override
    protected void map(Void ignored, GenericRecord row, Context context) throws IOException, InterruptedException {
      String tenant = row.get("tenant").toString();
      context.getCounter(Counter.EVENTS).increment(1);
      key.set(countKey(tenant, service, row.get("severity").toString()));
      context.write(key, ReportValue.one());
      String fingerprint = row.get("fingerprint").toString();
      if (!fingerprint.isEmpty()) {
        context.getCounter(Counter.ERROR_EVENTS).increment(1);
        key.set(errorKey(tenant, service, fingerprint));
        context.write(
            key,
            ReportValue.occurrence(
                (Long) row.get("time_unix_nano"),
                row.get("exception_type").toString(),
                row.get("top_frame").toString(),
                row.get("body").toString()));
      }
    }
  }

  /** Sums counts and keeps the earliest example, map-side. */
  public static final class ReportCombiner extends Reducer<Text, ReportValue, Text, ReportValue> {
    @Override
    protected void reduce(Text key, Iterable<ReportValue> values, Context context)
        throws IOException, InterruptedException {
      context.write(key, sum(values));
    }
  }

  /** Writes the counts in key order and, at the end, the top N fingerprints. */
  public static final class ReportReducer extends Reducer<Text, ReportValue, NullWritable, Text> {
    private record Ranked(String tenant, String service, String fingerprint, ReportValue value) {}

    /** Most occurrences first; ties by tenant, service, fingerprint, so the ranking is deterministic. */
    static final Comparator<Ranked> RANK =
        Comparator.<Ranked>comparingLong(r -> -r.value().count)
            .thenComparing(Ranked::tenant)
            .thenComparing(Ranked::service)
            .thenComparing(Ranked::fingerprint);

    private MultipleOutputs<NullWritable, Text> out;
    private PriorityQueue<Ranked> top;
    private int topN;
    private String date;

    @Override
    protected void setup(Context context) throws IOException, InterruptedException {
      out = new MultipleOutputs<>(context);
      topN = context.getConfiguration().getInt(TOP_N, 20);
      date = context.getConfiguration().get(DATE);
      top = new PriorityQueue<>(RANK.reversed()); // the worst ranked on top, evicted first
      out.write(COUNTS, NullWritable.get(), new Text(Csv.line("date", "tenant", "service", "severity", "count")));
      out.write(ERRORS, NullWritable.get(), new Text(Csv.line(
          "rank", "tenant", "service", "fingerprint", "count", "first_seen", "exception_type", "top_frame",
          "example")));
    }

    @Override
    protected void reduce(Text key, Iterable<ReportValue> values, Context context)
        throws IOException, InterruptedException {
      String[] parts = key.toString().split(String.valueOf(SEP), -1);
      ReportValue total = sum(values);
      if (parts[0].equals("C")) {
        out.write(COUNTS, NullWritable.get(), new Text(Csv.line(date, parts[1], parts[2], parts[3], total.count)));
      } else {
        top.add(new Ranked(parts[1], parts[2], parts[3], total));
        if (top.size() > topN) {
          top.poll();
        }
      }
    }

    @Override
    protected void cleanup(Context context) throws IOException, InterruptedException {
      List<Ranked> ranked = new ArrayList<>(top);
      ranked.sort(RANK);
      int rank = 0;
      for (Ranked r : ranked) {
        ReportValue v = r.value();
        out.write(ERRORS, NullWritable.get(), new Text(Csv.line(
            ++rank, r.tenant(), r.service(), r.fingerprint(), v.count,
            Instant.ofEpochSecond(0, v.firstTimeUnixNano), v.exceptionType, v.topFrame, v.example)));
      }
      out.close();
    }
  }

  private static ReportValue sum(Iterable<ReportValue> values) {
    ReportValue total = new ReportValue();
    for (ReportValue v : values) {
      total.merge(v); // copies the fields it keeps: Hadoop reuses v between iterations
    }
    return total;
  }
}
