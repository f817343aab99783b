package io.sluice.backend.search;

import io.sluice.backend.common.Severity;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code sluice-search}: installs the index template and searches the log indices. */
@Command(
    name = "sluice-search",
    mixinStandardHelpOptions = true,
    description = "Installs the sluice-logs index template and searches log events in OpenSearch.",
    subcommands = {SearchMain.InstallTemplate.class, SearchMain.Search.class})
public final class SearchMain implements Callable<Integer> {
  @Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--url", required = true, split = ",",
      description = "OpenSearch node URL(s), comma separated, e.g. http://opensearch:9200")
  List<String> urls;

  @Option(names = "--user", description = "user for basic authentication (default: none)")
  String user;

  @Option(names = "--password-env", paramLabel = "VAR", description = "environment variable holding the password")
  String passwordEnv;

  @Option(names = "--index-prefix", defaultValue = LogDocuments.DEFAULT_INDEX_PREFIX,
      description = "daily index prefix (default: ${DEFAULT-VALUE})")
  String indexPrefix;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the CLI on the given streams; returns the exit code (0 ok, 1 failure, 2 usage). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cl = new CommandLine(new SearchMain());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("sluice-search: " + e.getMessage());
      return 1;
    });
    return cl.execute(args);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "name a subcommand: install-template or search (see --help)");
  }

  OpenSearchConnection connection() {
    try {
      return new OpenSearchConnection(urls, user, passwordEnv);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--url: " + e.getMessage());
    }
  }

  @Command(name = "install-template", mixinStandardHelpOptions = true,
      description = "Installs (or replaces) the index template for <prefix>* indices.")
  static final class InstallTemplate implements Callable<Integer> {
    @ParentCommand
    SearchMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--replicas", defaultValue = "1", description = "replicas per shard (default: ${DEFAULT-VALUE})")
    int replicas;

    @Override
    public Integer call() throws Exception {
      try (OpenSearchConnection.Client c = parent.connection().open()) {
        IndexTemplate.install(c.client(), parent.indexPrefix, replicas);
      }
      spec.commandLine().getOut().println("index template installed for " + parent.indexPrefix + "*");
      return 0;
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true,
      description = "Prints matching events, oldest first: time, severity, tenant/service, id, message.")
  static final class Search implements Callable<Integer> {
    @ParentCommand
    SearchMain parent;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--text", description = "words that must all occur in the message, e.g. \"order 1234\"")
    String text;

    @Option(names = "--service", description = "exact service name")
    String service;

    @Option(names = "--severity", split = ",", description = "severity ranges, e.g. ERROR,FATAL")
    List<String> severities = List.of();

    @Option(names = "--from", description = "event time, inclusive, ISO-8601 (e.g. 2026-11-24T00:00:00Z)")
    String from;

    @Option(names = "--to", description = "event time, exclusive, ISO-8601")
    String to;

    @Option(names = "--limit", defaultValue = "100",
        description = "at most this many events (default: ${DEFAULT-VALUE})")
    int limit;

    @Override
    public Integer call() throws Exception {
      Set<Severity> wanted = EnumSet.noneOf(Severity.class);
      for (String s : severities) {
        try {
          wanted.add(Severity.valueOf(s.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new CommandLine.ParameterException(spec.commandLine(),
              "--severity: '" + s + "' is not one of " + EnumSet.allOf(Severity.class));
        }
      }
      LogSearch.Query query;
      try {
        query = new LogSearch.Query(text, service, wanted, time("--from", from), time("--to", to), limit);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      try (OpenSearchConnection.Client c = parent.connection().open()) {
        LogSearch.Result result = new LogSearch(c.client(), parent.indexPrefix).search(query);
        for (LogSearch.Found f : result.hits()) {
          Instant t = Instant.ofEpochSecond(f.timeUnixNano() / 1_000_000_000L, f.timeUnixNano() % 1_000_000_000L);
          out.println(t + " " + f.severity() + " " + f.tenant() + "/" + f.service() + " [" + f.id() + "] "
              + f.body());
        }
        out.println(result.hits().size() + " of " + result.total() + " matching events");
      }
      return 0;
    }

    private Long time(String option, String value) {
      if (value == null) {
        return null;
      }
      try {
        return Instant.parse(value).toEpochMilli();
      } catch (DateTimeParseException e) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            option + ": '" + value + "' is not an ISO-8601 instant; use e.g. 2026-11-24T00:00:00Z");
      }
    }
  }
}
