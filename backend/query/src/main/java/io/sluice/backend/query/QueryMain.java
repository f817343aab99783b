package io.sluice.backend.query;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar sluice-backend-query.jar query --config query.yaml}: starts the query service and web UI and
 * prints its URL. Exit 2 on a configuration error (the message names the key); runs until stopped.
 */
@Command(name = "sluice-query", mixinStandardHelpOptions = true, subcommands = QueryMain.Run.class,
    description = "The Sluice query service and web UI.")
public final class QueryMain {
  private QueryMain() {}

  public static void main(String[] args) {
    String[] a = args.length == 0 || args[0].startsWith("--config") ? prepend(args) : args;
    System.exit(new CommandLine(new QueryMain()).execute(a));
  }

  private static String[] prepend(String[] args) {
    String[] out = new String[args.length + 1];
    out[0] = "query";
    System.arraycopy(args, 0, out, 1, args.length);
    return out;
  }

  @Command(name = "query", mixinStandardHelpOptions = true, description = "Serves search, aggregates, alerts, "
      + "live tail and the web UI over HTTP.")
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "query.yaml (see README)")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "overrides listen from the file")
    String listen;

    @Override
    public Integer call() throws Exception {
      QueryConfig c;
      try {
        c = QueryConfig.read(config);
        if (listen != null) {
          int colon = listen.lastIndexOf(':');
          c = c.withListen(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1)));
        }
      } catch (IllegalArgumentException e) {
        System.err.println("sluice-query: " + e.getMessage());
        return 2;
      }
      QueryServer server = new QueryServer(c, Clock.systemUTC()).start();
      CountDownLatch stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          server.close();
        } catch (Exception e) {
          System.err.println("sluice-query: closing: " + e);
        }
        stopped.countDown();
      }));
      System.out.println("sluice-query: serving " + server.url());
      stopped.await();
      return 0;
    }
  }
}
