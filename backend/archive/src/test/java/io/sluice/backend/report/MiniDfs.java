package io.sluice.backend.report;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One single-datanode HDFS ({@link MiniDFSCluster}, ~7 s to start) per test JVM, shared by every test class that
 * extends with it, shut down and deleted (under {@code target/}) when the run ends.
 */
public final class MiniDfs implements BeforeAllCallback {
  /**
   * Client settings for tests: a closing client polls the namenode for the file's completion with a back-off that
   * starts at 400 ms — most of the cost of a small file here; 20 ms keeps the tests fast.
   */
  public static final Map<String, String> CLIENT =
      Map.of("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", "20", "dfs.replication", "1");

  private static Holder holder;

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(MiniDfs.class, k -> start(), Holder.class);
  }

  /** The running cluster (after {@code beforeAll}). */
  public static MiniDFSCluster cluster() {
    return holder.cluster;
  }

  /** A configuration for jobs against the cluster: its fs.defaultFS, the local job runner, scratch under target/. */
  public static Configuration jobConf() {
    Configuration conf = new Configuration(holder.cluster.getConfiguration(0));
    conf.set("mapreduce.framework.name", "local");
    conf.set("mapreduce.local.map.tasks.maximum", "2");
    conf.set("hadoop.tmp.dir", holder.baseDir.resolve("tmp").toString());
    conf.set("mapreduce.jobtracker.staging.root.dir", holder.baseDir.resolve("staging").toString());
    return conf;
  }

  /** {@code hdfs://host:port} of the cluster. */
  public static String uri() {
    return holder.cluster.getURI().toString();
  }

  private static synchronized Holder start() {
    try {
      Path base = Path.of("target", "minidfs-" + ProcessHandle.current().pid()).toAbsolutePath();
      Configuration conf = new Configuration();
      conf.set("hadoop.tmp.dir", base.resolve("tmp").toString());
      conf.set("dfs.replication", "1");
      // close() returns once the datanode pipeline has acknowledged the last block, without waiting for the
      // datanode's block report to reach the namenode (which costs a 400 ms client back-off per small file here)
      conf.set("dfs.namenode.file.close.num-committed-allowed", "1");
      CLIENT.forEach(conf::set);
      MiniDFSCluster cluster =
          new MiniDFSCluster.Builder(conf, new File(base.resolve("dfs").toString())).numDataNodes(1).build();
      cluster.waitActive();
      holder = new Holder(cluster, base);
      return holder;
    } catch (IOException e) {
      throw new IllegalStateException("MiniDFSCluster did not start", e);
    }
  }

  private record Holder(MiniDFSCluster cluster, Path baseDir)
    implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() throws IOException {
      cluster.shutdown(true);
      if (Files.exists(baseDir)) {
        try (Stream<Path> files = Files.walk(baseDir)) {
          files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
      }
    }
  }
}
