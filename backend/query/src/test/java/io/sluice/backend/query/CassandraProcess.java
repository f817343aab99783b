package io.sluice.backend.query;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Cassandra 5.0 node in a child JVM ({@link CassandraMain}), because Cassandra's Lucene 9.7 and the
 * OpenSearch node's 9.12 in the test JVM cannot share one classpath. Its classpath is the module's test classpath
 * with Cassandra's Lucene ({@code target/test-classpath.txt}, written by the build) plus this module's test classes;
 * its options are Cassandra's jvm17-server.options opens. Closing it (or the test JVM dying) closes the child's stdin,
 * which stops it.
 */
final class CassandraProcess implements AutoCloseable {
  private static final List<String> OPENS = List.of(
      "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports",
      "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports", "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-exports", "java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports", "java.rmi/sun.rmi.registry=ALL-UNNAMED", "--add-exports", "java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports", "java.sql/java.sql=ALL-UNNAMED", "--add-opens", "java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.loader=ALL-UNNAMED", "--add-opens",
      "java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.reflect=ALL-UNNAMED", "--add-opens",
      "java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens", "java.base/jdk.internal.module=ALL-UNNAMED", "--add-opens",
      "java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED", "--add-opens",
      "java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens", "java.base/java.io=ALL-UNNAMED", "--add-opens", "java.base/java.nio=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent=ALL-UNNAMED", "--add-opens", "java.base/java.util=ALL-UNNAMED",
      "--add-opens", "java.base/java.util.concurrent.atomic=ALL-UNNAMED", "--add-opens",
      "java.base/java.lang=ALL-UNNAMED",
      "--add-opens", "java.base/java.math=ALL-UNNAMED", "--add-opens", "java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens", "java.base/java.net=ALL-UNNAMED", "--add-opens", "java.base/java.time=ALL-UNNAMED",
      "--add-opens", "java.base/java.text=ALL-UNNAMED", "--add-opens", "java.base/sun.security.action=ALL-UNNAMED");

  private final Process process;
  private final String contactPoint;

  private CassandraProcess(Process process, String contactPoint) {
    this.process = process;
    this.contactPoint = contactPoint;
  }

  static CassandraProcess start() throws IOException {
    String file = System.getProperty("cassandra.classpath.file", "target/test-classpath.txt");
    String cp = Files.readString(Path.of(file)).strip();
    String testClasses = Path.of(CassandraMain.class.getProtectionDomain().getCodeSource().getLocation().getPath())
        .toString();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    cmd.add("-Djdk.attach.allowAttachSelf=true");
    cmd.add("-Dcassandra-foreground=true");
    cmd.addAll(OPENS);
    cmd.add("-cp");
    cmd.add(testClasses + File.pathSeparator + cp);
    cmd.add(CassandraMain.class.getName());
    Path log = Files.createTempFile("sluice-query-cassandra-", ".log");
    Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("CASSANDRA ")) {
        Thread drain = new Thread(() -> {
          try {
            while (out.readLine() != null) {
              // keep the pipe empty
            }
          } catch (IOException e) {
            // the child ended
          }
        }, "cassandra-child-stdout");
        drain.setDaemon(true);
        drain.start();
        return new CassandraProcess(p, line.substring("CASSANDRA ".length()).strip());
      }
    }
    p.destroyForcibly();
    throw new IOException("the Cassandra child JVM ended before it was ready; its stderr is in " + log);
  }

  String contactPoint() {
    return contactPoint;
  }

  @Override
  public void close() throws Exception {
    process.getOutputStream().close();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
