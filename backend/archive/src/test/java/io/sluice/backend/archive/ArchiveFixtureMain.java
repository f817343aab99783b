package io.sluice.backend.archive;

import io.sluice.backend.common.LogEvent;
import io.sluice.backend.common.RawRecord;
import io.sluice.backend.common.Sink;
import io.sluice.backend.common.SinkFactory;
import io.sluice.backend.common.TestRecords;
import io.sluice.backend.common.Truth;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A Parquet archive on a real HDFS for readers that cannot share this JVM (Trino needs Java 25, and Hadoop 3.4's
 * client fails on Java 23+): started as a child process on Java 17 by backend/sql's {@code TrinoArchiveIT}.
 *
 * <p>{@code ArchiveFixtureMain <workDir>} starts a single-datanode {@link MiniDFSCluster} under {@code workDir},
 * generates collector-like records with resent batches ({@link TestRecords}), de-duplicates them by identity,
 * writes the distinct events through {@link ParquetArchive#sinkFactory} (the streaming job's sink) in bundles and
 * then replays every bundle (what a restart does), and writes beside it: {@code truth.properties} (the expected
 * figures), {@code hadoop/core-site.xml} and {@code hadoop/hdfs-site.xml} (the client configuration a reader needs).
 * Then it prints {@code READY <archive uri>} on stdout and serves HDFS until stdin closes (the parent's end), when
 * it shuts the cluster down and exits 0. Any failure: a stack trace on stderr and exit 1.
 */
public final class ArchiveFixtureMain {
  /** A service name that needs escaping in a path (space, slash, non-ASCII): how a reader decodes the partition. */
  public static final String AWKWARD_SERVICE = "billing api/eu-ü";

  private ArchiveFixtureMain() {}

  public static void main(String[] args) throws Exception {
    Path work = Path.of(args[0]).toAbsolutePath();
    MiniDFSCluster cluster = null;
    try {
      Configuration conf = new Configuration();
      conf.set("hadoop.tmp.dir", work.resolve("tmp").toString());
      conf.set("dfs.replication", "1");
      conf.set("dfs.namenode.file.close.num-committed-allowed", "1");
      conf.set("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20");
      cluster = new MiniDFSCluster.Builder(conf, new File(work.resolve("dfs").toString())).numDataNodes(1).build();
      cluster.waitActive();
      String fs = cluster.getURI().toString();
      String archive = fs + "/sluice/logs";

      // 3 h across midnight (two dates, four hours), 3 services + one awkward name, 2 tenants, resent batches
      long start = Instant.parse("2026-11-23T22:10:00Z").toEpochMilli();
      TestRecords.Generated generated =
          TestRecords.generate(18, 6_000, 100, start, 3 * 3_600_000L, 40, "sluice-logs");
      List<LogEvent> distinct = renameSomeServices(Truth.distinctEvents(generated.records()));
      if (generated.records().size() <= distinct.size()) {
        throw new IllegalStateException("the input must carry duplicates");
      }

      SinkFactory<LogEvent> factory = ParquetArchive.sinkFactory(URI.create(archive),
          Map.of("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20", "dfs.replication", "1"));
      writeInBundles(factory, distinct, 2_000);
      writeInBundles(factory, distinct, 2_000); // a replay of every bundle: the archive must keep each row once

      writeTruth(work.resolve("truth.properties"), generated.records(), distinct);
      Path hadoop = Files.createDirectories(work.resolve("hadoop"));
      writeSite(hadoop.resolve("core-site.xml"), Map.of("fs.defaultFS", fs));
      writeSite(hadoop.resolve("hdfs-site.xml"), Map.of("dfs.replication", "1"));

      System.out.println("READY " + archive);
      System.out.flush();
      InputStream in = System.in;
      while (in.read() >= 0) {
        // the parent holds stdin open while it reads the archive
      }
    } catch (Throwable t) {
      t.printStackTrace();
      System.exit(1);
    } finally {
      if (cluster != null) {
        cluster.shutdown(true);
      }
    }
    System.exit(0);
  }

  /** Every 7th event of {@code search} moves to {@link #AWKWARD_SERVICE} (a copy: events are immutable). */
  private static List<LogEvent> renameSomeServices(List<LogEvent> events) {
    List<LogEvent> out = new ArrayList<>(events.size());
    int i = 0;
    for (LogEvent e : events) {
      if (e.service().equals("search") && i++ % 7 == 0) {
        e = new LogEvent(e.identity(), e.tenant(), e.topic(), e.timeUnixNano(), AWKWARD_SERVICE, e.host(),
            e.severity(), e.severityText(), e.body(), e.messageTemplate(), e.logger(), e.thread(), e.traceId(),
            e.spanId(), e.exceptionType(), e.exceptionMessage(), e.topFrame(), e.fingerprint(), e.attributes(),
            e.sizeBytes());
      }
      out.add(e);
    }
    return out;
  }

  private static void writeInBundles(SinkFactory<LogEvent> factory, List<LogEvent> events, int bundle)
      throws Exception {
    try (Sink<LogEvent> sink = factory.open()) {
      for (int i = 0; i < events.size(); i += bundle) {
        sink.write(events.subList(i, Math.min(events.size(), i + bundle)));
      }
    }
  }

  /** The figures a SQL reader must reproduce, computed the slow obvious way from the distinct events. */
  private static void writeTruth(Path file, List<RawRecord> records, List<LogEvent> distinct) throws IOException {
    Map<String, Long> figures = new TreeMap<>();
    figures.put("records.delivered", (long) records.size());
    figures.put("total", (long) distinct.size());
    figures.put("identities", (long) new HashSet<>(distinct.stream().map(e -> e.identity().key()).toList()).size());
    for (LogEvent e : distinct) {
      figures.merge("service." + e.service(), 1L, Long::sum);
      figures.merge("severity." + e.severity().name(), 1L, Long::sum);
      figures.merge("tenant_service_severity." + e.tenant() + "/" + e.service() + "/" + e.severity().name(), 1L,
          Long::sum);
      figures.merge("date." + ArchivePartition.of(e).date(), 1L, Long::sum);
      figures.merge("date_severity." + ArchivePartition.of(e).date() + "/" + e.severity().name(), 1L, Long::sum);
      if (!e.fingerprint().isEmpty()) {
        figures.merge("fingerprinted", 1L, Long::sum);
      }
    }
    Properties p = new Properties();
    figures.forEach((k, v) -> p.setProperty(k, Long.toString(v)));
    try (OutputStream out = Files.newOutputStream(file)) {
      p.store(out, "expected figures of the archive (ArchiveFixtureMain)");
    }
  }

  private static void writeSite(Path file, Map<String, String> properties) throws IOException {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\"?>\n<configuration>\n");
    properties.forEach((k, v) -> xml.append("  <property><name>").append(k).append("</name><value>").append(v)
        .append("</value></property>\n"));
    Files.writeString(file, xml.append("</configuration>\n"), StandardCharsets.UTF_8);
  }
}
