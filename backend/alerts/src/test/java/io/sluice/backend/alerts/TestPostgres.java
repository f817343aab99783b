package io.sluice.backend.alerts;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * One real PostgreSQL server per test JVM, from Debian's {@code postgresql} package (/usr/lib/postgresql/N/bin),
 * in a temp directory on 127.0.0.1 and a free port, stopped and deleted by a shutdown hook. PostgreSQL refuses to
 * run as root, so under root (CI) initdb and postgres run as {@code nobody} through util-linux {@code setpriv}.
 * Tests skip (not fail) when the package is missing. {@link #newDatabase()} gives each test its own database.
 */
public final class TestPostgres {
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static TestPostgres instance;

  private final Path dir;
  private final Process server;
  private final int port;

  private TestPostgres(Path dir, Process server, int port) {
    this.dir = dir;
    this.server = server;
    this.port = port;
  }

  public static synchronized TestPostgres get() throws Exception {
    if (instance == null) {
      Path bin = findBin();
      Assumptions.assumeTrue(bin != null,
          "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin: apt-get install postgresql");
      instance = start(bin);
      Runtime.getRuntime().addShutdownHook(new Thread(instance::stop, "test-postgres-stop"));
    }
    return instance;
  }

  /** A fresh, empty database; returns its JDBC URL (user {@code sluice}, trust auth). */
  public String newDatabase() throws Exception {
    String name = "t" + DATABASES.incrementAndGet();
    try (Connection c = DriverManager.getConnection(url("postgres"), "sluice", null);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    return url(name);
  }

  private String url(String db) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
  }

  private static Path findBin() throws IOException {
    Path root = Path.of("/usr/lib/postgresql");
    if (!Files.isDirectory(root)) {
      return null;
    }
    try (var versions = Files.list(root)) {
      return versions.map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("postgres")) && Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(Path::toString))
          .orElse(null);
    }
  }

  private static TestPostgres start(Path bin) throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "sluice-pg-");
    if (root) {
      UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
      Files.setOwner(dir, users.lookupPrincipalByName("nobody"));
    }
    Path data = dir.resolve("data");
    Path log = dir.resolve("postgres.log");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    run(asUser(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "sluice",
        "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")), dir, dir.resolve("initdb.log"));
    Process server = new ProcessBuilder(asUser(root, List.of(bin.resolve("postgres").toString(),
        "-D", data.toString(), "-p", String.valueOf(port), "-h", "127.0.0.1", "-k", dir.toString(),
        "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")))
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    TestPostgres pg = new TestPostgres(dir, server, port);
    try {
      await("PostgreSQL accepting connections (log: " + log + ")").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .ignoreExceptions()
          .until(() -> {
            if (!server.isAlive()) {
              throw new AssertionError("postgres exited: " + Files.readString(log));
            }
            try (Connection c = DriverManager.getConnection(pg.url("postgres"), "sluice", null)) {
              return c.isValid(1);
            }
          });
    } catch (RuntimeException | AssertionError e) {
      pg.stop();
      throw e;
    }
    return pg;
  }

  private static List<String> asUser(boolean root, List<String> command) {
    if (!root) {
      return command;
    }
    List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"));
    wrapped.addAll(command);
    return wrapped;
  }

  private static void run(List<String> command, Path dir, Path log) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " failed: " + Files.readString(log));
    }
  }

  private void stop() {
    server.destroy(); // SIGTERM: PostgreSQL's smart shutdown
    try {
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    } catch (IOException ignored) {
      // best effort: a temp dir
    }
  }
}
